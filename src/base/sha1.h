// SHA-1, used for program tags (the kernel's tag is the first 8 bytes of the SHA-1 of the
// program's instructions) — not for anything security-related.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace bombus {

std::array<uint8_t, 20> sha1(std::span<const uint8_t> data);

}  // namespace bombus
