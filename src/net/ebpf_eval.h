// A small, unchecked eBPF evaluator for the instruction subset that convert_cbpf emits (ALU32/
// ALU64, byte swaps, LDX/STX/ST, JMP/JMP32, EXIT; no calls, no lddw). The net layer uses it to
// run converted filters on its own, and tests use it as a second engine beside vm's interpreter.
// It trusts its input: only run programs produced by convert_cbpf (or otherwise verified).
#pragma once

#include <cstdint>
#include <span>

#include "isa/insn.h"

namespace bombus::net {

// Runs `prog` with r1 = ctx and a fresh 512-byte stack; returns r0.
uint64_t eval_ebpf_subset(std::span<const isa::Insn> prog, const void* ctx);

// True when every instruction of `prog` is in the subset above (so eval_ebpf_subset can run it).
bool ebpf_subset_supports(std::span<const isa::Insn> prog);

}  // namespace bombus::net
