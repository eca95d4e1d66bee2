// The eBPF JIT: compiles a program's *resolved* instructions (no lddw pseudo forms left, see
// vm/abi.h) into native x86-64 code and runs it under the same calling convention as the
// interpreter: r1 = context pointer, r10 = top of a 512-byte stack per call frame, helpers are
// plain C functions taken from a table indexed by helper id, helper state is the thread's
// vm::RunState. Code is held in ExecMemory (never writable and executable at once).
//
// compile() checks structure it depends on (opcodes, registers, jump and call targets, helper
// ids present in the table) and reports problems with the instruction index; it does not verify
// safety: the JIT runs what it is given, like the kernel's JIT runs verified code.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "jit/exec_memory.h"
#include "vm/abi.h"

namespace bombus::vm {
class Map;
}

namespace bombus::jit {

struct JitOptions {
  // Helper implementations indexed by helper id; a null entry means "no such helper" (a call to
  // it is a compile error; callx to it is a runtime fault).
  std::span<const vm::HelperFn> helpers;
  // Constant blinding for untrusted programs: immediates never appear verbatim in the code.
  bool blind_constants = false;
  uint64_t blind_seed = 0;  // 0: random per compile
  // Check RunState::stop after every helper call (a helper can ask the program to stop).
  bool check_stop = true;
  // Use BMI2 shlx/shrx/sarx when the CPU has it.
  bool use_bmi2 = true;
  // Tail-call and packet-data hooks, copied into the RunState of every run (see vm/abi.h).
  // tail_call_target must return a `const jit::JitProgram*` for this engine.
  vm::EngineHooks hooks;
  std::string name;  // program name, for error locations
  // Helper inlining, exact by construction: only where the table entry is the runtime's own
  // implementation (vm::helper_table()), so a custom table is always called.
  //  - bpf_map_lookup_elem (1) whose r1 is an lddw constant naming a plain array map listed in
  //    `maps` becomes a bounds check and an address computation (r0 = values + key * stride,
  //    or 0 when key >= max_entries), exactly what the array map's lookup() returns;
  //  - bpf_get_smp_processor_id (8) becomes a load of RunState::cpu.
  bool inline_helpers = true;
  // Maps the program's lddw constants may point at (the JIT never dereferences a constant that
  // is not one of these). Must outlive the compiled program.
  std::span<vm::Map* const> maps;
};

// Why a run ended early (reported by JitProgram::run_checked).
enum class Fault : uint32_t {
  kNone = 0,
  kCallDepth = 1,      // more than 8 nested bpf-to-bpf frames
  kBadCallx = 2,       // callx to an id with no helper
  kFellOffEnd = 3,     // control reached past the last instruction
  kBadTailTarget = 4,  // the tail-call hook returned something that is not a JitProgram
  kBadCallback = 5,    // a callback helper named an instruction that is no callback entry
};

// State shared by the generated code and the C++ run() wrapper during one run. Layout is
// fixed: the generated code addresses the fields by offset.
struct JitRunCtx {
  vm::RunState* rs = nullptr;       // +0
  uint64_t saved_rsp = 0;           // +8   native stack pointer of the main frame (for unwinding)
  uint32_t depth = 0;               // +16  bpf-to-bpf frames in use
  uint32_t fault = 0;               // +20  Fault
  uint64_t fault_insn = 0;          // +24
  uint32_t pkt_fail = 0;            // +32  set by a failed LD_ABS/LD_IND (the run ends with r0 = 0)
  uint32_t in_callback = 0;         // +36  the fault happened inside a callback (call_function)
  uint64_t loops = isa::kMaxLoops;  // +40  may_goto budget of the running function
};

// Entry point: r1 = ctx, r2 = ctx_len, every other register 0 (like the interpreter).
using JitFn = uint64_t (*)(void* ctx, uint64_t ctx_len, JitRunCtx* rc);
// Callback entry (one per possible callback target, see JitProgram::callback_entry): runs the
// function at that instruction on a fresh frame with r1..r5 in the run `rc`, returns its r0. It
// saves rc->saved_rsp itself, so a fault or stop inside the callback unwinds to this entry.
using CallbackFn = uint64_t (*)(JitRunCtx* rc, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                uint64_t r5);

// vm::EngineHooks::call_function of the JIT (installed in every JitProgram's runs): inside a
// JIT run it runs the callback on the run's JitRunCtx (RunState::engine), sharing its frame
// depth (with a may_goto budget of its own); a fault or stop inside makes the run stop (the
// caller's helper loop gets 1). Outside a JIT run (a timer firing) it runs the callback as a fresh
// run.
uint64_t jit_call_function(const void* program, uint64_t target, uint64_t r1, uint64_t r2,
                           uint64_t r3, uint64_t r4, uint64_t r5);

class JitProgram {
 public:
  // Runs once with a fresh RunState (ctx, program = this, runtime, cpu, hooks) made current;
  // returns r0. Faults (call depth over 8, callx to an unknown helper, a bad tail-call target,
  // running off the end) are Errc::kRuntime errors naming the instruction.
  Result<uint64_t> run(void* ctx, size_t ctx_len = 0, void* runtime = nullptr,
                       uint32_t cpu = 0) const;
  // The fast path: like run() without error reporting (a fault returns 0).
  uint64_t call(void* ctx, size_t ctx_len = 0) const;
  // Runs inside the caller's RunState (which this makes current and fills with ctx/hooks).
  uint64_t call(void* ctx, size_t ctx_len, vm::RunState& state, JitRunCtx& rc) const;

