// The kernel verifier-log assembler dialect, i.e. what disasm_insn() prints ("r0 = *(u32 *)(r1
// +4)", "if w1 s< 7 goto pc+2", "lock *(u64 *)(r10 -8) += r1", "r1 = map[id:3]", "call pc+3"),
// plus the call/callx/exit forms that both dialects share ("call local f", "call %r2").
#include <string>

#include "isa/asm_parse.h"

namespace bombus::isa::asm_detail {
namespace {

// ALU operator -> opcode op bits (high nibble); -1 when not an ALU assignment operator.
int alu_op(std::string_view op) {
  if (op == "+=") return 0x00;
  if (op == "-=") return 0x10;
  if (op == "*=") return 0x20;
  if (op == "/=" || op == "s/=") return 0x30;
  if (op == "|=") return 0x40;
  if (op == "&=") return 0x50;
  if (op == "<<=") return 0x60;
  if (op == ">>=") return 0x70;
  if (op == "%=" || op == "s%=") return 0x90;
  if (op == "^=") return 0xa0;
  if (op == "=") return 0xb0;
  if (op == "s>>=") return 0xc0;
  return -1;
}

int jmp_op(std::string_view op) {
  if (op == "==") return 0x10;
  if (op == ">") return 0x20;
  if (op == ">=") return 0x30;
  if (op == "&") return 0x40;
  if (op == "!=") return 0x50;
  if (op == "s>") return 0x60;
  if (op == "s>=") return 0x70;
  if (op == "<") return 0xa0;
  if (op == "<=") return 0xb0;
  if (op == "s<") return 0xc0;
  if (op == "s<=") return 0xd0;
  return -1;
}

Result<Reg> kreg(Cursor& c) {
  BOMBUS_ASSIGN_OR_RETURN(Reg r, c.reg());
  if (r.style == '%') r.style = 'r';
  return r;
}

// "(u32 *)" -> size bits; signed says whether "s8/s16/s32" was written.
Result<uint8_t> size_cast(Cursor& c, bool* is_signed) {
  BOMBUS_TRY(c.expect("("));
  Token t = c.next();
  std::string_view s = t.text;
  uint8_t size;
  *is_signed = false;
  if (t.kind == Tok::kIdent && (s == "u8" || s == "s8")) {
    size = kSizeB;
  } else if (t.kind == Tok::kIdent && (s == "u16" || s == "s16")) {
    size = kSizeH;
  } else if (t.kind == Tok::kIdent && (s == "u32" || s == "s32")) {
    size = kSizeW;
  } else if (t.kind == Tok::kIdent && (s == "u64" || s == "s64")) {
    size = kSizeDW;
  } else {
    return syntax("expected a size (u8, u16, u32, u64) but found " + Cursor::describe(t));
  }
  *is_signed = s[0] == 's';
  BOMBUS_TRY(c.expect("*"));
  BOMBUS_TRY(c.expect(")"));
  return size;
}

Status same_reg(const Reg& a, const Reg& b, std::string_view what) {
  if (a.num != b.num || a.style != b.style)
    return syntax(std::string(what) + " must name the destination register twice");
  return {};
}

Status finish(Cursor& c) {
  return c.finish();
}

// Everything after "r1 = atomic..." : the fetch, xchg and cmpxchg forms.
Status parse_atomic_call(Cursor& c, std::string_view fn, const Reg& lhs, Insn& in) {
  bool is64 = fn.rfind("atomic64_", 0) == 0;
  std::string_view op = fn.substr(is64 ? 9 : 7);
  if (op == "fetch_add") {
    in.imm = kAtomicAdd | kAtomicFetch;
  } else if (op == "fetch_and") {
    in.imm = kAtomicAnd | kAtomicFetch;
  } else if (op == "fetch_or") {
    in.imm = kAtomicOr | kAtomicFetch;
  } else if (op == "fetch_xor") {
    in.imm = kAtomicXor | kAtomicFetch;
  } else if (op == "xchg") {
    in.imm = kAtomicXchg;
  } else if (op == "cmpxchg") {
    in.imm = kAtomicCmpxchg;
  } else {
    return syntax("unknown atomic operation " + quote(fn));
  }
  BOMBUS_TRY(c.expect("("));
  bool sx;
  BOMBUS_ASSIGN_OR_RETURN(uint8_t size, size_cast(c, &sx));
  // llvm writes the 64-bit forms "atomic_fetch_add((u64 *)...)": the cast decides there.
  if (!is64 && size == kSizeDW) is64 = true;
  if (lhs.style == 'w' && is64) return syntax("64-bit atomics return in rN");
  if (sx || size != (is64 ? kSizeDW : kSizeW))
    return syntax(std::string(is64 ? "atomic64_" : "atomic_") + " operations need a " +
                  (is64 ? "u64" : "u32") + " pointer");
  BOMBUS_ASSIGN_OR_RETURN(auto m, c.mem('('));
  in.opcode = static_cast<uint8_t>(kClassStx | kModeAtomic | size);
  in.dst = m.first.num;
  in.off = m.second;
  BOMBUS_TRY(c.expect(","));
  if (in.imm == kAtomicCmpxchg) {
    BOMBUS_ASSIGN_OR_RETURN(Reg r0, kreg(c));
    if (r0.num != 0 || lhs.num != 0) return syntax("cmpxchg compares and returns in r0");
    BOMBUS_TRY(c.expect(","));
  }
  BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
  if (in.imm != kAtomicCmpxchg && s.num != lhs.num)
    return syntax("the fetched value goes to the source register: write r" + std::to_string(s.num) +
                  " = ...");
  in.src = s.num;
  BOMBUS_TRY(c.expect(")"));
  return finish(c);
}

// llvm-objdump's exchange forms: "r2 = xchg_64(r1 + 0, r2)", "w0 = cmpxchg32_32(r10 - 8, w0, w1)".
Status parse_llvm_xchg(Cursor& c, std::string_view fn, const Reg& lhs, Insn& in) {
  const bool cmp = fn[0] == 'c';
  const bool is64 = fn.substr(fn.size() - 3) == "_64";
  if ((lhs.style == 'w') == is64)
    return syntax(quote(fn) + " needs a " + (is64 ? "rN" : "wN") + " result");
  in.opcode = static_cast<uint8_t>(kClassStx | kModeAtomic | (is64 ? kSizeDW : kSizeW));
  in.imm = cmp ? kAtomicCmpxchg : kAtomicXchg;
  BOMBUS_TRY(c.expect("("));
  BOMBUS_ASSIGN_OR_RETURN(Reg base, kreg(c));
  in.dst = base.num;
  if (c.is("+") || c.is("-")) {
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(in.off, to_off16(n));
  }
  BOMBUS_TRY(c.expect(","));
  if (cmp) {
    BOMBUS_ASSIGN_OR_RETURN(Reg r0, kreg(c));
    if (r0.num != 0 || lhs.num != 0) return syntax("cmpxchg compares and returns in r0");
    BOMBUS_TRY(c.expect(","));
  }
  BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
  if (!cmp && s.num != lhs.num) return syntax("xchg returns the old value in its source register");
  in.src = s.num;
  BOMBUS_TRY(c.expect(")"));
  return c.finish();
}

// "map[id:N]", "map[id:N][0]+M", "map[idx:N]", "map[idx:N]+M", "subprog[+N]", "btf_id[N]+M".
Status parse_pseudo(Cursor& c, std::string_view word, Line& line) {
  Insn& in = line.insn[0];
  Insn& hi = line.insn[1];
  in.opcode = 0x18;
  line.count = 2;
  BOMBUS_TRY(c.expect("["));
  if (word == "map") {
    Token kind = c.next();
    if (kind.text != "id" && kind.text != "fd" && kind.text != "idx")
      return syntax("expected 'id', 'fd' or 'idx' in map[...] but found " + Cursor::describe(kind));
    bool idx = kind.text == "idx";
    BOMBUS_TRY(c.expect(":"));
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "map reference"));
    BOMBUS_TRY(c.expect("]"));
    bool value = false;
    if (!idx && c.accept("[")) {
      BOMBUS_ASSIGN_OR_RETURN(Num z, c.num());
      if (z.mag != 0) return syntax("only map[id:N][0] is supported");
      BOMBUS_TRY(c.expect("]"));
      BOMBUS_TRY(c.expect("+"));
      value = true;
    } else if (idx && c.accept("+")) {
      value = true;
    }
    if (value) {
      BOMBUS_ASSIGN_OR_RETURN(Num off, c.num());
      BOMBUS_ASSIGN_OR_RETURN(hi.imm, to_imm32(off, "map value offset"));
    }
    in.src = idx ? (value ? kPseudoMapIdxValue : kPseudoMapIdx)
                 : (value ? kPseudoMapValue : kPseudoMapFd);
    return finish(c);
  }
  if (word == "subprog") {
    in.src = kPseudoFunc;
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, Fix::kImm, t));
    BOMBUS_TRY(c.expect("]"));
    return finish(c);
  }
  // btf_id
  in.src = kPseudoBtfId;
  BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
  BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "BTF id"));
  BOMBUS_TRY(c.expect("]"));
  if (c.accept("+")) {
    BOMBUS_ASSIGN_OR_RETURN(Num m, c.num());
    BOMBUS_ASSIGN_OR_RETURN(hi.imm, to_imm32(m, "BTF object"));
  }
  return finish(c);
}

