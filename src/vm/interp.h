// The eBPF interpreter: RFC 9669 semantics plus the kernel's extensions (bpf-to-bpf calls, tail
// calls, atomics, legacy packet loads), in two modes.
//
//  - fast (default): for verified programs. Instructions are pre-decoded once by create() into
//    16-byte slots holding the address of their handler (direct threading with g++'s
//    labels-as-values), so running costs a couple of nanoseconds per instruction. Nothing is
//    checked at run time except what cannot be known statically (call depth, callx targets).
//  - checked (InterpOptions::checked): for unverified code and fuzzing. Every load and store is
//    bounds-checked against the stack (all 8 frames), the context [ctx, ctx+ctx_len), the run's
//    extra regions (RunArgs::regions), the packet (EngineHooks::packet_data of the context) and
//    vm::MemoryRegistry; atomics must be naturally aligned; an instruction budget bounds the
//    run. A fault ends the run with Errc::kRuntime naming the instruction (Location::insn) and
//    the address. Registers and the stack start zeroed. Pointers a program hands to helpers
//    are the helpers' (and the verifier's) concern, not checked here.
//
// create() checks structure (known opcodes, registers, jump and call targets inside the program
// and not into the middle of an lddw, known helper ids) in both modes, so no byte sequence that
// create() accepts can make either mode jump outside the program. Engines get *resolved*
// instructions: lddw carries a plain 64-bit value (see abi.h).
//
// Calling convention of run(): r1 = ctx, r2 = ctx_len, r10 = top of a fresh 512-byte stack frame
// (8 frames of 512 bytes for bpf-to-bpf calls, r6-r9 callee-saved), every other register 0.
// Helper `id` is helpers[id]; a helper ends the program early by setting current_run_state()->stop
// (r0 becomes stop_value). Helper id 12 (bpf_tail_call) is handled here through
// EngineHooks::tail_call_target (33 tail calls at most; a missing entry falls through).
// `callx rN` calls the helper whose id is in rN (the bpf_conformance convention).
// may_goto falls through while the function's loop budget (isa::kMaxLoops, one counter per
// function call as in the kernel: fresh for each bpf-to-bpf call, callback and tail call) lasts
// and jumps once it is spent.
//
// Callbacks: run() installs EngineHooks::call_function (bpf_loop, for_each_map_elem run the
// program's own function at an absolute instruction index, the value a resolved lddw
// BPF_PSEUDO_FUNC carries) as a nested run on a fresh frame; a fault there ends the whole run.
//
// An Interpreter is immutable after create(): run() may be called from several threads at once.
// Keep it at a stable address while runs or tail-call tables refer to it (RunState::program and
// tail_call_target hand out its address), e.g. in a unique_ptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "vm/abi.h"

namespace bombus::vm {

struct InterpOptions {
  bool checked = false;
  // Checked mode: the most instructions one run may execute (0 = unlimited). Exceeding it ends
  // the run with an error. Ignored in fast mode (verified programs terminate).
  uint64_t budget = 0;
  // Helper table, index = helper id; null entries are unknown helpers. Must outlive the
  // interpreter (the runtime and the JIT share one table).
  std::span<const HelperFn> helpers;
  EngineHooks hooks;
};

// Per-run arguments besides the context.
struct RunArgs {
  void* runtime = nullptr;  // copied into RunState::runtime for helpers
  uint32_t cpu = 0;         // RunState::cpu
  // Checked mode: more memory the program may touch in this run (e.g. packet data an xdp_md
  // points at). The stack and [ctx, ctx+ctx_len) are always allowed.
  std::span<const MemRegion> regions;
  // Checked mode: when set, receives the number of instructions the run executed (also on
  // error). Untouched in fast mode, which does not count.
  uint64_t* executed = nullptr;
};

namespace interp_detail {
// One pre-decoded instruction. `handler` is the fast loop's code for it; the checked loop
// dispatches on Interpreter::ops_ instead, so one image serves both modes (and tail calls
// between them).
struct Slot {
  const void* handler = nullptr;
  uint8_t dst = 0;
  uint8_t src = 0;
  int16_t off = 0;
  int32_t imm = 0;  // immediate, or the jump/call delta in instructions
};
static_assert(sizeof(Slot) == 16);
struct Machine;
uint64_t call_function(const void* program, uint64_t target, uint64_t r1, uint64_t r2, uint64_t r3,
                       uint64_t r4, uint64_t r5);
}  // namespace interp_detail

class Interpreter {
 public:
  // Pre-decodes `insns` (resolved instructions). Errors name the instruction (Location::insn).
  static Result<Interpreter> create(std::span<const isa::Insn> insns, InterpOptions options = {});

  // Runs the program once; returns r0. Errors (checked mode faults, exhausted budget, call depth
  // over 8, a callx to an unknown helper, running off the end) are Errc::kRuntime.
  Result<uint64_t> run(void* ctx, size_t ctx_len, const RunArgs& args = {}) const;

  bool checked() const { return options_.checked; }
  size_t insn_count() const { return ops_.empty() ? 0 : ops_.size() - 1; }
  const InterpOptions& options() const { return options_; }

  Interpreter(Interpreter&&) noexcept = default;
  Interpreter& operator=(Interpreter&&) noexcept = default;
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

 private:
  Interpreter() = default;
  friend struct interp_detail::Machine;
  friend uint64_t interp_detail::call_function(const void*, uint64_t, uint64_t, uint64_t, uint64_t,
                                               uint64_t, uint64_t);
  template <bool>
  friend uint64_t interp_exec(interp_detail::Machine&);

  static constexpr uint32_t kMagic = 0x62706669;  // tells an Interpreter from other engine images
  uint32_t magic_ = kMagic;
  InterpOptions options_;
  std::vector<interp_detail::Slot> code_;  // one per instruction plus an end sentinel
  std::vector<uint8_t> ops_;               // internal op per slot (interp_ops.h)
};

}  // namespace bombus::vm
