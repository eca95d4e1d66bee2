// The scalar domain: a tnum plus signed/unsigned 64- and 32-bit bounds, kept mutually consistent
// by sync() (each view tightens the others, as the kernel's reg_bounds_sync does). Arithmetic
// follows BPF semantics (wrap-around, 32-bit ops zero-extend); branch refinement narrows both
// operands of a comparison for the taken and not-taken edges.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "verifier/tnum.h"

namespace bombus::verifier {

struct Scalar {
  Tnum var = Tnum::unknown();
  int64_t smin = std::numeric_limits<int64_t>::min();
  int64_t smax = std::numeric_limits<int64_t>::max();
  uint64_t umin = 0;
  uint64_t umax = std::numeric_limits<uint64_t>::max();
  int32_t s32_min = std::numeric_limits<int32_t>::min();
  int32_t s32_max = std::numeric_limits<int32_t>::max();
  uint32_t u32_min = 0;
  uint32_t u32_max = std::numeric_limits<uint32_t>::max();

  static Scalar unknown() { return {}; }
  static Scalar constant(uint64_t v);
  // Unknown value of `bytes` bytes, zero-extended (a load of that size).
  static Scalar unknown_bytes(int bytes);
  static Scalar from_urange(uint64_t lo, uint64_t hi);
  static Scalar from_srange(int64_t lo, int64_t hi);

  bool is_const() const { return var.is_const(); }
  uint64_t const_value() const { return var.value; }
  bool is_const32() const { return var.subreg().is_const(); }
  bool is_unbounded() const { return *this == Scalar{}; }
  // Bounds contradict each other: no concrete value satisfies all views (dead branch).
  bool is_empty() const;
  // Every value of `b` is a value of *this (state-pruning subsumption).
  bool contains(const Scalar& b) const;
  bool contains_value(uint64_t v) const;

  // Tightens every view from the others; call after any change.
  void sync();
  // Drops all 64-bit knowledge except what the 32-bit half implies, as after a 32-bit ALU op.
  void zext32();
  // Sign-extends the low `bits` (8/16/32) into 64 bits (movsx, ldxsx).
  void sext(int bits);
  // Truncates to the low `bytes` and zero-extends (narrow loads of a spilled scalar).
  void truncate(int bytes);

  friend bool operator==(const Scalar&, const Scalar&) = default;
  // Kernel-log rendering of the bounds: "smin=...,umax=...,var_off=(...)"; "" for unknown.
  std::string bounds_str() const;
};

enum class AluOp { kAdd, kSub, kMul, kDiv, kSdiv, kMod, kSmod, kOr, kAnd, kXor, kLsh, kRsh, kArsh };

// dst = dst op src for a 64-bit (is32 = false) or 32-bit operation (which zero-extends). The
// result is always sound; it is as precise as the domain allows for add/sub/mul/and/or/xor and
// shifts, coarser for division.
void scalar_alu(Scalar& dst, const Scalar& src, AluOp op, bool is32);

enum class Cmp { kEq, kNe, kGt, kGe, kLt, kLe, kSgt, kSge, kSlt, kSle, kSet, kNset };
Cmp negate(Cmp c);
Cmp flip(Cmp c);  // a op b  <=>  b flip(op) a

// 1 if `a op b` holds for every value pair, 0 if for none, -1 if unknown.
int branch_taken(const Scalar& a, const Scalar& b, Cmp op, bool is32);
// Narrows a and b assuming `a op b` holds. Either may become is_empty() (infeasible edge).
void refine(Scalar& a, Scalar& b, Cmp op, bool is32);

}  // namespace bombus::verifier
