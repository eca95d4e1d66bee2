// The x86-64 JIT driver: structural checks, subprogram discovery, frames (prologues and
// epilogues), the per-instruction dispatch, out-of-line fault/stop stubs, and final placement of
// the code in executable memory.
#include "jit/x64/compiler.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "vm/abi.h"

namespace bombus::jit {

using asmjit::Label;

namespace {
constexpr int kOffRs = offsetof(JitRunCtx, rs);
constexpr int kOffSavedRsp = offsetof(JitRunCtx, saved_rsp);
constexpr int kOffDepth = offsetof(JitRunCtx, depth);
constexpr int kOffFault = offsetof(JitRunCtx, fault);
constexpr int kOffFaultInsn = offsetof(JitRunCtx, fault_insn);
constexpr int kOffLoops = offsetof(JitRunCtx, loops);
constexpr int kFrame = isa::kStackSize + 8;  // + 8 keeps rsp 16-byte aligned at calls
constexpr size_t kMaxInsns = 1u << 20;

const ax::Gp kRegs[isa::kNumRegs] = {ax::rax, ax::rdi, ax::rsi, ax::rdx, ax::rcx, ax::r8,
                                     ax::rbx, ax::r13, ax::r14, ax::r15, ax::rbp};

bool writes_dst(isa::OpKind k) {
  using K = isa::OpKind;
  return k == K::AluK || k == K::AluX || k == K::Neg || k == K::End || k == K::Bswap ||
         k == K::Ldx || k == K::Ldxsx || k == K::Lddw;
}
}  // namespace

const ax::Gp& host_reg(int r) {
  return kRegs[r];
}

Compiler::Compiler(std::span<const isa::Insn> insns, const JitOptions& opts)
    : insns_(insns), opts_(opts) {
  if (opts.blind_constants) {
    uint64_t seed = opts.blind_seed;
    if (seed == 0) seed = std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32);
    rng_.emplace(seed);
  }
  bmi2_ = opts.use_bmi2 && asmjit::CpuInfo::host().features().x86().hasBMI2();
}

bool Compiler::err(size_t pc, std::string msg) {
  if (!error_) {
    Location loc;
    loc.program = opts_.name;
    loc.insn = static_cast<int64_t>(pc);
    error_ = make_error(Errc::kInvalid, "jit: " + std::move(msg), std::move(loc));
  }
  return false;
}

