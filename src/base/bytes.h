// Little helpers for reading and writing unaligned little-endian values and hex text.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bombus {

template <typename T>
inline T load_unaligned(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void store_unaligned(void* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// "de ad be ef", "deadbeef", "0xde 0xad" -> bytes. Errors name the offending token.
Result<std::vector<uint8_t>> parse_hex_bytes(std::string_view text);
std::string to_hex(std::span<const uint8_t> bytes, std::string_view sep = " ");

}  // namespace bombus
