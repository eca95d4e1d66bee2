// Programs for the may_goto budget tests (engines and kernel). The kernel keeps the may_goto
// counter in the stack frame of each function: the verifier's fixup gives every (sub)program
// that uses may_goto an extra 8-byte stack slot and stores BPF_MAX_LOOPS there in that
// function's prologue. So a bpf-to-bpf call, a callback invocation (bpf_loop) and a tail-called
// program each start with a fresh budget, and a caller's budget is what it was when the callee
// returns. Each program below first spends its whole budget (a `may_goto +1; ja -2` loop), then
// asks whether the next function's may_goto falls through (fresh budget) or jumps (shared and
// spent). The map reference of a tail call is a raw lddw immediate for bombus's engines and a
// BPF_PSEUDO_MAP_FD lddw for the kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "../jit/insn_builder.h"
#include "isa/insn.h"

namespace bombus::may_goto_test {

using isa::Insn;
using jit::test::exit_insn;
using jit::test::I;

inline Insn mov(int dst, int32_t imm) {
  return jit::test::mov64(dst, imm);
}
inline Insn may_goto(int16_t off) {
  return I(0xe5, 0, 0, off, 0);
}
inline Insn call(int32_t helper) {
  return I(0x85, 0, 0, 0, helper);
}
inline Insn call_local(int32_t rel) {
  return I(0x85, 0, isa::kPseudoCall, 0, rel);
}
constexpr int32_t kTailCall = 12, kLoop = 181;

// Spends the current function's whole budget: may_goto +1 (out once spent); ja -2.
inline void spend_budget(std::vector<Insn>& p) {
  p.push_back(may_goto(1));
  p.push_back(I(0x05, 0, 0, -2));
}
// r0 = 1 when the function's budget is fresh (may_goto falls through), 2 when it is spent.
inline void probe_budget(std::vector<Insn>& p, int dst = 0) {
  p.push_back(mov(dst, 2));
  p.push_back(may_goto(1));
  p.push_back(mov(dst, 1));
}

// Tail-call target (slot 0): returns 1 with a fresh budget, 2 with a spent one.
inline std::vector<Insn> tail_target() {
  std::vector<Insn> p;
  probe_budget(p);
  p.push_back(exit_insn());
  return p;
}

// Spends its budget, then tail-calls slot 0 of `map` (returns 99 if the tail call fails).
inline std::vector<Insn> tail_caller(uint64_t map, bool map_fd) {
  std::vector<Insn> p = {I(0xbf, 6, 1)};
  spend_budget(p);
  p.push_back(I(0xbf, 1, 6));
  p.push_back(I(0x18, 2, map_fd ? 1 : 0, 0, static_cast<int32_t>(map)));
  p.push_back(I(0, 0, 0, 0, static_cast<int32_t>(map >> 32)));
  p.push_back(mov(3, 0));
  p.push_back(call(kTailCall));
  p.push_back(mov(0, 99));
  p.push_back(exit_insn());
  return p;
}

// Spends its budget, calls a subprogram that probes its own, then probes its own again:
// returns sub + 10 * main (kernel: 1 + 10 * 2 = 21).
inline std::vector<Insn> spent_caller_of_subprogram() {
  std::vector<Insn> p;
  spend_budget(p);             // 0-1
  p.push_back(call_local(8));  // 2 -> 11
  p.push_back(I(0xbf, 8, 0));  // 3: r8 = sub's answer
  probe_budget(p, 7);          // 4-6: r7 = main's answer
  p.insert(p.end(), {I(0x27, 7, 0, 0, 10), I(0x0f, 7, 8), I(0xbf, 0, 7), exit_insn()});  // 7-10
  probe_budget(p);  // 11-13: the subprogram
  p.push_back(exit_insn());
  return p;
}

// Calls a subprogram that spends its budget, then probes its own: returns 1 (fresh, the
// kernel's answer) or 2.
inline std::vector<Insn> fresh_caller_of_spending_subprogram() {
  std::vector<Insn> p = {call_local(4)};  // 0 -> 5
  probe_budget(p);                        // 1-3
  p.push_back(exit_insn());               // 4
  spend_budget(p);                        // 5-6: the subprogram
  p.push_back(mov(0, 0));
  p.push_back(exit_insn());
  return p;
}

// Spends its budget, then bpf_loop(1, cb, r10-8, 0); the callback (12) stores its probe in
// *(u64*)ctx. Returns that probe (kernel: 1). `kernel`: the callback lddw is BPF_PSEUDO_FUNC
// with a relative offset, else resolved (the absolute instruction index).
constexpr int32_t kCallbackAt = 12;
inline std::vector<Insn> spent_caller_of_callback(bool kernel) {
  std::vector<Insn> p = {I(0x7a, 10, 0, -8, 0)};                         // 0
  spend_budget(p);                                                       // 1-2
  p.push_back(mov(1, 1));                                                // 3
  p.push_back(kernel ? I(0x18, 2, isa::kPseudoFunc, 0, kCallbackAt - 5)  // 4-5
                     : I(0x18, 2, 0, 0, kCallbackAt));
  p.push_back(I(0, 0, 0, 0, 0));
  p.insert(p.end(), {I(0xbf, 3, 10), I(0x07, 3, 0, 0, -8), mov(4, 0), call(kLoop),  // 6-9
                     I(0x79, 0, 10, -8), exit_insn()});                             // 10-11
  probe_budget(p);                                                                  // 12-14
  p.insert(p.end(), {I(0x7b, 2, 0, 0), mov(0, 0), exit_insn()});
  return p;
}

}  // namespace bombus::may_goto_test