// One pass over the program: per-instruction field checks, lddw pairs, and the jump/call
// targets, which are checked against the program's bounds and lddw second halves afterwards.
// Marks is_target_ (jump and call targets) and is_func_ (main and every bpf-to-bpf callee).
bool Compiler::check_structure() {
  const size_t n = insns_.size();
  if (n == 0) return err(0, "empty program");
  if (n > kMaxInsns) return err(0, "program too large (" + std::to_string(n) + " insns)");
  std::vector<uint8_t>& second_half = second_half_;
  second_half.assign(n, 0);
  is_target_.assign(n, 0);
  is_func_.assign(n, 0);
  is_func_[0] = 1;
  struct Ref {
    size_t pc;
    int64_t target;
    bool call;
  };
  std::vector<Ref> refs;
  refs.reserve(n / 4 + 4);
  for (size_t pc = 0; pc < n; ++pc) {
    const isa::Insn& in = insns_[pc];
    const isa::OpKind kind = isa::op_info(in.opcode).kind;
    if (kind == isa::OpKind::kInvalid) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "invalid opcode 0x%02x", in.opcode);
      return err(pc, buf);
    }
    if (in.dst > 10 || in.src > 10) return err(pc, "register number out of range");
    switch (kind) {
      case isa::OpKind::Lddw:
        if (pc + 1 >= n) return err(pc, "lddw is missing its second half");
        if (in.src != 0)
          return err(pc, "unresolved lddw pseudo form (src " + std::to_string(in.src) +
                             "); resolve before jit");
        if (in.dst == isa::kFramePointer) return err(pc, "frame pointer r10 is read-only");
        // A resolved BPF_PSEUDO_FUNC is a plain instruction index: any constant that could be
        // one gets a callback entry (a false positive costs a few bytes of code).
        if (const uint64_t v = isa::lddw_imm64(in, insns_[pc + 1]); v < n) {
          cb_targets_.push_back(static_cast<uint32_t>(v));
        }
        second_half[++pc] = 1;
        break;
      case isa::OpKind::MayGoto:
        if (in.src != 0 || in.dst != 0 || in.imm != 0)
          return err(pc, "invalid may_goto imm " + std::to_string(in.imm));
        has_may_goto_ = true;
        refs.push_back({pc, static_cast<int64_t>(pc) + 1 + in.off, false});
        break;
      case isa::OpKind::Ja:
      case isa::OpKind::JccK:
      case isa::OpKind::JccX:
        refs.push_back({pc, static_cast<int64_t>(pc) + 1 + in.off, false});
        break;
      case isa::OpKind::Jal:
        refs.push_back({pc, static_cast<int64_t>(pc) + 1 + in.imm, false});
        break;
      case isa::OpKind::Call:
        if (in.src == isa::kPseudoCall) {
          refs.push_back({pc, static_cast<int64_t>(pc) + 1 + in.imm, true});
        } else if (in.src == isa::kPseudoCallHelper) {
          // Tail calls (helper 12) go through EngineHooks::tail_call_target.
          if (in.imm != vm::kHelperTailCall &&
              (in.imm < 0 || static_cast<size_t>(in.imm) >= opts_.helpers.size() ||
               opts_.helpers[in.imm] == nullptr)) {
            return err(pc, "call to unknown helper " + std::to_string(in.imm));
          }
        } else {
          return err(pc, "kfunc calls are not supported by the jit");
        }
        break;
      default:
        if (in.dst == isa::kFramePointer && writes_dst(kind))
          return err(pc, "frame pointer r10 is read-only");
        break;
    }
  }
  for (const Ref& r : refs) {
    if (r.target < 0 || r.target >= static_cast<int64_t>(n)) {
      return err(r.pc, "jump/call target " + std::to_string(r.target) + " out of range");
    }
    const auto t = static_cast<size_t>(r.target);
    if (second_half[t]) {
      return err(r.pc, "jump/call target " + std::to_string(r.target) + " is inside an lddw");
    }
    is_target_[t] = 1;
    if (r.call) is_func_[t] = 1;
  }
  std::sort(cb_targets_.begin(), cb_targets_.end());
  cb_targets_.erase(std::unique(cb_targets_.begin(), cb_targets_.end()), cb_targets_.end());
  std::erase_if(cb_targets_, [&](uint32_t t) { return second_half[t] != 0; });
  for (uint32_t t : cb_targets_) is_target_[t] = 1;
  return true;
}

Label Compiler::fault_stub(Fault f, size_t insn) {
  for (const Stub& s : stubs_) {
    if (s.fault == f && s.insn == insn) return s.label;
  }
  Label l = a_->newLabel();
  stubs_.push_back({l, f, insn});
  return l;
}

// Every frame (main or subprogram) has the same shape, so a tail call can replace the program
// running in any frame and its exit still returns correctly.
void Compiler::emit_push_frame() {
  auto& a = *a_;
  a.push(ax::rbp);
  a.push(ax::rbx);
  a.push(ax::r12);
  a.push(ax::r13);
  a.push(ax::r14);
  a.push(ax::r15);
  a.sub(ax::rsp, kFrame);
}

void Compiler::emit_main_prologue() {
  auto& a = *a_;
  emit_push_frame();
  a.mov(ax::r12, ax::rdx);
  a.mov(ax::qword_ptr(ax::r12, kOffSavedRsp), ax::rsp);
  // r1 = ctx and r2 = ctx_len arrive in rdi/rsi; the other registers start at 0.
  a.xor_(ax::eax, ax::eax);
  a.xor_(ax::edx, ax::edx);
  a.xor_(ax::ecx, ax::ecx);
  a.xor_(ax::r8d, ax::r8d);
  a.xor_(ax::ebx, ax::ebx);
  a.xor_(ax::r13d, ax::r13d);
  a.xor_(ax::r14d, ax::r14d);
  a.xor_(ax::r15d, ax::r15d);
  a.bind(tail_entry_);
  // A fresh may_goto budget for the program, also when it is entered by a tail call (the kernel
  // keeps the counter in the function's frame and sets it in the program's prologue).
  if (has_may_goto_) a.mov(ax::qword_ptr(ax::r12, kOffLoops), static_cast<int32_t>(isa::kMaxLoops));
  a.lea(ax::rbp, ax::ptr(ax::rsp, isa::kStackSize));
}

