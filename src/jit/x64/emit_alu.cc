// ALU and ALU64 instructions: arithmetic, logic, shifts, division (with the eBPF rules for zero
// and INT_MIN / -1), movsx, neg and the byte-order instructions. 32-bit forms use 32-bit x86
// operations, whose writes zero the upper half for free (the eBPF ALU32 rule).
#include "jit/x64/compiler.h"

namespace bombus::jit {

using asmjit::Label;

namespace {
ax::Gp sized(const ax::Gp& r, bool is64) {
  return is64 ? ax::Gp(r.r64()) : ax::Gp(r.r32());
}
enum : int {
  kAdd = 0x00,
  kSub = 0x10,
  kMul = 0x20,
  kDiv = 0x30,
  kOr = 0x40,
  kAnd = 0x50,
  kLsh = 0x60,
  kRsh = 0x70,
  kNeg = 0x80,
  kMod = 0x90,
  kXor = 0xa0,
  kMov = 0xb0,
  kArsh = 0xc0,
};
}  // namespace

// The common forms straight into the buffer (raw_encoder.h); false when the form is not one of
// them (or the buffer must grow first) and asmjit should encode it.
bool Compiler::emit_alu_raw(const isa::Insn& in, bool is64, bool is_k, int op) {
  if (is_k && blinding()) return false;
  raw::Alu kind;
  switch (op) {
    case kAdd:
      kind = raw::Alu::kAdd;
      break;
    case kSub:
      kind = raw::Alu::kSub;
      break;
    case kOr:
      kind = raw::Alu::kOr;
      break;
    case kAnd:
      kind = raw::Alu::kAnd;
      break;
    case kXor:
      kind = raw::Alu::kXor;
      break;
    case kMov:
      if (in.off != 0) return false;  // movsx
      kind = raw::Alu::kMov;
      break;
    case kMul:
      kind = raw::Alu::kCmp;  // unused: imul has its own encoders
      break;
    default:
      return false;
  }
  uint8_t* p = a_->raw_begin();
  if (p == nullptr) return false;
  const int d = host_code(in.dst);
  if (op == kMul) {
    is_k ? raw::imul_ri(p, is64, d, in.imm) : raw::imul_rr(p, is64, d, host_code(in.src));
  } else if (!is_k) {
    raw::alu_rr(p, kind, is64, d, host_code(in.src));
  } else if (op == kMov) {
    if (is64 && in.imm < 0) {
      raw::mov_r64_simm(p, d, in.imm);
    } else {
      raw::mov_r32_imm(p, d, static_cast<uint32_t>(in.imm));  // zero-extends
    }
  } else {
    raw::alu_ri(p, kind, is64, d, in.imm);
  }
  a_->raw_end(p);
  return true;
}

bool Compiler::emit_alu(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  const bool is64 = isa::insn_class(in.opcode) == isa::kClassAlu64;
  bool is_k = (in.opcode & isa::kSrcX) == 0;
  const int op = in.opcode & 0xf0;
  const ax::Gp d = sized(host_reg(in.dst), is64);

  if (op == kNeg) {
    a.neg(d);
    return true;
  }
  if (op == kDiv || op == kMod) {
    if (in.off != 0 && in.off != 1) return err(pc, "div/mod offset must be 0 or 1");
    emit_divmod(in, is64, is_k, in.off == 1, op == kMod);
    return true;
  }
  if (op == kLsh || op == kRsh || op == kArsh) {
    emit_shift(in, is64, is_k, op);
    return true;
  }
  if (op == kMov && !is_k && in.off != 0) {
    const ax::Gp& s = host_reg(in.src);
    switch (in.off) {
      case 8:
        a.movsx(d, s.r8());
        return true;
      case 16:
        a.movsx(d, s.r16());
        return true;
      case 32:
        if (!is64) break;
        a.movsxd(d, s.r32());
        return true;
      default:
        break;
    }
    return err(pc, "invalid movsx offset " + std::to_string(in.off));
  }
  if (emit_alu_raw(in, is64, is_k, op)) return true;
  if (op == kMov && is_k && !blinding()) {
    if (is64 && in.imm < 0) {
      a.mov(d, static_cast<int64_t>(in.imm));
    } else if (is64) {
      a.mov(d.r32(), static_cast<uint32_t>(in.imm));  // shorter; zero-extends
    } else {
      a.mov(d, static_cast<uint32_t>(in.imm));
    }
    return true;
  }

  ax::Gp s;
  if (is_k && blinding()) {
    load_imm_r11(in.imm, is64);
    s = sized(ax::r11, is64);
    is_k = false;
  } else if (!is_k) {
    s = sized(host_reg(in.src), is64);
  }
  const int32_t imm = in.imm;
  switch (op) {
    case kAdd:
      is_k ? a.add(d, imm) : a.add(d, s);
      break;
    case kSub:
      is_k ? a.sub(d, imm) : a.sub(d, s);
      break;
    case kOr:
      is_k ? a.or_(d, imm) : a.or_(d, s);
      break;
    case kAnd:
      is_k ? a.and_(d, imm) : a.and_(d, s);
      break;
    case kXor:
      is_k ? a.xor_(d, imm) : a.xor_(d, s);
      break;
    case kMul:
      is_k ? a.imul(d, d, imm) : a.imul(d, s);
      break;
    case kMov:
      a.mov(d, s);
      break;
    default:
      return err(pc, "unsupported ALU operation");
  }
  return true;
}

void Compiler::emit_shift(const isa::Insn& in, bool is64, bool is_k, int op) {
  auto& a = *a_;
  const ax::Gp d = sized(host_reg(in.dst), is64);
  auto shift_imm = [&](const ax::Gp& r, int count) {
    if (op == kLsh) a.shl(r, count);
    if (op == kRsh) a.shr(r, count);
    if (op == kArsh) a.sar(r, count);
  };
  auto shift_cl = [&](const ax::Gp& r) {
    if (op == kLsh) a.shl(r, ax::cl);
    if (op == kRsh) a.shr(r, ax::cl);
    if (op == kArsh) a.sar(r, ax::cl);
  };
  if (is_k) {
    // The count is taken modulo the width, like x86 and the interpreter.
    const int count = in.imm & (is64 ? 63 : 31);
    if (count == 0) {
      if (!is64) a.mov(d, d);  // still an ALU32 write: zero the upper half
      return;
    }
    shift_imm(d, count);
    return;
  }
  const ax::Gp s = sized(host_reg(in.src), is64);
  if (bmi2_) {
    if (op == kLsh) a.shlx(d, d, s);
    if (op == kRsh) a.shrx(d, d, s);
    if (op == kArsh) a.sarx(d, d, s);
    return;
  }
  // Without BMI2 the count must be in cl (eBPF r4 lives in rcx).
  if (in.src == 4) {
    shift_cl(d);
    return;
  }
  a.mov(ax::r11, ax::rcx);
  a.mov(ax::rcx, host_reg(in.src));
  if (in.dst == 4) {
    const ax::Gp t = sized(ax::r11, is64);
    shift_cl(t);
    a.mov(ax::rcx, ax::r11);
  } else {
    shift_cl(d);
    a.mov(ax::rcx, ax::r11);
  }
}

// x86 div/idiv use rdx:rax (eBPF r3:r0), so both are saved in r9/r10 around the division and
// the divisor is moved to r11 first. Zero divisors and signed INT_MIN / -1 (which would trap)
// take the eBPF-defined results without dividing.
void Compiler::emit_divmod(const isa::Insn& in, bool is64, bool is_k, bool is_signed, bool is_mod) {
  auto& a = *a_;
  const ax::Gp d = sized(host_reg(in.dst), is64);
  const ax::Gp d32 = host_reg(in.dst).r32();
  const ax::Gp t = sized(ax::r11, is64);
  auto zero_divisor = [&] {
    if (!is_mod) {
      a.xor_(d32, d32);
    } else if (!is64) {
      a.mov(d32, d32);
    }
  };
  auto minus_one_divisor = [&] {
    if (is_mod) {
      a.xor_(d32, d32);
    } else {
      a.neg(d);
    }
  };
  Label done = a.newLabel();
  if (is_k) {
    if (in.imm == 0) {
      zero_divisor();
      return;
    }
    if (is_signed && in.imm == -1) {
      minus_one_divisor();
      return;
    }
    load_imm_r11(in.imm, is64);
  } else {
    a.mov(t, sized(host_reg(in.src), is64));
    Label nonzero = a.newLabel();
    a.test(t, t);
    a.jnz(nonzero);
    zero_divisor();
    a.jmp(done);
    a.bind(nonzero);
    if (is_signed) {
      Label normal = a.newLabel();
      a.cmp(t, -1);
      a.jne(normal);
      minus_one_divisor();
      a.jmp(done);
      a.bind(normal);
    }
  }
  a.mov(ax::r10, ax::rax);
  a.mov(ax::r9, ax::rdx);
  if (in.dst != 0) a.mov(sized(ax::rax, is64), d);
  if (is_signed) {
    is64 ? a.cqo() : a.cdq();
    a.idiv(t);
  } else {
    a.xor_(ax::edx, ax::edx);
    a.div(t);
  }
  a.mov(t, sized(is_mod ? ax::rdx : ax::rax, is64));
  a.mov(ax::rax, ax::r10);
  a.mov(ax::rdx, ax::r9);
  a.mov(host_reg(in.dst), ax::r11);
  a.bind(done);
}

bool Compiler::emit_end(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  const ax::Gp& r = host_reg(in.dst);
  const bool to_le = in.opcode == 0xd4;
  switch (in.imm) {
    case 16:
      if (!to_le) a.ror(r.r16(), 8);
      a.movzx(r.r32(), r.r16());
      return true;
    case 32:
      if (to_le) {
        a.mov(r.r32(), r.r32());
      } else {
        a.bswap(r.r32());
      }
      return true;
    case 64:
      if (!to_le) a.bswap(r.r64());
      return true;
    default:
      break;
  }
  return err(pc, "invalid byte-swap width " + std::to_string(in.imm));
}

}  // namespace bombus::jit
