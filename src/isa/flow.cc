// Control-flow facts of an encoded program (see flow.h).
#include "isa/flow.h"

#include <algorithm>

namespace bombus::isa {

std::optional<int64_t> jump_target(std::span<const Insn> prog, size_t pc) {
  if (pc >= prog.size()) return std::nullopt;
  const Insn& in = prog[pc];
  switch (op_info(in.opcode).kind) {
    case OpKind::Ja:
    case OpKind::JccK:
    case OpKind::JccX:
    case OpKind::MayGoto:  // conditional: falls through or jumps
      return static_cast<int64_t>(pc) + 1 + in.off;
    case OpKind::Jal:
      return static_cast<int64_t>(pc) + 1 + in.imm;
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> callee(std::span<const Insn> prog, size_t pc) {
  if (pc >= prog.size()) return std::nullopt;
  const Insn& in = prog[pc];
  const OpKind k = op_info(in.opcode).kind;
  if ((k == OpKind::Call && in.src == kPseudoCall) || (k == OpKind::Lddw && in.src == kPseudoFunc))
    return static_cast<int64_t>(pc) + 1 + in.imm;
  return std::nullopt;
}

std::vector<bool> lddw_second_halves(std::span<const Insn> prog) {
  std::vector<bool> out(prog.size(), false);
  for (size_t i = 0; i + 1 < prog.size(); ++i) {
    if (is_lddw(prog[i])) out[++i] = true;
  }
  return out;
}

std::vector<size_t> function_entries(std::span<const Insn> prog) {
  std::vector<size_t> out{0};
  const auto second = lddw_second_halves(prog);
  for (size_t i = 0; i < prog.size(); ++i) {
    if (second[i]) continue;
    auto t = callee(prog, i);
    if (t && *t >= 0 && *t < static_cast<int64_t>(prog.size()))
      out.push_back(static_cast<size_t>(*t));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<bool> reachable(std::span<const Insn> prog) {
  const auto n = static_cast<int64_t>(prog.size());
  std::vector<bool> seen(prog.size(), false);
  const auto second = lddw_second_halves(prog);
  std::vector<int64_t> work;
  auto push = [&](int64_t t) {
    if (t < 0 || t >= n || seen[static_cast<size_t>(t)] || second[static_cast<size_t>(t)]) return;
    seen[static_cast<size_t>(t)] = true;
    work.push_back(t);
  };
  push(0);
  while (!work.empty()) {
    const auto pc = static_cast<size_t>(work.back());
    work.pop_back();
    const Insn& in = prog[pc];
    const OpKind k = op_info(in.opcode).kind;
    if (k == OpKind::Exit) continue;
    if (auto t = jump_target(prog, pc)) {
      push(*t);
      if (k == OpKind::Ja || k == OpKind::Jal) continue;
    }
    if (auto t = callee(prog, pc)) push(*t);
    push(static_cast<int64_t>(pc) + (k == OpKind::Lddw ? 2 : 1));
  }
  return seen;
}

}  // namespace bombus::isa