void Compiler::emit_sub_prologue() {
  auto& a = *a_;
  emit_push_frame();
  a.lea(ax::rbp, ax::ptr(ax::rsp, isa::kStackSize));
  a.add(ax::dword_ptr(ax::r12, kOffDepth), 1);
  a.cmp(ax::dword_ptr(ax::r12, kOffDepth), isa::kMaxCallFrames);
}

void Compiler::emit_pop_frame() {
  auto& a = *a_;
  a.add(ax::rsp, kFrame);
  a.pop(ax::r15);
  a.pop(ax::r14);
  a.pop(ax::r13);
  a.pop(ax::r12);
  a.pop(ax::rbx);
  a.pop(ax::rbp);
  a.ret();
}

void Compiler::emit_epilogue_inline() {
  a_->sub(ax::dword_ptr(ax::r12, kOffDepth), 1);
  emit_pop_frame();
}

void Compiler::emit_after_helper() {
  if (!opts_.check_stop) return;
  auto& a = *a_;
  a.mov(ax::r11, ax::qword_ptr(ax::r12, kOffRs));
  a.cmp(ax::byte_ptr(ax::r11, offsetof(vm::RunState, stop)), 0);
  a.jne(stop_stub_);
}

// Per callback target T: a CallbackFn (rdi = JitRunCtx*, rsi,rdx,rcx,r8,r9 = r1..r5) with the
// main frame's shape, which saves its rsp as the unwind point and calls a subprogram entry
// (depth check, then a jump to T's body). The subprogram's exit returns here; a fault or stop
// inside unwinds here too, and jit_call_function restores the outer run's unwind point.
void Compiler::emit_callback_entries() {
  auto& a = *a_;
  for (uint32_t t : cb_targets_) {
    Label entry = a.newLabel(), body = a.newLabel();
    cb_labels_.push_back(entry);
    a.bind(entry);
    emit_push_frame();
    a.mov(ax::r12, ax::rdi);
    a.mov(ax::qword_ptr(ax::r12, kOffSavedRsp), ax::rsp);
    a.mov(ax::rdi, ax::rsi);
    a.mov(ax::rsi, ax::rdx);
    a.mov(ax::rdx, ax::rcx);
    a.mov(ax::rcx, ax::r8);
    a.mov(ax::r8, ax::r9);
    a.call(body);
    emit_pop_frame();
    a.bind(body);
    emit_sub_prologue();
    a.ja(fault_stub(Fault::kCallDepth, t));
    a.jmp(label_at(t));
  }
}

void Compiler::emit_stubs() {
  auto& a = *a_;
  a.bind(stop_stub_);
  a.mov(ax::rax, ax::qword_ptr(ax::r11, offsetof(vm::RunState, stop_value)));
  a.jmp(unwind_);
  a.bind(pkt_fail_);
  a.xor_(ax::eax, ax::eax);
  a.bind(unwind_);
  a.mov(ax::rsp, ax::qword_ptr(ax::r12, kOffSavedRsp));
  emit_pop_frame();
  for (const Stub& s : stubs_) {
    a.bind(s.label);
    a.mov(ax::dword_ptr(ax::r12, kOffFault), static_cast<uint32_t>(s.fault));
    a.mov(ax::qword_ptr(ax::r12, kOffFaultInsn), static_cast<int32_t>(s.insn));
    a.xor_(ax::eax, ax::eax);
    a.jmp(unwind_);
  }
}

void Compiler::mov_imm64(const ax::Gp& dst, uint64_t value) {
  auto& a = *a_;
  if (!blinding()) {
    if (value <= 0xffffffffu) {
      a.mov(dst.r32(), static_cast<uint32_t>(value));  // 5 bytes, zero-extends
    } else if (static_cast<int64_t>(value) >= INT32_MIN && static_cast<int64_t>(value) < 0) {
      a.mov(dst, static_cast<int64_t>(value));  // sign-extended imm32
    } else {
      a.mov(dst, value);
    }
    return;
  }
  const uint64_t key = (*rng_)();
  a.mov(dst, value ^ key);
  a.mov(ax::r11, key);
  a.xor_(dst, ax::r11);
}

