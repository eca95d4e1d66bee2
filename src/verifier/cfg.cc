// The structural pass before abstract interpretation: opcode validity, lddw pairs, subprogram
// boundaries (from pseudo calls and pseudo-func references), jump ranges, reachability, and the
// prune points the exploration checkpoints at. Also the kernel-log rendering of instructions.
#include <cstdio>
#include <functional>

#include "platform/helper_protos.h"
#include "verifier/engine.h"

namespace bombus::verifier {

using isa::Insn;
using isa::OpKind;

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

bool is_jump(OpKind k) {
  return k == OpKind::Ja || k == OpKind::Jal || k == OpKind::JccK || k == OpKind::JccX ||
         k == OpKind::MayGoto;
}

}  // namespace

bool check_cfg(const Program& prog, CfgInfo& out, std::string* error, int* error_insn) {
  const auto& insns = prog.insns;
  const int n = static_cast<int>(insns.size());
  auto bad = [&](int pc, std::string msg) {
    *error = std::move(msg);
    *error_insn = pc;
    return false;
  };
  std::vector<bool> second_half(n, false);
  std::vector<uint32_t> starts{0};
  for (int pc = 0; pc < n; ++pc) {
    const Insn& in = insns[pc];
    const auto& info = isa::op_info(in.opcode);
    if (info.kind == OpKind::kInvalid) return bad(pc, fmt("unknown opcode %02x", in.opcode));
    // Register fields name r0..r10 (the 4-bit fields can say 15); the engine indexes its
    // register file with them, so this is checked before anything runs.
    {
      const auto k = info.kind;
      const bool dst_reg = k != OpKind::Call && k != OpKind::Exit && k != OpKind::Ja &&
                           k != OpKind::Jal && k != OpKind::MayGoto && k != OpKind::LdAbs &&
                           k != OpKind::LdInd;
      const bool src_reg = k == OpKind::AluX || k == OpKind::Ldx || k == OpKind::Ldxsx ||
                           k == OpKind::Stx || k == OpKind::Atomic || k == OpKind::JccX ||
                           k == OpKind::LdInd;
      if (dst_reg && in.dst > isa::kFramePointer) return bad(pc, fmt("R%d is invalid", in.dst));
      if (src_reg && in.src > isa::kFramePointer) return bad(pc, fmt("R%d is invalid", in.src));
    }
    if (info.kind == OpKind::MayGoto && (in.src || in.dst || in.imm))
      return bad(pc, fmt("invalid may_goto imm %d", in.imm));
    if (info.kind == OpKind::Lddw) {
      if (pc + 1 >= n || insns[pc + 1].opcode != 0 || insns[pc + 1].dst != 0 ||
          insns[pc + 1].src != 0 || insns[pc + 1].off != 0)
        return bad(pc, "invalid BPF_LD_IMM insn");
      second_half[pc + 1] = true;
      if (in.src == isa::kPseudoFunc) {
        int t = pc + in.imm + 1;
        if (t < 0 || t >= n) return bad(pc, fmt("call to invalid destination"));
        starts.push_back(t);
      }
      ++pc;
      continue;
    }
    if (info.kind == OpKind::Call && in.src == isa::kPseudoCall) {
      int t = pc + in.imm + 1;
      if (t < 0 || t >= n) return bad(pc, "call to invalid destination");
      starts.push_back(t);
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  for (uint32_t s : starts)
    if (second_half[s]) return bad(static_cast<int>(s), fmt("call to invalid destination"));
  out.subprog_starts = starts;
  out.subprog_of.assign(n, 0);
  for (size_t s = 0; s < starts.size(); ++s) {
    uint32_t end = s + 1 < starts.size() ? starts[s + 1] : n;
    for (uint32_t i = starts[s]; i < end; ++i) out.subprog_of[i] = static_cast<int>(s);
    // The last instruction of a function must not fall through into the next one.
    int last = static_cast<int>(end) - 1;
    if (last >= 1 && second_half[last]) return bad(last, "last insn is not an exit or jmp");
    auto k = isa::op_info(insns[last].opcode).kind;
    if (k != OpKind::Exit && k != OpKind::Ja && k != OpKind::Jal)
      return bad(last, "last insn is not an exit or jmp");
  }
  out.prune_point.assign(n, false);
  for (uint32_t s : starts) out.prune_point[s] = true;
  for (int pc = 0; pc < n; ++pc) {
    if (second_half[pc]) continue;
    const Insn& in = insns[pc];
    auto k = isa::op_info(in.opcode).kind;
    if (k == OpKind::Call) out.prune_point[pc] = true;
    if (!is_jump(k)) continue;
    int t = pc + 1 + (k == OpKind::Jal ? in.imm : in.off);
    if (t < 0 || t >= n) return bad(pc, fmt("jump out of range from insn %d to %d", pc, t));
    if (second_half[t]) return bad(pc, fmt("jump into the middle of ldimm64 insn %d", t));
    if (out.subprog_of[t] != out.subprog_of[pc])
      return bad(pc, fmt("jump out of range from insn %d to %d", pc, t));
    out.prune_point[t] = true;
    if (k == OpKind::JccK || k == OpKind::JccX || k == OpKind::MayGoto)
      out.prune_point[pc + 1] = true;
    // may_goto loops converge at the may_goto itself (states differing only in depth).
    if (k == OpKind::MayGoto) out.prune_point[pc] = true;
  }
  // Reachability from insn 0, following calls and callback references.
  out.reachable.assign(n, false);
  std::vector<int> work{0};
  while (!work.empty()) {
    int pc = work.back();
    work.pop_back();
    if (pc < 0 || pc >= n || out.reachable[pc]) continue;
    out.reachable[pc] = true;
    const Insn& in = insns[pc];
    auto k = isa::op_info(in.opcode).kind;
    switch (k) {
      case OpKind::Exit:
        break;
      case OpKind::Ja:
        work.push_back(pc + 1 + in.off);
        break;
      case OpKind::Jal:
        work.push_back(pc + 1 + in.imm);
        break;
      case OpKind::JccK:
      case OpKind::JccX:
      case OpKind::MayGoto:
        work.push_back(pc + 1);
        work.push_back(pc + 1 + in.off);
        break;
      case OpKind::Lddw:
        out.reachable[pc + 1] = true;
        if (in.src == isa::kPseudoFunc) work.push_back(pc + in.imm + 1);
        work.push_back(pc + 2);
        break;
      case OpKind::Call:
        if (in.src == isa::kPseudoCall) work.push_back(pc + in.imm + 1);
        work.push_back(pc + 1);
        break;
      default:
        work.push_back(pc + 1);
    }
  }
  for (int pc = 0; pc < n; ++pc)
    if (!out.reachable[pc]) return bad(pc, fmt("unreachable insn %d", pc));
  return true;
}

std::string insn_text(const std::vector<Insn>& insns, size_t pc) {
  const Insn& in = insns[pc];
  const auto& info = isa::op_info(in.opcode);
  const uint8_t cls = isa::insn_class(in.opcode);
  const bool w = cls == isa::kClassAlu || cls == isa::kClassJmp32;
  const char rc = w ? 'w' : 'r';
  const bool x = (in.opcode & isa::kSrcX) != 0;
  auto sz = [&](uint8_t op) {
    switch (isa::size_bytes(op)) {
      case 1:
        return "u8";
      case 2:
        return "u16";
      case 4:
        return "u32";
      default:
        return "u64";
    }
  };
  switch (info.kind) {
    case OpKind::AluK:
    case OpKind::AluX: {
      std::string src = x ? fmt("%c%d", rc, in.src) : std::to_string(in.imm);
      if ((in.opcode & 0xf0) == 0xb0 && x && in.off)
        return fmt("%c%d = (s%d)%c%d", rc, in.dst, in.off, rc, in.src);
      std::string op(info.c_op);
      if (in.off == 1 && (op == "/=" || op == "%=")) op = "s" + op;
      return fmt("%c%d %s %s", rc, in.dst, op.c_str(), src.c_str());
    }
    case OpKind::Neg:
      return fmt("%c%d = -%c%d", rc, in.dst, rc, in.dst);
    case OpKind::End:
      return fmt("r%d = %s%d r%d", in.dst, (in.opcode & isa::kSrcX) ? "be" : "le", in.imm, in.dst);
    case OpKind::Bswap:
      return fmt("r%d = bswap%d r%d", in.dst, in.imm, in.dst);
    case OpKind::Ldx:
      return fmt("r%d = *(%s *)(r%d %+d)", in.dst, sz(in.opcode), in.src, in.off);
    case OpKind::Ldxsx:
      return fmt("r%d = *(s%d *)(r%d %+d)", in.dst, isa::size_bytes(in.opcode) * 8, in.src, in.off);
    case OpKind::St:
      return fmt("*(%s *)(r%d %+d) = %d", sz(in.opcode), in.dst, in.off, in.imm);
    case OpKind::Stx:
      return fmt("*(%s *)(r%d %+d) = r%d", sz(in.opcode), in.dst, in.off, in.src);
    case OpKind::Atomic: {
      const char* ops = "+=";
      switch (in.imm & ~isa::kAtomicFetch) {
        case isa::kAtomicOr:
          ops = "|=";
          break;
        case isa::kAtomicAnd:
          ops = "&=";
          break;
        case isa::kAtomicXor:
          ops = "^=";
          break;
        default:
          break;
      }
      if (in.imm == isa::kAtomicCmpxchg)
        return fmt("r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)",
                   isa::size_bytes(in.opcode) == 8 ? "64" : "", sz(in.opcode), in.dst, in.off,
                   in.src);
      if (in.imm == isa::kAtomicXchg)
        return fmt("r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", in.src,
                   isa::size_bytes(in.opcode) == 8 ? "64" : "", sz(in.opcode), in.dst, in.off,
                   in.src);
      if (in.imm & isa::kAtomicFetch)
        return fmt("r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", in.src,
                   isa::size_bytes(in.opcode) == 8 ? "64" : "",
                   std::string(isa::op_info(in.opcode).mnemonic).c_str(), sz(in.opcode), in.dst,
                   in.off, in.src);
      return fmt("lock *(%s *)(r%d %+d) %s r%d", sz(in.opcode), in.dst, in.off, ops, in.src);
    }
    case OpKind::Lddw: {
      const Insn& nx = insns[pc + 1];
      switch (in.src) {
        case isa::kPseudoMapFd:
          return fmt("r%d = map[id:%d]", in.dst, in.imm);
        case isa::kPseudoMapIdx:
          return fmt("r%d = map[idx:%d]", in.dst, in.imm);
        case isa::kPseudoMapValue:
          return fmt("r%d = map[id:%d][0]+%d", in.dst, in.imm, nx.imm);
        case isa::kPseudoMapIdxValue:
          return fmt("r%d = map[idx:%d]+%d", in.dst, in.imm, nx.imm);
        case isa::kPseudoFunc:
          return fmt("r%d = subprog[%+d]", in.dst, in.imm);
        case isa::kPseudoBtfId:
          return fmt("r%d = btf_id[%d]", in.dst, in.imm);
        default:
          return fmt("r%d = 0x%llx ll", in.dst,
                     static_cast<unsigned long long>(isa::lddw_imm64(in, nx)));
      }
    }
    case OpKind::LdAbs:
      return fmt("r0 = *(%s *)skb[%d]", sz(in.opcode), in.imm);
    case OpKind::LdInd:
      return fmt("r0 = *(%s *)skb[r%d + %d]", sz(in.opcode), in.src, in.imm);
    case OpKind::Ja:
      return fmt("goto pc%+d", in.off);
    case OpKind::Jal:
      return fmt("gotol pc%+d", in.imm);
    case OpKind::MayGoto:
      return fmt("may_goto pc%+d", in.off);
    case OpKind::JccK:
    case OpKind::JccX: {
      std::string src = x ? fmt("%c%d", rc, in.src) : fmt("0x%x", static_cast<uint32_t>(in.imm));
      return fmt("if %c%d %s %s goto pc%+d", rc, in.dst, std::string(info.c_op).c_str(),
                 src.c_str(), in.off);
    }
    case OpKind::Call: {
      if (in.src == isa::kPseudoCall) return fmt("call pc%+d", in.imm);
      if (in.src == isa::kPseudoKfuncCall) return fmt("call kernel-function#%d", in.imm);
      const auto* p = platform::helper_proto(in.imm);
      if (p && !p->name.empty()) return fmt("call bpf_%s#%d", std::string(p->name).c_str(), in.imm);
      return fmt("call unknown#%d", in.imm);
    }
    case OpKind::Callx:
      return fmt("callx r%d", in.dst);
    case OpKind::Exit:
      return "exit";
    default:
      return fmt("(bad opcode %02x)", in.opcode);
  }
}

}  // namespace bombus::verifier
