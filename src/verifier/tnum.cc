// Tnum arithmetic. Each operation returns the tightest tnum that contains every result of the
// concrete operation applied to members of the operands (soundness is what the unit tests check
// exhaustively on small widths).
#include "verifier/tnum.h"

#include <bit>
#include <cstdio>

namespace bombus::verifier {

Tnum Tnum::range(uint64_t min, uint64_t max) {
  if (min > max) return unknown();
  uint64_t diff = min ^ max;
  int bits = diff == 0 ? 0 : 64 - std::countl_zero(diff);
  if (bits >= 64) return unknown();
  uint64_t low = (1ull << bits) - 1;
  return {min & ~low, low};
}

bool Tnum::contains(const Tnum& b) const {
  if (b.mask & ~mask) return false;  // b has an unknown bit that we claim is known
  return (b.value & ~mask) == value;
}

Tnum Tnum::operator+(const Tnum& b) const {
  uint64_t sum_mask = mask + b.mask;
  uint64_t sum_val = value + b.value;
  // Bits where carries may differ between the all-unknown-zero and all-unknown-one cases.
  uint64_t carries = (sum_mask + sum_val) ^ sum_val;
  uint64_t unk = carries | mask | b.mask;
  return {sum_val & ~unk, unk};
}

Tnum Tnum::operator-(const Tnum& b) const {
  uint64_t d = value - b.value;
  uint64_t hi = d + mask;    // largest borrow pattern
  uint64_t lo = d - b.mask;  // smallest
  uint64_t unk = (hi ^ lo) | mask | b.mask;
  return {d & ~unk, unk};
}

Tnum Tnum::operator&(const Tnum& b) const {
  uint64_t may_a = value | mask, may_b = b.value | b.mask;
  uint64_t v = value & b.value;
  return {v, may_a & may_b & ~v};
}

Tnum Tnum::operator|(const Tnum& b) const {
  uint64_t v = value | b.value;
  uint64_t m = mask | b.mask;
  return {v, m & ~v};
}

Tnum Tnum::operator^(const Tnum& b) const {
  uint64_t m = mask | b.mask;
  return {(value ^ b.value) & ~m, m};
}

Tnum Tnum::operator*(const Tnum& b) const {
  // Long multiplication over the bits of *this: known-one bits add b's unknown part, unknown bits
  // add everything b might be. Known parts multiply exactly.
  Tnum a = *this, m = b;
  Tnum acc_unknown = constant(0);
  while (a.value || a.mask) {
    if (a.value & 1)
      acc_unknown = acc_unknown + Tnum{0, m.mask};
    else if (a.mask & 1)
      acc_unknown = acc_unknown + Tnum{0, m.value | m.mask};
    a = a.rshift(1);
    m = m.lshift(1);
  }
  return constant(value * b.value) + acc_unknown;
}

Tnum Tnum::arshift(uint8_t n, int bits) const {
  if (bits == 32) {
    uint32_t v = static_cast<uint32_t>(static_cast<int32_t>(value) >> n);
    uint32_t m = static_cast<uint32_t>(static_cast<int32_t>(mask) >> n);
    return {v, m};
  }
  return {static_cast<uint64_t>(static_cast<int64_t>(value) >> n),
          static_cast<uint64_t>(static_cast<int64_t>(mask) >> n)};
}

Tnum Tnum::intersect(const Tnum& b) const {
  uint64_t v = value | b.value;
  uint64_t m = mask & b.mask;
  return {v & ~m, m};
}

Tnum Tnum::union_with(const Tnum& b) const {
  uint64_t m = mask | b.mask | (value ^ b.value);
  return {value & ~m, m};
}

Tnum Tnum::cast(int bytes) const {
  if (bytes >= 8) return *this;
  uint64_t keep = (1ull << (bytes * 8)) - 1;
  return {value & keep, mask & keep};
}

std::string Tnum::str() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "(0x%llx; 0x%llx)", static_cast<unsigned long long>(value),
                static_cast<unsigned long long>(mask));
  return buf;
}

}  // namespace bombus::verifier