// "rD = ..." and "wD = ..." (everything whose operator is '=').
Status parse_assign(Cursor& c, const Reg& d, Line& line) {
  Insn& in = line.insn[0];
  const bool w = d.style == 'w';
  const uint8_t alu_class = w ? kClassAlu : kClassAlu64;
  in.dst = d.num;

  if (c.is("-") && c.peek(1).kind == Tok::kReg) {  // neg
    c.next();
    BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
    BOMBUS_TRY(same_reg(d, s, "negation"));
    in.opcode = static_cast<uint8_t>(alu_class | 0x80);
    return finish(c);
  }
  if (c.accept("*")) {  // loads
    if (w) return syntax("loads write a 64-bit register: use rN");
    bool sx;
    BOMBUS_ASSIGN_OR_RETURN(uint8_t size, size_cast(c, &sx));
    if (c.is("skb")) {
      c.next();
      if (d.num != 0) return syntax("packet loads (skb[...]) always write r0");
      if (sx || size == kSizeDW) return syntax("packet loads are u8, u16 or u32");
      BOMBUS_TRY(c.expect("["));
      if (c.at_reg()) {
        BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
        in.src = s.num;
        in.opcode = static_cast<uint8_t>(kClassLd | kModeInd | size);
        in.dst = 0;
        if (c.accept("]")) return finish(c);  // llvm's "skb[r3]": offset 0
        BOMBUS_TRY(c.expect("+"));
      } else {
        in.opcode = static_cast<uint8_t>(kClassLd | kModeAbs | size);
        in.dst = 0;
      }
      BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
      BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "packet offset"));
      BOMBUS_TRY(c.expect("]"));
      return finish(c);
    }
    if (sx && size == kSizeDW) return syntax("there is no sign-extending 64-bit load");
    BOMBUS_ASSIGN_OR_RETURN(auto m, c.mem('('));
    in.opcode = static_cast<uint8_t>(kClassLdx | (sx ? kModeMemsx : kModeMem) | size);
    in.src = m.first.num;
    in.off = m.second;
    return finish(c);
  }
  if (c.is("(")) {  // movsx: (s8)rS
    c.next();
    Token t = c.next();
    const int bits = t.text == "s8" ? 8 : t.text == "s16" ? 16 : t.text == "s32" ? 32 : 0;
    if (bits == 0 || (w && bits == 32))
      return syntax("expected (s8), (s16) or (s32) but found " + Cursor::describe(t));
    BOMBUS_TRY(c.expect(")"));
    BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
    if (s.style != d.style) return syntax("register widths differ (mix of rN and wN)");
    in.opcode = static_cast<uint8_t>(alu_class | 0xb0 | kSrcX);
    in.src = s.num;
    in.off = static_cast<int16_t>(bits);
    return finish(c);
  }
  if (c.peek().kind == Tok::kIdent) {
    std::string_view word = c.next().text;
    for (std::string_view p : {"be", "le", "bswap"}) {
      if (word.rfind(p, 0) != 0) continue;
      auto width = word.substr(p.size());
      if (width != "16" && width != "32" && width != "64") continue;
      BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
      if (s.num != d.num || w || s.style == 'w')
        return syntax("byte swaps are written rN = " + std::string(word) + " rN");
      in.opcode = p == "be" ? 0xdc : p == "le" ? 0xd4 : 0xd7;
      in.imm = width == "16" ? 16 : width == "32" ? 32 : 64;
      return finish(c);
    }
    if (word.rfind("atomic_", 0) == 0 || word.rfind("atomic64_", 0) == 0) {
      in.dst = 0;
      return parse_atomic_call(c, word, d, in);
    }
    if (word == "xchg_64" || word == "xchg32_32" || word == "cmpxchg_64" || word == "cmpxchg32_32")
      return parse_llvm_xchg(c, word, d, in);
    if (word == "map" || word == "subprog" || word == "btf_id") {
      if (w) return syntax("64-bit loads write rN");
      return parse_pseudo(c, word, line);
    }
    if (word == "addr_space_cast") {
      if (w) return syntax("addr_space_cast writes rN");
      BOMBUS_TRY(c.expect("("));
      BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
      BOMBUS_TRY(c.expect(","));
      BOMBUS_ASSIGN_OR_RETURN(Num a, c.num());
      BOMBUS_TRY(c.expect(","));
      BOMBUS_ASSIGN_OR_RETURN(Num b, c.num());
      BOMBUS_TRY(c.expect(")"));
      if (a.neg || b.neg || a.mag > 0xffff || b.mag > 0xffff)
        return syntax("address spaces are 16-bit numbers");
      in.opcode = 0xbf;
      in.src = s.num;
      in.off = 1;
      in.imm = static_cast<int32_t>(static_cast<uint32_t>(a.mag << 16 | b.mag));
      return finish(c);
    }
    return syntax("unexpected " + quote(word) + " after '='");
  }
  if (c.at_reg()) {
    BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
    if (s.style != d.style) return syntax("register widths differ (mix of rN and wN)");
    in.opcode = static_cast<uint8_t>(alu_class | 0xb0 | kSrcX);
    in.src = s.num;
    return finish(c);
  }
  BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
  bool ll = c.accept("ll");
  if (ll || (!w && !fits_i32(n))) {
    if (w) return syntax("64-bit immediates ('ll') need rN");
    BOMBUS_ASSIGN_OR_RETURN(uint64_t v, to_imm64(n));
    in.opcode = 0x18;
    in.imm = static_cast<int32_t>(static_cast<uint32_t>(v));
    line.insn[1].imm = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
    line.count = 2;
    return finish(c);
  }
  BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
  in.opcode = static_cast<uint8_t>(alu_class | 0xb0);
  return finish(c);
}

