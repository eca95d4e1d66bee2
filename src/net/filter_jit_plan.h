// What the lean filter JIT (filter_jit.h) knows about a program before emitting it: which
// instructions are jump targets, which registers are live after each instruction (so
// instructions whose result is never read are dropped — the converter's A = 0 / X = 0 and
// context loads an expression never uses), which registers must be zeroed per packet, whether
// r1 (the context pointer the batch loop walks) is ever written, whether the converter's
// `r6 = r1` can be an alias instead of a copy, and which instruction runs fuse into one native
// sequence (a load and its byte swap, the converter's LD IND bounds check, `r0 = K; exit`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "isa/insn.h"

namespace bombus::net {

enum class Fuse : uint8_t {
  kNone,
  kLoadSwap,   // ldx{h,w} d, [s + off]; be16/be32 d
  kLoadInd,    // the 7-8 instruction LD IND sequence convert_cbpf emits (see filter_jit_plan.cc)
  kConstExit,  // w0 = K; exit
};

struct FilterJitPlan {
  std::vector<bool> target;     // some jump lands here
  std::vector<bool> dead;       // result never read: not emitted
  std::vector<uint16_t> live;   // registers live after the instruction (bit r)
  std::vector<Fuse> fuse;       // fusion starting at this instruction
  std::vector<uint8_t> length;  // instructions the fusion covers
  uint16_t live_in = 0;         // registers read before written (bit r)
  bool writes_r1 = false;
  bool alias_r6 = false;  // insn 0 is r6 = r1 and neither is written again: r6 is r1
};

// The plan for a program check() accepted (every jump inside it, no lddw half jumped into).
FilterJitPlan plan_filter_jit(std::span<const isa::Insn> prog);

// Where a jump to instruction `t` leads once `ja` chains are followed: a constant return
// (`w0 = K; exit`), a bare exit (return r0), or code that continues at `at`.
struct FlatTarget {
  enum class Kind : uint8_t { kReturnK, kReturnA, kBlock };
  Kind kind = Kind::kBlock;
  size_t at = 0;
  uint32_t k = 0;
};
FlatTarget flat_target(std::span<const isa::Insn> prog, const FilterJitPlan& p, size_t t);

// The branch-free ("flat") form of a whole program. Every live instruction runs for every
// packet, in program order (a topological order: jumps only go forward); a mask says whether
// the current instruction is on the packet's path. A conditional jump splits the mask between
// its target (an accumulator slot per target, or the return value directly) and the fall-
// through; a register write that another path could still need is a cmov on the mask. Loads
// must be safe on any path: constant-offset packet loads are in bounds once caplen >=
// min_caplen (checked once per packet; shorter packets run the branchy code), indirect loads
// use a clamped address and take the converter's "out of bounds: return 0" edge.
// A packet load whose value is only ever compared with constants for equality or bits is
// not emitted (elided); each such compare (mem_cmp = the load's index) reads the packet bytes
// itself, with the constant byte-swapped. Safe in branchy code too: the load's own bounds
// check ran on every path to the compare. data_reg is 0xff when nothing folds.
struct CompareFold {
  std::vector<bool> elided;
  std::vector<int32_t> mem_cmp;
  uint8_t data_reg = 0xff;
};
// For programs with forward jumps only whose data pointer is loaded once, at entry.
CompareFold fold_packet_compares(std::span<const isa::Insn> prog, const FilterJitPlan& p);

inline constexpr size_t kFlatMaxInsns = 256, kFlatMaxSlots = 128;
struct FlatPlan : CompareFold {
  bool ok = false;
  const char* why = "";       // when !ok: the first reason found
  uint32_t min_caplen = 0;    // the flat code runs only when caplen >= this
  std::vector<bool> pred;     // the instruction's register write must be predicated
  std::vector<bool> folded;   // a bounds check that cannot fail when caplen >= min_caplen
  std::vector<int16_t> slot;  // the edge accumulator of a jump target, or -1
  size_t slots = 0;
  bool one_accept = true;  // every return is a constant; the nonzero ones all equal accept_k
  uint32_t accept_k = 0;
};
FlatPlan plan_flat(std::span<const isa::Insn> prog, const FilterJitPlan& p);

}  // namespace bombus::net
