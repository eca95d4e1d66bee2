// The disassembler: one case per OpKind from opcodes.def, printing the kernel's verifier-log
// text (see disasm.h for the few forms bombus adds so that every instruction reads back).
#include "isa/disasm.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>

namespace bombus::isa {
namespace {

std::string sprintf_str(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string sprintf_str(const char* format, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, format);
  int n = std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
  std::string out(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, format);
  std::vsnprintf(out.data(), out.size(), format, ap);
  va_end(ap);
  out.resize(static_cast<size_t>(n));
  return out;
}

const char* ldst(uint8_t opcode) {
  switch (insn_size(opcode)) {
    case kSizeW:
      return "u32";
    case kSizeH:
      return "u16";
    case kSizeB:
      return "u8";
    default:
      return "u64";
  }
}

const char* ldsx(uint8_t opcode) {
  switch (insn_size(opcode)) {
    case kSizeW:
      return "s32";
    case kSizeH:
      return "s16";
    case kSizeB:
      return "s8";
    default:
      return "s64";
  }
}

// "+=", "&=", "|=", "^=" for the atomic ALU ops, "" otherwise.
const char* atomic_alu(int32_t op) {
  switch (op) {
    case kAtomicAdd:
      return "+=";
    case kAtomicAnd:
      return "&=";
    case kAtomicOr:
      return "|=";
    case kAtomicXor:
      return "^=";
    default:
      return "";
  }
}
const char* atomic_name(int32_t op) {
  switch (op) {
    case kAtomicAdd:
      return "add";
    case kAtomicAnd:
      return "and";
    case kAtomicOr:
      return "or";
    case kAtomicXor:
      return "xor";
    default:
      return "";
  }
}

std::string atomic(const Insn& in) {
  const char* w = insn_size(in.opcode) == kSizeDW ? "64" : "";
  const char* sz = ldst(in.opcode);
  const int32_t op = in.imm & ~kAtomicFetch;
  if (*atomic_alu(in.imm))
    return sprintf_str("lock *(%s *)(r%d %+d) %s r%d", sz, in.dst, in.off, atomic_alu(in.imm),
                       in.src);
  if ((in.imm & kAtomicFetch) && *atomic_name(op))
    return sprintf_str("r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", in.src, w, atomic_name(op),
                       sz, in.dst, in.off, in.src);
  if (in.imm == kAtomicCmpxchg)
    return sprintf_str("r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)", w, sz, in.dst, in.off,
                       in.src);
  if (in.imm == kAtomicXchg)
    return sprintf_str("r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", in.src, w, sz, in.dst, in.off,
                       in.src);
  return sprintf_str("BUG_%02x (atomic imm 0x%x)", in.opcode, static_cast<uint32_t>(in.imm));
}

std::string lddw(const Insn& in, const Insn& hi, const DisasmOptions& opts) {
  std::string value;
  switch (in.src) {
    case 0:
      value = sprintf_str("0x%" PRIx64 "%s", lddw_imm64(in, hi), opts.ll_suffix ? " ll" : "");
      break;
    case kPseudoMapFd:
      value = sprintf_str("map[id:%d]", in.imm);
      break;
    case kPseudoMapValue:
      value = sprintf_str("map[id:%d][0]+%d", in.imm, hi.imm);
      break;
    case kPseudoBtfId:
      value =
          hi.imm ? sprintf_str("btf_id[%d]+%d", in.imm, hi.imm) : sprintf_str("btf_id[%d]", in.imm);
      break;
    case kPseudoFunc:
      value = sprintf_str("subprog[%+d]", in.imm);
      break;
    case kPseudoMapIdx:
      value = sprintf_str("map[idx:%d]", in.imm);
      break;
    case kPseudoMapIdxValue:
      value = sprintf_str("map[idx:%d]+%d", in.imm, hi.imm);
      break;
    default:
      value = sprintf_str("0x%" PRIx64 " ll (bad lddw src %d)", lddw_imm64(in, hi), in.src);
      break;
  }
  return sprintf_str("r%d = %s", in.dst, value.c_str());
}

std::string alu(const Insn& in, const OpInfo& info) {
  const char r = insn_class(in.opcode) == kClassAlu ? 'w' : 'r';
  const uint8_t op = in.opcode & 0xf0;
  const bool sdiv_smod = (op == 0x30 || op == 0x90) && in.off == 1;
  std::string c_op(info.c_op);
  if (sdiv_smod) c_op = op == 0x30 ? "s/=" : "s%=";
  if (info.kind == OpKind::AluX) {
    if (in.opcode == 0xbf && in.off == 1)
      return sprintf_str("r%d = addr_space_cast(r%d, %u, %u)", in.dst, in.src,
                         static_cast<uint32_t>(in.imm) >> 16,
                         static_cast<uint32_t>(in.imm) & 0xffff);
    const char* sx = "";
    if (op == 0xb0)
      sx = in.off == 8 ? "(s8)" : in.off == 16 ? "(s16)" : in.off == 32 ? "(s32)" : "";
    return sprintf_str("%c%d %s %s%c%d", r, in.dst, c_op.c_str(), sx, r, in.src);
  }
  return sprintf_str("%c%d %s %d", r, in.dst, c_op.c_str(), in.imm);
}

std::string call(const Insn& in, const DisasmOptions& opts) {
  if (in.src == kPseudoCall) return sprintf_str("call pc%+d", in.imm);
  if (in.src == kPseudoKfuncCall) {
    if (in.off) return sprintf_str("call kernel-function#%d off:%d", in.imm, in.off);
    return sprintf_str("call kernel-function#%d", in.imm);
  }
  std::string name = opts.helper_name ? opts.helper_name(in.imm) : std::string();
  if (name.empty()) name = "unknown";
  return sprintf_str("call %s#%d", name.c_str(), in.imm);
}

}  // namespace

std::string disasm_insn(std::span<const Insn> prog, size_t pc, const DisasmOptions& opts) {
  if (pc >= prog.size()) return sprintf_str("<pc %zu is past the end>", pc);
  const Insn& in = prog[pc];
  const OpInfo& info = op_info(in.opcode);
  const char jr = insn_class(in.opcode) == kClassJmp32 ? 'w' : 'r';
  switch (info.kind) {
    case OpKind::kInvalid:
      return sprintf_str("BUG_%02x (unknown opcode)", in.opcode);
    case OpKind::AluK:
    case OpKind::AluX:
      return alu(in, info);
    case OpKind::Neg: {
      const char r = insn_class(in.opcode) == kClassAlu ? 'w' : 'r';
      return sprintf_str("%c%d = -%c%d", r, in.dst, r, in.dst);
    }
    case OpKind::End:
      return sprintf_str("r%d = %s%d r%d", in.dst, in.opcode == 0xdc ? "be" : "le", in.imm, in.dst);
    case OpKind::Bswap:
      return sprintf_str("r%d = bswap%d r%d", in.dst, in.imm, in.dst);
    case OpKind::Ldx:
      return sprintf_str("r%d = *(%s *)(r%d %+d)", in.dst, ldst(in.opcode), in.src, in.off);
    case OpKind::Ldxsx:
      return sprintf_str("r%d = *(%s *)(r%d %+d)", in.dst, ldsx(in.opcode), in.src, in.off);
    case OpKind::St:
      return sprintf_str("*(%s *)(r%d %+d) = %d", ldst(in.opcode), in.dst, in.off, in.imm);
    case OpKind::Stx:
      return sprintf_str("*(%s *)(r%d %+d) = r%d", ldst(in.opcode), in.dst, in.off, in.src);
    case OpKind::Atomic:
      return atomic(in);
    case OpKind::Lddw:
      if (pc + 1 >= prog.size()) return sprintf_str("r%d = <lddw missing its second half>", in.dst);
      return lddw(in, prog[pc + 1], opts);
    case OpKind::LdAbs:
      return sprintf_str("r0 = *(%s *)skb[%d]", ldst(in.opcode), in.imm);
    case OpKind::LdInd:
      return sprintf_str("r0 = *(%s *)skb[r%d + %d]", ldst(in.opcode), in.src, in.imm);
    case OpKind::Ja:
      return sprintf_str("goto pc%+d", in.off);
    case OpKind::Jal:
      return sprintf_str("gotol pc%+d", in.imm);
    case OpKind::JccK:
      return sprintf_str("if %c%d %s 0x%x goto pc%+d", jr, in.dst, std::string(info.c_op).c_str(),
                         static_cast<uint32_t>(in.imm), in.off);
    case OpKind::JccX:
      return sprintf_str("if %c%d %s %c%d goto pc%+d", jr, in.dst, std::string(info.c_op).c_str(),
                         jr, in.src, in.off);
    case OpKind::Call:
      return call(in, opts);
    case OpKind::Callx:
      return sprintf_str("callx r%d", in.dst);
    case OpKind::Exit:
      return "exit";
    case OpKind::MayGoto:
      return sprintf_str("may_goto pc%+d", in.off);
  }
  return sprintf_str("BUG_%02x", in.opcode);
}

std::string disasm_insn(std::span<const Insn> prog, size_t pc, HelperNameFn helper_name) {
  DisasmOptions opts;
  opts.helper_name = std::move(helper_name);
  return disasm_insn(prog, pc, opts);
}

std::string disassemble(std::span<const Insn> prog, const DisasmOptions& opts) {
  std::string out;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    out += sprintf_str("%4zu: (%02x) ", pc, prog[pc].opcode);
    out += disasm_insn(prog, pc, opts);
    out += '\n';
    const bool wide = is_lddw(prog[pc]) && pc + 1 < prog.size();
    if (opts.opcodes) {
      out += "       ";
      for (size_t k = pc; k <= pc + (wide ? 1 : 0); ++k) {
        const Insn& in = prog[k];
        const uint8_t b[8] = {in.opcode,
                              static_cast<uint8_t>(in.dst | (in.src << 4)),
                              static_cast<uint8_t>(static_cast<uint16_t>(in.off) & 0xff),
                              static_cast<uint8_t>(static_cast<uint16_t>(in.off) >> 8),
                              static_cast<uint8_t>(static_cast<uint32_t>(in.imm) & 0xff),
                              static_cast<uint8_t>((static_cast<uint32_t>(in.imm) >> 8) & 0xff),
                              static_cast<uint8_t>((static_cast<uint32_t>(in.imm) >> 16) & 0xff),
                              static_cast<uint8_t>(static_cast<uint32_t>(in.imm) >> 24)};
        for (int j = 0; j < 8; ++j) out += sprintf_str(k == pc && j == 0 ? "%02x" : " %02x", b[j]);
      }
      out += '\n';
    }
    if (wide) ++pc;
  }
  return out;
}

}  // namespace bombus::isa