Status parse_call(Cursor& c, Line& line, bool callx) {
  Insn& in = line.insn[0];
  in.opcode = 0x85;
  if (callx || c.at_reg()) {
    BOMBUS_ASSIGN_OR_RETURN(Reg r, kreg(c));
    if (r.style == 'w') return syntax("callx takes a 64-bit register");
    in.opcode = 0x8d;
    in.dst = r.num;
    return finish(c);
  }
  if (c.accept("local")) {
    in.src = kPseudoCall;
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, Fix::kImm, t));
    return finish(c);
  }
  if (c.is("helper") || c.is("runtime")) {
    in.src = c.next().text == "helper" ? kPseudoCallHelper : kPseudoKfuncCall;
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "function id"));
    return finish(c);
  }
  if (c.peek().kind == Tok::kNumber) {
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "helper id"));
    return finish(c);
  }
  // "name#id" (helper) or "kernel-function#id" (kfunc, optional " off:N" for its BTF object).
  if (c.peek().kind == Tok::kIdent &&
      (c.is("#", 1) || (c.is("kernel") && c.is("-", 1) && c.is("function", 2)))) {
    bool kfunc = c.is("kernel") && c.is("-", 1);
    c.next();
    if (kfunc) {
      c.next();
      c.next();
    }
    BOMBUS_TRY(c.expect("#"));
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "function id"));
    if (kfunc) {
      in.src = kPseudoKfuncCall;
      if (c.accept("off")) {
        BOMBUS_TRY(c.expect(":"));
        BOMBUS_ASSIGN_OR_RETURN(Num o, c.num());
        BOMBUS_ASSIGN_OR_RETURN(in.off, to_off16(o));
      }
    }
    return finish(c);
  }
  // "pc+3", "+3", or a label: a call to a BPF function in this program.
  in.src = kPseudoCall;
  BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
  BOMBUS_TRY(set_target(line, Fix::kImm, t));
  return finish(c);
}

}  // namespace