  // Raw entry point: state must already be current (vm::RunScope), rc->rs point at it and
  // rc->depth be 1.
  JitFn entry() const { return entry_; }
  // Where a tail call into this program jumps (frame already set up, registers kept).
  const void* tail_entry() const { return tail_entry_; }

  std::span<const uint8_t> code() const { return mem_->bytes(); }
  // Native code offset of each eBPF instruction; size = insn count + 1 (last = end of body).
  // The second half of an lddw has the offset of the next instruction.
  std::span<const uint32_t> insn_offsets() const { return offsets_; }
  std::span<const isa::Insn> insns() const { return insns_; }
  // Start indices of the subprograms (0 = main), sorted.
  std::span<const uint32_t> functions() const { return functions_; }
  const std::string& name() const { return name_; }
  // The native entry for a callback that starts at instruction `insn`, or null. Entries exist
  // for every instruction index an lddw constant names (resolved BPF_PSEUDO_FUNC values are
  // plain instruction indices, so every small lddw constant is taken as a possible target).
  CallbackFn callback_entry(uint64_t insn) const;

 public:
  static constexpr uint32_t kMagic = 0x6a697462;  // tells a JitProgram from other engine images

 private:
  friend class Compiler;
  JitProgram() = default;

  uint32_t magic_ = kMagic;  // first member: read through an untyped engine-image pointer
  std::unique_ptr<ExecMemory> mem_;
  JitFn entry_ = nullptr;
  const void* tail_entry_ = nullptr;
  vm::EngineHooks hooks_;
  // A run's initial RunState (program = this, hooks); copied per run, which is much cheaper
  // than value-initialising a fresh one (a rep stos on the hot path).
  vm::RunState state_template_;
  std::vector<uint32_t> offsets_;
  std::vector<isa::Insn> insns_;
  std::vector<uint32_t> functions_;
  std::vector<std::pair<uint32_t, CallbackFn>> callbacks_;  // sorted by instruction
  std::vector<vm::HelperFn> helpers_;                       // copy the code reads for callx
  std::string name_;

  friend const void* jit_tail_lookup(JitRunCtx* rc, uint64_t map, uint64_t index);
  friend uint64_t jit_call_function(const void*, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                    uint64_t);
};

Result<std::unique_ptr<JitProgram>> compile(std::span<const isa::Insn> resolved,
                                            const JitOptions& options);

}  // namespace bombus::jit