void Compiler::load_imm_r11(int32_t imm, bool is64) {
  auto& a = *a_;
  if (!blinding()) {
    if (is64) {
      a.mov(ax::r11, static_cast<int64_t>(imm));
    } else {
      a.mov(ax::r11d, static_cast<uint32_t>(imm));
    }
    return;
  }
  const int32_t key = static_cast<int32_t>((*rng_)());
  if (is64) {
    // sext(imm ^ key) ^ sext(key) == sext(imm)
    a.mov(ax::r11, static_cast<int64_t>(imm ^ key));
    a.xor_(ax::r11, key);
  } else {
    a.mov(ax::r11d, static_cast<uint32_t>(imm ^ key));
    a.xor_(ax::r11d, key);
  }
}

bool Compiler::emit_insn(size_t pc) {
  const isa::Insn& in = insns_[pc];
  auto& a = *a_;
  using K = isa::OpKind;
  switch (isa::op_info(in.opcode).kind) {
    case K::AluK:
    case K::AluX:
    case K::Neg:
      return emit_alu(pc, in);
    case K::End:
    case K::Bswap:
      return emit_end(pc, in);
    case K::Ldx:
      return emit_ldx(in, false);
    case K::Ldxsx:
      return emit_ldx(in, true);
    case K::St:
      return emit_st(in);
    case K::Stx:
      return emit_stx(in);
    case K::Atomic:
      return emit_atomic(pc, in);
    case K::Lddw:
      mov_imm64(host_reg(in.dst), isa::lddw_imm64(in, insns_[pc + 1]));
      return true;
    case K::LdAbs:
    case K::LdInd:
      return emit_ld_pkt(pc, in);
    case K::Ja:
    case K::Jal: {
      const int64_t off = isa::op_info(in.opcode).kind == K::Jal ? in.imm : in.off;
      if (off != 0) a.jmp(label_at(pc + 1 + off));
      return true;
    }
    case K::JccK:
    case K::JccX:
      return emit_jcc(pc, in);
    case K::MayGoto:  // budget exhausted: jump; otherwise spend one and fall through
      a.cmp(ax::qword_ptr(ax::r12, kOffLoops), 0);
      a.je(label_at(pc + 1 + in.off));
      a.sub(ax::qword_ptr(ax::r12, kOffLoops), 1);
      return true;
    case K::Call:
      if (in.src == isa::kPseudoCall && has_may_goto_) {
        // The callee gets a budget of its own; the caller's is back when it returns (the
        // kernel's per-frame counter). 16 bytes keep rsp aligned.
        a.sub(ax::rsp, 16);
        a.mov(ax::r11, ax::qword_ptr(ax::r12, kOffLoops));
        a.mov(ax::qword_ptr(ax::rsp), ax::r11);
        a.mov(ax::qword_ptr(ax::r12, kOffLoops), static_cast<int32_t>(isa::kMaxLoops));
        emit_call(pc, in);
        a.mov(ax::r11, ax::qword_ptr(ax::rsp));
        a.mov(ax::qword_ptr(ax::r12, kOffLoops), ax::r11);
        a.add(ax::rsp, 16);
        return true;
      }
      return emit_call(pc, in);
    case K::Callx:
      return emit_callx(pc, in);
    case K::Exit:
      emit_epilogue_inline();
      return true;
    case K::kInvalid:
      break;
  }
  return err(pc, "unsupported instruction");
}

