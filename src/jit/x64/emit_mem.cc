// Memory, atomic, jump and call instructions.
#include "jit/x64/compiler.h"
#include "vm/probe_mem.h"

namespace bombus::jit {

using asmjit::Label;

namespace {
ax::Mem mem_of(const isa::Insn& in, int base_reg) {
  const int bytes = isa::size_bytes(in.opcode);
  return ax::ptr(host_reg(base_reg), in.off, static_cast<uint32_t>(bytes));
}
ax::Gp part(const ax::Gp& r, int bytes) {
  switch (bytes) {
    case 1:
      return r.r8();
    case 2:
      return r.r16();
    case 4:
      return r.r32();
    default:
      return r.r64();
  }
}
}  // namespace

bool Compiler::emit_ldx(const isa::Insn& in, bool sign) {
  if (in.imm == vm::kLdxProbeMemImm) return emit_probe_ldx(in, sign);
  auto& a = *a_;
  if (uint8_t* p = a.raw_begin()) {
    raw::load(p, isa::size_bytes(in.opcode), sign, host_code(in.dst), host_code(in.src), in.off);
    a.raw_end(p);
    return true;
  }
  const ax::Gp& d = host_reg(in.dst);
  const ax::Mem m = mem_of(in, in.src);
  switch (isa::size_bytes(in.opcode)) {
    case 1:
      sign ? a.movsx(d, m) : a.movzx(d.r32(), m);
      break;
    case 2:
      sign ? a.movsx(d, m) : a.movzx(d.r32(), m);
      break;
    case 4:
      sign ? a.movsxd(d, m) : a.mov(d.r32(), m);
      break;
    default:
      a.mov(d, m);
      break;
  }
  return true;
}

bool Compiler::emit_st(const isa::Insn& in) {
  auto& a = *a_;
  const int bytes = isa::size_bytes(in.opcode);
  const ax::Mem m = mem_of(in, in.dst);
  if (blinding()) {
    load_imm_r11(in.imm, true);
    a.mov(m, part(ax::r11, bytes));
    return true;
  }
  if (uint8_t* p = a.raw_begin()) {
    raw::store_imm(p, bytes, host_code(in.dst), in.off, in.imm);
    a.raw_end(p);
    return true;
  }
  switch (bytes) {
    case 1:
      a.mov(m, static_cast<int8_t>(in.imm));
      break;
    case 2:
      a.mov(m, static_cast<int16_t>(in.imm));
      break;
    default:
      a.mov(m, in.imm);
      break;  // qword: imm32 sign-extended, as eBPF defines
  }
  return true;
}

bool Compiler::emit_stx(const isa::Insn& in) {
  const int bytes = isa::size_bytes(in.opcode);
  if (uint8_t* p = a_->raw_begin()) {
    raw::store(p, bytes, host_code(in.src), host_code(in.dst), in.off);
    a_->raw_end(p);
    return true;
  }
  a_->mov(mem_of(in, in.dst), part(host_reg(in.src), bytes));
  return true;
}

// Atomics. add/or/and/xor without fetch map to one locked instruction; fetch-add is xadd,
// xchg is xchg; fetch-or/and/xor need a cmpxchg loop (which needs rax = eBPF r0, saved in r10);
// cmpxchg maps directly since eBPF also compares with r0.
bool Compiler::emit_atomic(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  const bool is64 = isa::size_bytes(in.opcode) == 8;
  if (!is64 && isa::size_bytes(in.opcode) != 4) return err(pc, "atomic size must be 4 or 8");
  const int bytes = is64 ? 8 : 4;
  const ax::Gp s = part(host_reg(in.src), bytes);
  const ax::Mem m = mem_of(in, in.dst);
  const int base_op = in.imm & ~isa::kAtomicFetch;
  const bool fetch = (in.imm & isa::kAtomicFetch) != 0;

  if (in.imm == isa::kAtomicXchg) {
    a.xchg(m, s);
    return true;
  }
  if (in.imm == isa::kAtomicCmpxchg) {
    a.lock().cmpxchg(m, s);
    if (!is64) a.mov(ax::eax, ax::eax);  // r0 = zero-extended old value even on success
    return true;
  }
  if (base_op != isa::kAtomicAdd && base_op != isa::kAtomicOr && base_op != isa::kAtomicAnd &&
      base_op != isa::kAtomicXor) {
    return err(pc, "invalid atomic operation " + std::to_string(in.imm));
  }
  if (!fetch) {
    switch (base_op) {
      case isa::kAtomicAdd:
        a.lock().add(m, s);
        break;
      case isa::kAtomicOr:
        a.lock().or_(m, s);
        break;
      case isa::kAtomicAnd:
        a.lock().and_(m, s);
        break;
      default:
        a.lock().xor_(m, s);
        break;
    }
    return true;
  }
  if (base_op == isa::kAtomicAdd) {
    a.lock().xadd(m, s);
    return true;
  }
  // cmpxchg loop: r9 = address, r10 = saved rax, r11 = new value, rax = old value.
  const ax::Gp old = part(ax::rax, bytes);
  const ax::Gp nv = part(ax::r11, bytes);
  const ax::Mem at = ax::ptr(ax::r9, 0, static_cast<uint32_t>(bytes));
  a.lea(ax::r9, ax::ptr(host_reg(in.dst), in.off));
  a.mov(ax::r10, ax::rax);
  const ax::Gp operand = in.src == 0 ? part(ax::r10, bytes) : s;
  a.mov(old, at);
  Label retry = a.newLabel();
  a.bind(retry);
  a.mov(nv, old);
  switch (base_op) {
    case isa::kAtomicOr:
      a.or_(nv, operand);
      break;
    case isa::kAtomicAnd:
      a.and_(nv, operand);
      break;
    default:
      a.xor_(nv, operand);
      break;
  }
  a.lock().cmpxchg(at, nv);
  a.jnz(retry);
  if (in.src == 0) {
    if (!is64) a.mov(ax::eax, ax::eax);
  } else {
    a.mov(s, old);  // 32-bit move zero-extends
    a.mov(ax::rax, ax::r10);
  }
  return true;
}

bool Compiler::emit_jcc(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  const bool is64 = isa::insn_class(in.opcode) == isa::kClassJmp;
  const bool is_k = (in.opcode & isa::kSrcX) == 0;
  const int op = in.opcode & 0xf0;
  const size_t target = pc + 1 + in.off;
  const ax::Gp d = is64 ? ax::Gp(host_reg(in.dst).r64()) : ax::Gp(host_reg(in.dst).r32());
  ax::Gp s;
  bool use_imm = is_k;
  if (is_k && blinding()) {
    load_imm_r11(in.imm, is64);
    s = is64 ? ax::Gp(ax::r11) : ax::Gp(ax::r11d);
    use_imm = false;
  } else if (!is_k) {
    s = is64 ? ax::Gp(host_reg(in.src).r64()) : ax::Gp(host_reg(in.src).r32());
  }
  ax::CondCode cc;
  switch (op) {
    case 0x10:
      cc = ax::CondCode::kE;
      break;
    case 0x20:
      cc = ax::CondCode::kA;
      break;
    case 0x30:
      cc = ax::CondCode::kAE;
      break;
    case 0x40:
      cc = ax::CondCode::kNZ;
      break;
    case 0x50:
      cc = ax::CondCode::kNE;
      break;
    case 0x60:
      cc = ax::CondCode::kG;
      break;
    case 0x70:
      cc = ax::CondCode::kGE;
      break;
    case 0xa0:
      cc = ax::CondCode::kB;
      break;
    case 0xb0:
      cc = ax::CondCode::kBE;
      break;
    case 0xc0:
      cc = ax::CondCode::kL;
      break;
    case 0xd0:
      cc = ax::CondCode::kLE;
      break;
    default:
      return err(pc, "invalid conditional jump");
  }
  if (target == pc + 1) return true;  // both outcomes continue at the next instruction
  if (uint8_t* p = a.raw_begin()) {
    const int dc = host_code(in.dst);
    const int sc = use_imm ? 0 : (is_k ? 11 : host_code(in.src));  // r11 holds a blinded imm
    if (op == 0x40) {
      if (use_imm) {
        p = nullptr;  // test r/m, imm32 has no raw form here
      } else {
        raw::alu_rr(p, raw::Alu::kTest, is64, dc, sc);
      }
    } else if (use_imm && in.imm == 0 && (op == 0x10 || op == 0x50)) {
      raw::alu_rr(p, raw::Alu::kTest, is64, dc, dc);
    } else if (use_imm) {
      raw::alu_ri(p, raw::Alu::kCmp, is64, dc, in.imm);
    } else {
      raw::alu_rr(p, raw::Alu::kCmp, is64, dc, sc);
    }
    if (p != nullptr) {
      a.raw_end(p);
      a.j(cc, label_at(target));
      return true;
    }
  }
  if (op == 0x40) {
    use_imm ? a.test(d, in.imm) : a.test(d, s);
  } else if (use_imm && in.imm == 0 && (op == 0x10 || op == 0x50)) {
    a.test(d, d);
  } else {
    use_imm ? a.cmp(d, in.imm) : a.cmp(d, s);
  }
  a.j(cc, label_at(target));
  return true;
}

bool Compiler::emit_call(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  if (in.src == isa::kPseudoCall) {
    a.call(Label(func_entry_[pc + 1 + in.imm]));
    return true;
  }
  if (in.imm == vm::kHelperTailCall) return emit_tail_call(pc);
  if (try_inline_call(pc, in)) return true;
  // Helper arguments r1..r5 already sit in rdi rsi rdx rcx r8; the result lands in rax = r0.
  a.mov(ax::rax, reinterpret_cast<uint64_t>(opts_.helpers[in.imm]));
  a.call(ax::rax);
  emit_after_helper();
  return true;
}

// callx: the register holds a helper id (as in the conformance suite's callx test). LLVM puts
// the register in dst; older encoders used imm, which is accepted when dst is r0.
bool Compiler::emit_callx(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  int reg = in.dst;
  if (reg == 0 && in.imm > 0 && in.imm <= 10) reg = in.imm;
  const Label bad = fault_stub(Fault::kBadCallx, pc);
  a.mov(ax::r11, host_reg(reg));
  a.cmp(ax::r11, static_cast<int32_t>(prog_->helpers_.size()));
  a.jae(bad);
  a.mov(ax::r10, reinterpret_cast<uint64_t>(prog_->helpers_.data()));
  a.mov(ax::r11, ax::qword_ptr(ax::r10, ax::r11, 3));
  a.test(ax::r11, ax::r11);
  a.jz(bad);
  a.call(ax::r11);
  emit_after_helper();
  return true;
}

}  // namespace bombus::jit
