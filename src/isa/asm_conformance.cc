// The bpf_conformance assembler dialect ("mov %r0, 1", "ldxdw %r0, [%r1+2]", "jne %r0, 5, label",
// "lock fetch add [%r10-8], %r1", "movsx832 %r0, %r1", "ja32 L"): mnemonic first, comma-separated
// operands. Mnemonics for the plain opcodes come from opcodes.def; the variants chosen by other
// fields (sdiv/smod, movsx, byte swaps, atomics, call kinds) are spelled out here.
#include <string>
#include <unordered_map>

#include "isa/asm_parse.h"

namespace bombus::isa::asm_detail {
namespace {

struct Mnemonic {
  OpKind kind = OpKind::kInvalid;
  uint8_t k = 0;  // opcode for the immediate / only form
  uint8_t x = 0;  // opcode for the register form (AluX, JccX)
};

const std::unordered_map<std::string_view, Mnemonic>& mnemonics() {
  static const auto* table = [] {
    auto* m = new std::unordered_map<std::string_view, Mnemonic>();
    for (const OpInfo& e : kOpTable) {
      switch (e.kind) {
        case OpKind::AluK:
        case OpKind::JccK:
          (*m)[e.mnemonic].kind = e.kind;
          (*m)[e.mnemonic].k = e.opcode;
          break;
        case OpKind::AluX:
        case OpKind::JccX:
          (*m)[e.mnemonic].x = e.opcode;
          break;
        case OpKind::Neg:
        case OpKind::Ldx:
        case OpKind::Ldxsx:
        case OpKind::St:
        case OpKind::Stx:
        case OpKind::LdAbs:
        case OpKind::LdInd:
          (*m)[e.mnemonic] = Mnemonic{e.kind, e.opcode, e.opcode};
          break;
        default:
          break;
      }
    }
    return m;
  }();
  return *table;
}

Result<Reg> conf_reg(Cursor& c) {
  BOMBUS_ASSIGN_OR_RETURN(Reg r, c.reg());
  if (r.style == 'w') return syntax("32-bit register names (wN) belong to the kernel syntax");
  return r;
}

Status comma(Cursor& c) {
  return c.expect(",");
}

// le16/be32/swap64/bswap16: the byte-order family.
bool parse_end(std::string_view mn, Insn& in) {
  struct Prefix {
    std::string_view name;
    uint8_t opcode;
  };
  static constexpr Prefix kPrefixes[] = {
      {"le", 0xd4}, {"be", 0xdc}, {"bswap", 0xd7}, {"swap", 0xd7}};
  for (const auto& p : kPrefixes) {
    if (mn.substr(0, p.name.size()) != p.name) continue;
    auto width = mn.substr(p.name.size());
    if (width != "16" && width != "32" && width != "64") return false;
    in.opcode = p.opcode;
    in.imm = width == "16" ? 16 : width == "32" ? 32 : 64;
    return true;
  }
  return false;
}

Result<Line> parse_lock(Cursor& c) {
  Line line;
  line.count = 1;
  Insn& in = line.insn[0];
  bool fetch = c.accept("fetch");
  if (c.peek().kind != Tok::kIdent)
    return syntax("expected an atomic operation after 'lock' but found " +
                  Cursor::describe(c.peek()));
  std::string_view op = c.next().text;
  bool is32 = op.size() > 2 && op.substr(op.size() - 2) == "32";
  if (is32) op.remove_suffix(2);
  if (op.size() > 2 && op.substr(op.size() - 2) == "64") op.remove_suffix(2);
  if (op == "add") {
    in.imm = kAtomicAdd;
  } else if (op == "and") {
    in.imm = kAtomicAnd;
  } else if (op == "or") {
    in.imm = kAtomicOr;
  } else if (op == "xor") {
    in.imm = kAtomicXor;
  } else if (op == "xchg") {
    in.imm = kAtomicXchg;
  } else if (op == "cmpxchg") {
    in.imm = kAtomicCmpxchg;
  } else {
    return syntax("unknown atomic operation " + quote(op));
  }
  if (fetch) in.imm |= kAtomicFetch;
  in.opcode = is32 ? 0xc3 : 0xdb;
  BOMBUS_ASSIGN_OR_RETURN(auto m, c.mem('['));
  in.dst = m.first.num;
  in.off = m.second;
  BOMBUS_TRY(comma(c));
  BOMBUS_ASSIGN_OR_RETURN(Reg s, conf_reg(c));
  in.src = s.num;
  BOMBUS_TRY(c.finish());
  return line;
}

}  // namespace

Result<Line> parse_conformance(Cursor& c) {
  Line line;
  line.count = 1;
  Insn& in = line.insn[0];
  Token mt = c.next();
  if (mt.kind != Tok::kIdent)
    return syntax("expected an instruction but found " + Cursor::describe(mt));
  std::string_view mn = mt.text;
  const std::string quoted = quote(mn);

  if (mn == "lock") return parse_lock(c);
  if (mn == "ja") {
    in.opcode = 0x05;
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, Fix::kOff, t));
    BOMBUS_TRY(c.finish());
    return line;
  }
  if (mn == "ja32") {
    in.opcode = 0x06;
    BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
    BOMBUS_TRY(set_target(line, Fix::kImm, t));
    BOMBUS_TRY(c.finish());
    return line;
  }
  if (mn == "lddw") {
    BOMBUS_ASSIGN_OR_RETURN(Reg d, conf_reg(c));
    BOMBUS_TRY(comma(c));
    BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
    BOMBUS_ASSIGN_OR_RETURN(uint64_t v, to_imm64(n));
    BOMBUS_TRY(c.finish());
    line.count = 2;
    in.opcode = 0x18;
    in.dst = d.num;
    in.imm = static_cast<int32_t>(static_cast<uint32_t>(v));
    line.insn[1].imm = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
    return line;
  }
  if (parse_end(mn, in)) {
    BOMBUS_ASSIGN_OR_RETURN(Reg d, conf_reg(c));
    in.dst = d.num;
    BOMBUS_TRY(c.finish());
    return line;
  }

  // movsx<from><to>: movsx832, movsx1632, movsx864, movsx1664, movsx3264.
  std::string base(mn);
  int16_t off = 0;
  if (base.rfind("movsx", 0) == 0) {
    std::string rest = base.substr(5);
    std::string to = rest.size() > 2 ? rest.substr(rest.size() - 2) : "";
    std::string from = rest.size() > 2 ? rest.substr(0, rest.size() - 2) : "";
    if ((to != "32" && to != "64") || (from != "8" && from != "16" && from != "32") ||
        (to == "32" && from == "32"))
      return syntax("unknown instruction " + quoted);
    off = static_cast<int16_t>(std::stoi(from));
    base = to == "32" ? "mov32" : "mov";
  } else if (base.rfind("sdiv", 0) == 0 || base.rfind("smod", 0) == 0) {
    off = 1;
    base = base.substr(1);
  }
  // The suite also writes the 64-bit ALU forms with an explicit "64" ("add64", "neg64").
  if (!mnemonics().count(base) && base.size() > 2 && base.substr(base.size() - 2) == "64")
    base.resize(base.size() - 2);
  auto it = mnemonics().find(base);
  if (it == mnemonics().end()) return syntax("unknown instruction " + quoted);
  const Mnemonic& m = it->second;
  if (off != 0 && m.kind != OpKind::AluK) return syntax("unknown instruction " + quoted);

  switch (m.kind) {
    case OpKind::AluK: {
      BOMBUS_ASSIGN_OR_RETURN(Reg d, conf_reg(c));
      in.dst = d.num;
      in.off = off;
      BOMBUS_TRY(comma(c));
      if (c.at_reg()) {
        BOMBUS_ASSIGN_OR_RETURN(Reg s, conf_reg(c));
        in.opcode = m.x;
        in.src = s.num;
      } else {
        if (base.rfind("mov", 0) == 0 && off != 0)
          return syntax(quoted + " takes a register source");
        BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
        BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
        in.opcode = m.k;
      }
      break;
    }
    case OpKind::Neg: {
      BOMBUS_ASSIGN_OR_RETURN(Reg d, conf_reg(c));
      in.opcode = m.k;
      in.dst = d.num;
      break;
    }
    case OpKind::Ldx:
    case OpKind::Ldxsx: {
      BOMBUS_ASSIGN_OR_RETURN(Reg d, conf_reg(c));
      BOMBUS_TRY(comma(c));
      BOMBUS_ASSIGN_OR_RETURN(auto mem, c.mem('['));
      in.opcode = m.k;
      in.dst = d.num;
      in.src = mem.first.num;
      in.off = mem.second;
      break;
    }
    case OpKind::St:
    case OpKind::Stx: {
      BOMBUS_ASSIGN_OR_RETURN(auto mem, c.mem('['));
      BOMBUS_TRY(comma(c));
      in.opcode = m.k;
      in.dst = mem.first.num;
      in.off = mem.second;
      if (m.kind == OpKind::Stx) {
        BOMBUS_ASSIGN_OR_RETURN(Reg s, conf_reg(c));
        in.src = s.num;
      } else {
        BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
        BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
      }
      break;
    }
    case OpKind::JccK: {
      BOMBUS_ASSIGN_OR_RETURN(Reg d, conf_reg(c));
      in.dst = d.num;
      BOMBUS_TRY(comma(c));
      if (c.at_reg()) {
        BOMBUS_ASSIGN_OR_RETURN(Reg s, conf_reg(c));
        in.opcode = m.x;
        in.src = s.num;
      } else {
        BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
        BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
        in.opcode = m.k;
      }
      BOMBUS_TRY(comma(c));
      BOMBUS_ASSIGN_OR_RETURN(Target t, c.target());
      BOMBUS_TRY(set_target(line, Fix::kOff, t));
      break;
    }
    case OpKind::LdAbs: {
      BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
      BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
      in.opcode = m.k;
      break;
    }
    case OpKind::LdInd: {
      BOMBUS_ASSIGN_OR_RETURN(Reg s, conf_reg(c));
      BOMBUS_TRY(comma(c));
      BOMBUS_ASSIGN_OR_RETURN(Num n, c.num());
      BOMBUS_ASSIGN_OR_RETURN(in.imm, to_imm32(n, "immediate"));
      in.opcode = m.k;
      in.src = s.num;
      break;
    }
    default:
      return syntax("unknown instruction " + quoted);
  }
  BOMBUS_TRY(c.finish());
  return line;
}

}  // namespace bombus::isa::asm_detail
