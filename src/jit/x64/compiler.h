// Internal: the x86-64 code generator. One Compiler per compile() call; the work is split by
// instruction class over compiler.cc (driver, frames, calls), emit_alu.cc and emit_mem.cc.
//
// Register mapping (System V): r0=rax r1=rdi r2=rsi r3=rdx r4=rcx r5=r8 (the helper argument
// registers, so a helper call needs no moves), r6..r9 = rbx r13 r14 r15 (callee-saved: they
// survive helper calls for free), r10 = rbp. Scratch: r9 r10 r11. r12 holds the JitRunCtx*.
//
// Frames: every function (main or subprogram) pushes rbp rbx r12 r13 r14 r15 and reserves
// 512+8 bytes; rbp = top of the frame's 512-byte stack. One frame shape means a tail call can
// replace the program in any frame. The main frame's rsp is saved in the JitRunCtx so a
// stop/fault deep in a call chain can unwind.
#pragma once

#ifndef ASMJIT_STATIC
#define ASMJIT_STATIC
#endif
#include <asmjit/x86.h>

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "jit/jit.h"
#include "jit/x64/raw_encoder.h"

namespace bombus::jit {

namespace ax = asmjit::x86;

class Compiler {
 public:
  Compiler(std::span<const isa::Insn> insns, const JitOptions& opts);
  Result<std::unique_ptr<JitProgram>> compile();

 private:
  struct ErrorSink : asmjit::ErrorHandler {
    asmjit::Error first = asmjit::kErrorOk;
    std::string message;
    void handleError(asmjit::Error err, const char* msg, asmjit::BaseEmitter*) override {
      if (first == asmjit::kErrorOk) {
        first = err;
        message = msg;
      }
    }
  };
  struct Stub {
    asmjit::Label label;
    Fault fault;
    size_t insn;
  };

  bool check_structure();
  bool emit_insn(size_t pc);
  asmjit::Label label_at(size_t pc) const { return asmjit::Label(labels_[pc]); }
  bool emit_fast(const isa::Insn& in);  // emit_fast.cc; false: use emit_insn
  void emit_push_frame();
  void emit_pop_frame();
  void emit_main_prologue();
  void emit_sub_prologue();
  void emit_epilogue_inline();
  void emit_stubs();
  void emit_callback_entries();

  // emit_alu.cc
  bool emit_alu(size_t pc, const isa::Insn& in);
  bool emit_alu_raw(const isa::Insn& in, bool is64, bool is_k, int op);
  void emit_divmod(const isa::Insn& in, bool is64, bool is_k, bool is_signed, bool is_mod);
  void emit_shift(const isa::Insn& in, bool is64, bool is_k, int op);
  bool emit_end(size_t pc, const isa::Insn& in);
  // emit_mem.cc
  bool emit_ldx(const isa::Insn& in, bool sign);
  bool emit_probe_ldx(const isa::Insn& in, bool sign);  // emit_probe.cc: PROBE_MEM loads
  bool emit_st(const isa::Insn& in);
  bool emit_stx(const isa::Insn& in);
  bool emit_atomic(size_t pc, const isa::Insn& in);
  bool emit_jcc(size_t pc, const isa::Insn& in);
  bool emit_call(size_t pc, const isa::Insn& in);
  // emit_inline.cc
  bool try_inline_call(size_t pc, const isa::Insn& in);
  std::optional<uint64_t> r1_constant_at(size_t pc) const;
  bool emit_callx(size_t pc, const isa::Insn& in);
  void emit_after_helper();
  bool emit_tail_call(size_t pc);
  bool emit_ld_pkt(size_t pc, const isa::Insn& in);

  // Loads a (possibly blinded) 32-bit immediate, sign-extended to 64 bits, into r11.
  void load_imm_r11(int32_t imm, bool is64);
  void mov_imm64(const ax::Gp& dst, uint64_t value);
  asmjit::Label fault_stub(Fault f, size_t insn);
  // Records the first error (error_) and returns false; emitters return true when fine.
  bool err(size_t pc, std::string msg);
  bool blinding() const { return opts_.blind_constants; }

  std::span<const isa::Insn> insns_;
  const JitOptions& opts_;
  std::unique_ptr<JitProgram> prog_;
  std::optional<Error> error_;
  asmjit::CodeHolder code_;
  ErrorSink sink_;
  raw::Assembler* a_ = nullptr;
  std::vector<uint32_t> labels_;      // asmjit label id per insn that is a jump target
  std::vector<uint8_t> is_target_;    // 1: a jump or call lands here
  std::vector<uint32_t> func_entry_;  // label id per insn (valid where is_func_)
  std::vector<uint8_t> second_half_;  // 1: second slot of an lddw
  std::vector<uint8_t> is_func_;      // 1: main (0) or a bpf-to-bpf callee
  std::vector<uint32_t> offsets_;
  std::vector<Stub> stubs_;
  std::vector<uint32_t> cb_targets_;      // possible callback targets (sorted, unique)
  std::vector<asmjit::Label> cb_labels_;  // their native entries (CallbackFn)
  asmjit::Label unwind_;                  // rax = result; restores the main frame and returns
  asmjit::Label stop_stub_;               // r11 = RunState*
  asmjit::Label tail_entry_;              // body start for tail calls into this program
  bool has_may_goto_ = false;             // a may_goto anywhere: budgets per function call
  asmjit::Label pkt_fail_;                // a legacy packet load failed: end the run with r0 = 0
  bool bmi2_ = false;
  std::optional<std::mt19937_64> rng_;  // blinding only (seeding one costs ~1 us)
};

// Host register holding eBPF register r (0..10), and its hardware number.
const ax::Gp& host_reg(int r);
inline int host_code(int r) {
  static constexpr int kCodes[isa::kNumRegs] = {0, 7, 6, 2, 1, 8, 3, 13, 14, 15, 5};
  return kCodes[r];
}

}  // namespace bombus::jit
