// ALU instructions: scalar arithmetic through the scalar domain, moves (with scalar id linking so
// a later bounds check on one copy narrows the others), and the kernel's pointer-arithmetic
// rules (which pointer types allow it, unbounded offsets refused, packet pointers getting a new
// identity when a variable offset is added).
#include <cstdio>

#include "verifier/engine.h"
#include "verifier/linked_scalars.h"

namespace bombus::verifier {

using isa::Insn;

namespace {

bool alu_op(uint8_t opcode, int16_t off, AluOp* out, const char** name) {
  switch (opcode & 0xf0) {
    case 0x00:
      *out = AluOp::kAdd, *name = "+=";
      return true;
    case 0x10:
      *out = AluOp::kSub, *name = "-=";
      return true;
    case 0x20:
      *out = AluOp::kMul, *name = "*=";
      return true;
    case 0x30:
      *out = off == 1 ? AluOp::kSdiv : AluOp::kDiv, *name = "/=";
      return true;
    case 0x40:
      *out = AluOp::kOr, *name = "|=";
      return true;
    case 0x50:
      *out = AluOp::kAnd, *name = "&=";
      return true;
    case 0x60:
      *out = AluOp::kLsh, *name = "<<=";
      return true;
    case 0x70:
      *out = AluOp::kRsh, *name = ">>=";
      return true;
    case 0x90:
      *out = off == 1 ? AluOp::kSmod : AluOp::kMod, *name = "%=";
      return true;
    case 0xa0:
      *out = AluOp::kXor, *name = "^=";
      return true;
    case 0xc0:
      *out = AluOp::kArsh, *name = "s>>=";
      return true;
    default:
      return false;
  }
}

uint64_t bswap_n(uint64_t v, int bits) {
  switch (bits) {
    case 16:
      return __builtin_bswap16(static_cast<uint16_t>(v));
    case 32:
      return __builtin_bswap32(static_cast<uint32_t>(v));
    default:
      return __builtin_bswap64(v);
  }
}

}  // namespace

void assign_scalar_id_before_mov(Engine& e, Reg& r) {
  if (r.type != RegType::kScalar) return;
  if (r.id & kIdAddConst) r.id = 0, r.off = 0;
  if (r.id == 0 && !r.var.is_const()) r.id = e.new_id();
}

void link_add_const(Reg& dst, const Reg& src, bool add64) {
  const bool keep = add64 && dst.id != 0 && !(dst.id & kIdAddConst) && src.var.is_const() &&
                    src.var.const_value() <= 0x7fffffffull;
  if (keep) {
    dst.id |= kIdAddConst;
    dst.off = static_cast<int32_t>(src.var.const_value());
  } else {
    dst.id = 0;
    dst.off = 0;
  }
}

bool Engine::do_alu(const Insn& insn) {
  const auto kind = isa::op_info(insn.opcode).kind;
  const bool is64 = isa::insn_class(insn.opcode) == isa::kClassAlu64;
  const bool x = (insn.opcode & isa::kSrcX) != 0;
  const std::string rd = "R" + std::to_string(insn.dst);
  if (insn.dst == isa::kFramePointer) return fail("frame pointer is read only");

  if (kind == isa::OpKind::End || kind == isa::OpKind::Bswap) {
    if (!check_reg_read(insn.dst)) return false;
    Reg& d = reg(insn.dst);
    int bits = insn.imm;
    if (bits != 16 && bits != 32 && bits != 64) return fail("BPF_END uses reserved fields");
    bool swap = kind == isa::OpKind::Bswap || (insn.opcode & isa::kSrcX);  // to-be on little endian
    if (d.type == RegType::kScalar && d.var.is_const()) {
      uint64_t v = d.var.const_value();
      v = swap ? bswap_n(v, bits) : (bits == 64 ? v : v & ((1ull << bits) - 1));
      d = Reg::constant(v);
    } else if (d.type == RegType::kScalar && !swap) {
      Scalar s = d.var;
      s.truncate(bits / 8);
      d = Reg::scalar(s);
    } else {
      d = Reg::scalar(Scalar::unknown_bytes(bits / 8));
    }
    return true;
  }

  if (kind == isa::OpKind::Neg) {
    if (!check_reg_read(insn.dst)) return false;
    Reg& d = reg(insn.dst);
    if (d.type != RegType::kScalar) {
      d = Reg::unknown();
      if (!is64) d.var = Scalar::unknown_bytes(4);
      return true;
    }
    Scalar z = Scalar::constant(0);
    scalar_alu(z, d.var, AluOp::kSub, !is64);
    d = Reg::scalar(z);
    return true;
  }

  // mov
  if ((insn.opcode & 0xf0) == 0xb0) {
    if (!x) {
      reg(insn.dst) = Reg::constant(is64 ? static_cast<uint64_t>(static_cast<int64_t>(insn.imm))
                                         : static_cast<uint32_t>(insn.imm));
      return true;
    }
    if (!check_reg_read(insn.src)) return false;
    Reg& s = reg(insn.src);
    if (insn.off != 0) {  // movsx
      if (insn.off != 8 && insn.off != 16 && insn.off != 32)
        return fail("BPF_MOV uses reserved fields");
      if (s.type != RegType::kScalar) {
        reg(insn.dst) = Reg::unknown();
        return true;
      }
      Scalar v = s.var;
      v.sext(insn.off);
      if (!is64) v.zext32();
      reg(insn.dst) = Reg::scalar(v);
      return true;
    }
    if (is64) {
      assign_scalar_id_before_mov(*this, s);
      reg(insn.dst) = s;
      return true;
    }
    Reg out;
    if (s.type != RegType::kScalar) {
      out = Reg::scalar(Scalar::unknown_bytes(4));
    } else if (s.var.umax <= 0xffffffffull) {
      // `w3 = w2` of a value whose upper half is known zero copies it whole: the two stay
      // linked like a 64-bit move (the kernel's is_src_reg_u32).
      assign_scalar_id_before_mov(*this, s);
      out = s;
    } else {
      Scalar v = s.var;
      v.truncate(4);
      out = Reg::scalar(v);
    }
    reg(insn.dst) = out;
    return true;
  }

  AluOp op;
  const char* opname = "";
  if (!alu_op(insn.opcode, insn.off, &op, &opname)) return fail("invalid BPF_ALU opcode");
  if (!check_reg_read(insn.dst)) return false;
  if (x && !check_reg_read(insn.src)) return false;
  Reg src = x ? reg(insn.src)
              : Reg::constant(is64 ? static_cast<uint64_t>(static_cast<int64_t>(insn.imm))
                                   : static_cast<uint32_t>(insn.imm));
  if (!x) {
    // The kernel refuses a division by the constant zero (selftests use it as a "this path was
    // reached" marker), although the ISA defines the result.
    if ((op == AluOp::kDiv || op == AluOp::kMod || op == AluOp::kSdiv || op == AluOp::kSmod) &&
        insn.imm == 0)
      return fail("div by zero");
    if ((op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) &&
        (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32)))
      return fail("invalid shift " + std::to_string(insn.imm));
  }
  Reg& dst = reg(insn.dst);

