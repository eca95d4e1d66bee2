// Constant branches, dead code and zero-extension facts from the verifier's per-insn facts.
// Removal keeps every remaining jump pointing at the same instruction: offsets are recomputed
// through the old->new index map, and a removed jump target maps to the next kept instruction.
#include "verifier/rewrite.h"

namespace bombus::verifier {

using isa::Insn;
using isa::OpKind;

Result<Rewritten> apply_rewrites(const Program& prog, const Report& report) {
  const size_t n = prog.insns.size();
  if (!report.accepted || report.facts.size() != n)
    return make_error(Errc::kInvalid, "rewrites need an accepted report for the same program");
  Rewritten out;
  std::vector<Insn> insns = prog.insns;
  std::vector<bool> keep(n, true);
  // 1. Fold branches seen only one way.
  for (size_t pc = 0; pc < n; ++pc) {
    const auto k = isa::op_info(insns[pc].opcode).kind;
    if ((k != OpKind::JccK && k != OpKind::JccX) || !report.facts[pc].reachable) continue;
    int8_t b = report.facts[pc].branch;
    if (b == 1) {
      insns[pc] = Insn{0x05, 0, 0, insns[pc].off, 0};  // goto
      ++out.folded;
    } else if (b == 0) {
      keep[pc] = false;  // never taken: falls through
      ++out.folded;
    }
  }
  // 2. Unreached instructions (both halves of an lddw follow the first).
  for (size_t pc = 0; pc < n; ++pc) {
    if (!report.facts[pc].reachable) {
      bool second_half =
          pc > 0 && isa::is_lddw(prog.insns[pc - 1]) && report.facts[pc - 1].reachable;
      if (!second_half) keep[pc] = false;
    }
  }
  // 3. Renumber. A removed instruction maps to the next kept one (jump targets stay valid).
  out.old_to_new.assign(n + 1, -1);
  std::vector<int32_t> next_kept(n + 1, 0);
  int32_t idx = 0;
  for (size_t pc = 0; pc < n; ++pc)
    if (keep[pc]) out.old_to_new[pc] = idx++;
  int32_t nxt = idx;
  for (size_t pc = n + 1; pc-- > 0;) {
    if (pc < n && keep[pc]) nxt = out.old_to_new[pc];
    next_kept[pc] = nxt;
  }
  for (size_t pc = 0; pc < n; ++pc) {
    if (!keep[pc]) {
      ++out.removed;
      continue;
    }
    Insn in = insns[pc];
    const auto k = isa::op_info(in.opcode).kind;
    const int32_t self = out.old_to_new[pc];
    auto retarget = [&](int64_t old_target) -> int32_t {
      return next_kept[static_cast<size_t>(old_target)] - self - 1;
    };
    if (k == OpKind::Ja || k == OpKind::JccK || k == OpKind::JccX || k == OpKind::MayGoto) {
      int32_t d = retarget(static_cast<int64_t>(pc) + 1 + in.off);
      if (d < INT16_MIN || d > INT16_MAX)
        return make_error(Errc::kTooBig, "jump offset overflow after rewrite");
      in.off = static_cast<int16_t>(d);
    } else if (k == OpKind::Jal) {
      in.imm = retarget(static_cast<int64_t>(pc) + 1 + in.imm);
    } else if ((k == OpKind::Call && in.src == isa::kPseudoCall) ||
               (k == OpKind::Lddw && in.src == isa::kPseudoFunc)) {
      in.imm = retarget(static_cast<int64_t>(pc) + 1 + in.imm);
    }
    out.insns.push_back(in);
  }
  out.old_to_new.resize(n);
  // A `goto +0` left behind by folding is harmless; drop none to keep the map simple.
  // 4. Zero-extension: every 32-bit ALU result is zero-extended by the ISA; a JIT whose 32-bit ops
  // already clear the upper half (x86-64) needs nothing, others need an explicit zext where a
  // 64-bit reader follows. Conservatively mark every 32-bit ALU definition.
  out.zext_needed.resize(out.insns.size());
  for (size_t i = 0; i < out.insns.size(); ++i) {
    uint8_t cls = isa::insn_class(out.insns[i].opcode);
    out.zext_needed[i] = cls == isa::kClassAlu ||
                         (cls == isa::kClassLdx && isa::size_bytes(out.insns[i].opcode) < 8);
  }
  return out;
}

}  // namespace bombus::verifier