Result<Line> parse_kernel(Cursor& c) {
  Line line;
  line.count = 1;
  Insn& in = line.insn[0];

  if (c.accept("exit")) {
    in.opcode = 0x95;
    BOMBUS_TRY(finish(c));
    return line;
  }
  if (c.is("call") || c.is("callx")) {
    bool callx = c.next().text == "callx";
    BOMBUS_TRY(parse_call(c, line, callx));
    return line;
  }
  if (c.accept("may_goto")) {  // "may_goto pc+N", "may_goto +N", "may_goto label"
    in.opcode = kOpMayGoto;
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, Fix::kOff, t));
    BOMBUS_TRY(finish(c));
    return line;
  }
  if (c.is("goto") || c.is("gotol")) {
    bool l = c.next().text == "gotol";
    in.opcode = l ? 0x06 : 0x05;
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, l ? Fix::kImm : Fix::kOff, t));
    BOMBUS_TRY(finish(c));
    return line;
  }
  if (c.accept("if")) {
    BOMBUS_ASSIGN_OR_RETURN(Reg d, kreg(c));
    Token opt = c.next();
    int op = jmp_op(opt.text);
    if (opt.kind != Tok::kPunct || op < 0)
      return syntax("expected a comparison but found " + Cursor::describe(opt));
    const uint8_t cls = d.style == 'w' ? kClassJmp32 : kClassJmp;
    in.dst = d.num;
    if (c.at_reg()) {
      BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
      if (s.style != d.style) return syntax("register widths differ (mix of rN and wN)");
      in.src = s.num;
      in.opcode = static_cast<uint8_t>(cls | op | kSrcX);
    } else {
      BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
      BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
      in.opcode = static_cast<uint8_t>(cls | op);
    }
    BOMBUS_TRY(c.expect("goto"));
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, Fix::kOff, t));
    BOMBUS_TRY(finish(c));
    return line;
  }
  const bool lock = c.accept("lock");
  if (c.accept("*")) {  // stores and "lock *(...) op= rS"
    bool sx;
    BOMBUS_ASSIGN_OR_RETURN(uint8_t size, size_cast(c, &sx));
    if (sx) return syntax("stores are written with unsigned sizes (u8..u64)");
    BOMBUS_ASSIGN_OR_RETURN(auto m, c.mem('('));
    in.dst = m.first.num;
    in.off = m.second;
    Token opt = c.next();
    if (lock) {
      if (size != kSizeW && size != kSizeDW) return syntax("atomic operations are u32 or u64");
      if (opt.text == "+=") {
        in.imm = kAtomicAdd;
      } else if (opt.text == "|=") {
        in.imm = kAtomicOr;
      } else if (opt.text == "&=") {
        in.imm = kAtomicAnd;
      } else if (opt.text == "^=") {
        in.imm = kAtomicXor;
      } else {
        return syntax("expected +=, |=, &= or ^= after lock but found " + Cursor::describe(opt));
      }
      BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
      in.src = s.num;
      in.opcode = static_cast<uint8_t>(kClassStx | kModeAtomic | size);
      BOMBUS_TRY(finish(c));
      return line;
    }
    if (opt.text != "=") return syntax("expected '=' but found " + Cursor::describe(opt));
    if (c.at_reg()) {
      BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
      in.src = s.num;
      in.opcode = static_cast<uint8_t>(kClassStx | kModeMem | size);
    } else {
      BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
      BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
      in.opcode = static_cast<uint8_t>(kClassSt | kModeMem | size);
    }
    BOMBUS_TRY(finish(c));
    return line;
  }
  if (lock) return syntax("expected '*(' after 'lock' but found " + Cursor::describe(c.peek()));

  BOMBUS_ASSIGN_OR_RETURN(Reg d, kreg(c));
  Token opt = c.next();
  int op = alu_op(opt.text);
  if (opt.kind != Tok::kPunct || op < 0)
    return syntax("expected an assignment operator after the register but found " +
                  Cursor::describe(opt));
  if (op == 0xb0) {
    BOMBUS_TRY(parse_assign(c, d, line));
    return line;
  }
  const uint8_t cls = d.style == 'w' ? kClassAlu : kClassAlu64;
  in.dst = d.num;
  if (opt.text[0] == 's' && opt.text != "s>>=") in.off = 1;  // s/= and s%=
  if (c.at_reg()) {
    BOMBUS_ASSIGN_OR_RETURN(Reg s, kreg(c));
    if (s.style != d.style) return syntax("register widths differ (mix of rN and wN)");
    in.src = s.num;
    in.opcode = static_cast<uint8_t>(cls | op | kSrcX);
  } else {
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
    in.opcode = static_cast<uint8_t>(cls | op);
  }
  BOMBUS_TRY(finish(c));
  return line;
}

}  // namespace bombus::isa::asm_detail
