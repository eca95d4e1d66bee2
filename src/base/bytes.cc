// Hex text <-> bytes.
#include "base/bytes.h"

#include <cctype>

namespace bombus {

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::vector<uint8_t>> parse_hex_bytes(std::string_view text) {
  std::vector<uint8_t> out;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',') {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ',')
      ++i;
    std::string_view tok = text.substr(start, i - start);
    if (tok.size() >= 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) tok.remove_prefix(2);
    if (tok.empty() || tok.size() % 2 != 0) {
      return make_error(Errc::kInvalid,
                        "bad hex token '" + std::string(text.substr(start, i - start)) + "'",
                        Location{.byte_offset = static_cast<int64_t>(start)});
    }
    for (size_t k = 0; k < tok.size(); k += 2) {
      int hi = hex_digit(tok[k]), lo = hex_digit(tok[k + 1]);
      if (hi < 0 || lo < 0) {
        return make_error(Errc::kInvalid,
                          "bad hex digit in '" + std::string(text.substr(start, i - start)) + "'",
                          Location{.byte_offset = static_cast<int64_t>(start + k)});
      }
      out.push_back(static_cast<uint8_t>(hi * 16 + lo));
    }
  }
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes, std::string_view sep) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += sep;
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace bombus