Result<std::unique_ptr<JitProgram>> Compiler::compile() {
  if (!check_structure()) return *error_;
  const size_t n = insns_.size();

  code_.init(asmjit::Environment::host());
  code_.setErrorHandler(&sink_);
  code_.reserveBuffer(&code_.textSection()->buffer(), n * 8 + 512);  // no regrowth copies
  raw::Assembler assembler(&code_);
  a_ = &assembler;
  auto& a = assembler;

  labels_.resize(n);
  func_entry_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (is_target_[i]) labels_[i] = a.newLabel().id();
    if (is_func_[i]) func_entry_[i] = a.newLabel().id();
  }
  unwind_ = a.newLabel();
  tail_entry_ = a.newLabel();
  pkt_fail_ = a.newLabel();
  stop_stub_ = a.newLabel();
  offsets_.assign(n + 1, 0);

  prog_.reset(new JitProgram());
  prog_->helpers_.assign(opts_.helpers.begin(), opts_.helpers.end());
  prog_->name_ = opts_.name;

  bool prev_ends_flow = false;
  for (size_t pc = 0; pc < n; ++pc) {
    if (is_func_[pc]) {
      if (pc != 0 && !prev_ends_flow) a.jmp(fault_stub(Fault::kFellOffEnd, pc - 1));
      offsets_[pc] = static_cast<uint32_t>(a.offset());
      a.bind(Label(func_entry_[pc]));
      if (pc == 0) {
        emit_main_prologue();
      } else {
        emit_sub_prologue();
        a.ja(fault_stub(Fault::kCallDepth, pc));
      }
      prog_->functions_.push_back(static_cast<uint32_t>(pc));
    } else {
      offsets_[pc] = static_cast<uint32_t>(a.offset());
    }
    if (is_target_[pc]) a.bind(label_at(pc));
    const isa::Insn& in = insns_[pc];
    if (emit_fast(in)) {
      prev_ends_flow = false;
      continue;
    }
    if (!emit_insn(pc)) return *error_;
    const isa::OpKind kind = isa::op_info(in.opcode).kind;
    prev_ends_flow =
        kind == isa::OpKind::Exit || kind == isa::OpKind::Ja || kind == isa::OpKind::Jal;
    if (isa::is_lddw(in)) {
      ++pc;
      offsets_[pc] = static_cast<uint32_t>(a.offset());
    }
    if (sink_.first != asmjit::kErrorOk) break;
  }
  offsets_[n] = static_cast<uint32_t>(a.offset());
  if (!prev_ends_flow) a.jmp(fault_stub(Fault::kFellOffEnd, n - 1));
  emit_callback_entries();
  emit_stubs();
  if (sink_.first != asmjit::kErrorOk) {
    return make_error(Errc::kInvalid, "jit: code generation failed: " + sink_.message,
                      Location{.program = opts_.name});
  }

  if (code_.flatten() != asmjit::kErrorOk || code_.resolveUnresolvedLinks() != asmjit::kErrorOk) {
    return make_error(Errc::kInvalid, "jit: could not lay out code",
                      Location{.program = opts_.name});
  }
  const size_t size = code_.codeSize();
  auto mem = ExecMemory::create(size, [&](uint8_t* dst) -> Status {
    if (code_.relocateToBase(reinterpret_cast<uint64_t>(dst)) != asmjit::kErrorOk) {
      return make_error(Errc::kInvalid, "jit: relocation failed");
    }
    code_.copyFlattenedData(dst, size, asmjit::CopySectionFlags::kPadTargetBuffer);
    return {};
  });
  if (!mem.ok()) return mem.error();
  prog_->mem_ = std::move(mem).value();
  prog_->entry_ = reinterpret_cast<JitFn>(const_cast<uint8_t*>(prog_->mem_->data()));
  prog_->tail_entry_ = prog_->mem_->data() + code_.labelOffsetFromBase(tail_entry_);
  for (size_t i = 0; i < cb_targets_.size(); ++i) {
    prog_->callbacks_.emplace_back(
        cb_targets_[i], reinterpret_cast<CallbackFn>(const_cast<uint8_t*>(
                            prog_->mem_->data() + code_.labelOffsetFromBase(cb_labels_[i]))));
  }
  prog_->hooks_ = opts_.hooks;
  prog_->hooks_.call_function = jit_call_function;
  prog_->state_template_.program = prog_.get();
  prog_->state_template_.hooks = prog_->hooks_;
  prog_->offsets_ = std::move(offsets_);
  prog_->insns_.assign(insns_.begin(), insns_.end());
  a_ = nullptr;
  return std::move(prog_);
}

}  // namespace bombus::jit
