// Tracked numbers: a 64-bit value whose bits are each known-0, known-1 or unknown. `mask` has a 1
// for every unknown bit; `value` holds the known bits (and is 0 wherever mask is 1). This is the
// bit-level half of the verifier's scalar domain; scalar.h pairs it with interval bounds.
#pragma once

#include <cstdint>
#include <string>

namespace bombus::verifier {

struct Tnum {
  uint64_t value = 0;
  uint64_t mask = 0;

  static constexpr Tnum constant(uint64_t v) { return {v, 0}; }
  static constexpr Tnum unknown() { return {0, ~0ull}; }
  // The smallest tnum containing every value in [min, max] (unsigned).
  static Tnum range(uint64_t min, uint64_t max);

  bool is_const() const { return mask == 0; }
  bool is_unknown() const { return mask == ~0ull; }
  bool equals_const(uint64_t v) const { return mask == 0 && value == v; }
  uint64_t umin() const { return value; }
  uint64_t umax() const { return value | mask; }
  // True when every value `b` can take is also a value of *this.
  bool contains(const Tnum& b) const;
  bool contains_value(uint64_t v) const { return (v & ~mask) == value; }

  Tnum operator+(const Tnum& b) const;
  Tnum operator-(const Tnum& b) const;
  Tnum operator&(const Tnum& b) const;
  Tnum operator|(const Tnum& b) const;
  Tnum operator^(const Tnum& b) const;
  Tnum operator*(const Tnum& b) const;
  Tnum lshift(uint8_t n) const { return {value << n, mask << n}; }
  Tnum rshift(uint8_t n) const { return {value >> n, mask >> n}; }
  // Arithmetic shift right within `bits` (32 or 64) bits.
  Tnum arshift(uint8_t n, int bits) const;
  Tnum neg() const { return Tnum::constant(0) - *this; }
  // Values both tnums allow (caller knows they overlap).
  Tnum intersect(const Tnum& b) const;
  // Values either tnum allows.
  Tnum union_with(const Tnum& b) const;
  // Truncate to `bytes` bytes (zero-extended).
  Tnum cast(int bytes) const;
  Tnum subreg() const { return cast(4); }
  Tnum clear_subreg() const { return rshift(32).lshift(32); }
  Tnum with_subreg(const Tnum& sub) const { return clear_subreg() | sub.subreg(); }

  friend bool operator==(const Tnum&, const Tnum&) = default;
  // "(0x0; 0xff)" like the kernel's log.
  std::string str() const;
};

}  // namespace bombus::verifier
