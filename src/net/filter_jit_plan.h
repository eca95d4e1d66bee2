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

}  // namespace bombus::net