  if (dst.type == RegType::kScalar && src.type == RegType::kScalar) {
    scalar_alu(dst.var, src.var, op, !is64);
    link_add_const(dst, src, op == AluOp::kAdd && is64);
    return true;
  }

  // Pointer arithmetic. A subtraction involving pointers gives a number the program may look
  // at but never dereference (the kernel allows it for privileged programs: allow_ptr_leaks).
  if (!is64) {
    if (op == AluOp::kSub) {
      dst = Reg::scalar(Scalar::unknown_bytes(4));
      return true;
    }
    return fail(rd + " 32-bit pointer arithmetic prohibited");
  }
  if (dst.is_pointer() && src.is_pointer()) {
    if (op == AluOp::kSub) {
      dst = Reg::unknown();
      return true;
    }
    if (op == AluOp::kAdd) return fail(rd + " pointer += pointer prohibited");
    return fail(rd + " pointer arithmetic with " + opname + " operator prohibited");
  }
  if (op != AluOp::kAdd && op != AluOp::kSub) {
    if (op == AluOp::kAnd || op == AluOp::kOr || op == AluOp::kXor)
      return fail(rd + " bitwise operator " + opname + " on pointer prohibited");
    return fail(rd + " pointer arithmetic with " + opname + " operator prohibited");
  }
  if (dst.type == RegType::kScalar && op == AluOp::kSub)
    return fail(rd + " tried to subtract pointer from scalar");
  // The kernel refuses any subtraction from a stack pointer (some JITs cannot handle it); the
  // compilers add negative constants instead.
  if (dst.type == RegType::kStack && op == AluOp::kSub)
    return fail(rd + " subtraction from stack pointer prohibited");
  // ptr +/- scalar, or scalar + ptr.
  Reg ptr = dst.is_pointer() ? dst : src;
  const Reg& off_reg = dst.is_pointer() ? src : dst;
  int ptr_regno = dst.is_pointer() ? insn.dst : insn.src;
  const std::string rp = "R" + std::to_string(ptr_regno);
  if (ptr.maybe_null)
    return fail(
        rp + " pointer arithmetic on " + reg_type_name(ptr) + " prohibited, null-check it first",
        "test the pointer against NULL before doing arithmetic on it");
  switch (ptr.type) {
    case RegType::kConstMapPtr:
      // Adding a known zero leaves the map pointer as it is (the kernel allows exactly this).
      if (op == AluOp::kAdd && off_reg.type == RegType::kScalar && off_reg.var.is_const() &&
          off_reg.var.const_value() == 0) {
        dst = ptr;
        return true;
      }
      return fail(rp + " pointer arithmetic on " + reg_type_name(ptr) + " prohibited");
    case RegType::kBtfId:  // kernel structs allow it (loads then need a constant offset)
      if (ptr.sock == SockKind::kNone) break;
      return fail(rp + " pointer arithmetic on " + reg_type_name(ptr) + " prohibited");
    case RegType::kPacketEnd:
    case RegType::kFunc:
      return fail(rp + " pointer arithmetic on " + reg_type_name(ptr) + " prohibited");
    default:
      break;
  }
  const Scalar& v = off_reg.var;
  if (v.is_const()) {
    int64_t c = static_cast<int64_t>(v.const_value());
    if (op == AluOp::kSub) c = -c;
    int64_t noff = static_cast<int64_t>(ptr.off) + c;
    if (c <= -(1ll << 29) || c >= (1ll << 29) || noff <= -(1ll << 29) || noff >= (1ll << 29)) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "value %lld makes %s pointer be out of bounds",
                    static_cast<long long>(c), reg_type_name(ptr));
      return fail(buf);
    }
    ptr.off = static_cast<int32_t>(noff);
    dst = ptr;
    return true;
  }
  if (v.smin == std::numeric_limits<int64_t>::min()) {
    return fail(std::string("math between ") + reg_type_name(ptr) +
                    " pointer and register with unbounded min value is not allowed",
                "bound the offset first, e.g. 'if (idx >= N) return' or 'idx &= N-1'");
  }
  // Like the kernel (check_reg_sane_offset), only the minimum is limited here, for the offset and
  // for the resulting pointer; how far the maximum reaches is checked by every access.
  auto sane_min = [&](const Scalar& s) {
    if (s.smin == std::numeric_limits<int64_t>::min())
      return fail(std::string("math between ") + reg_type_name(ptr) +
                      " pointer and register with unbounded min value is not allowed",
                  "bound the offset first, e.g. 'if (idx >= N) return' or 'idx &= N-1'");
    if (s.smin >= (1ll << 29) || s.smin <= -(1ll << 29)) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "value %lld makes %s pointer be out of bounds",
                    static_cast<long long>(s.smin), reg_type_name(ptr));
      return fail(buf);
    }
    return true;
  };
  if (!sane_min(v)) return false;
  if (ptr.type == RegType::kCtx) {
    // Allowed, but any later dereference is refused (the ctx offset must be constant).
  }
  Scalar nv = ptr.var;
  scalar_alu(nv, v, op, false);
  if (!sane_min(nv)) return false;
  ptr.var = nv;
  if (ptr.is_pkt()) {
    ptr.id = new_id();  // a new variable part: range learned later applies to this identity
    ptr.range = 0;
  }
  dst = ptr;
  return true;
}

}  // namespace bombus::verifier
