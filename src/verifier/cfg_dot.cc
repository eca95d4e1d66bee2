// Graphviz rendering of a program's control flow, in the shape bpftool's "visual" dump uses:
// a digraph with one subgraph cluster per function, record-shaped block nodes whose label lists
// the instructions, and edges for fall-through and jumps.
#include "verifier/cfg_dot.h"

#include <algorithm>
#include <set>

#include "verifier/engine.h"

namespace bombus::verifier {

using isa::OpKind;

std::vector<uint32_t> basic_block_starts(const std::vector<isa::Insn>& insns) {
  std::set<uint32_t> s{0};
  const size_t n = insns.size();
  for (size_t pc = 0; pc < n; ++pc) {
    const auto& in = insns[pc];
    auto k = isa::op_info(in.opcode).kind;
    if (k == OpKind::Lddw) {
      if (in.src == isa::kPseudoFunc) s.insert(static_cast<uint32_t>(pc + in.imm + 1));
      ++pc;
      continue;
    }
    if (k == OpKind::Call && in.src == isa::kPseudoCall)
      s.insert(static_cast<uint32_t>(pc + in.imm + 1));
    if (k == OpKind::Ja || k == OpKind::JccK || k == OpKind::JccX || k == OpKind::Jal) {
      int64_t t = static_cast<int64_t>(pc) + 1 + (k == OpKind::Jal ? in.imm : in.off);
      if (t >= 0 && t < static_cast<int64_t>(n)) s.insert(static_cast<uint32_t>(t));
      if (pc + 1 < n) s.insert(static_cast<uint32_t>(pc + 1));
    }
    if (k == OpKind::Exit && pc + 1 < n) s.insert(static_cast<uint32_t>(pc + 1));
  }
  std::vector<uint32_t> out;
  for (uint32_t v : s)
    if (v < n) out.push_back(v);
  return out;
}

namespace {

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '{' || c == '}' || c == '<' || c == '>' || c == '|' || c == '\\')
      o += '\\';
    o += c;
  }
  return o;
}

std::string render(const Program& prog, const Report* rep) {
  const auto& insns = prog.insns;
  const size_t n = insns.size();
  auto starts = basic_block_starts(insns);
  auto block_of = [&](size_t pc) {
    return static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), pc) - starts.begin() -
                               1);
  };
  // Function starts: 0 and call/callback targets.
  std::set<uint32_t> funcs{0};
  for (size_t pc = 0; pc < n; ++pc) {
    const auto& in = insns[pc];
    auto k = isa::op_info(in.opcode).kind;
    if ((k == OpKind::Call && in.src == isa::kPseudoCall) ||
        (k == OpKind::Lddw && in.src == isa::kPseudoFunc))
      funcs.insert(static_cast<uint32_t>(pc + in.imm + 1));
  }
  std::string out = "digraph \"DOT graph for eBPF program\" {\n";
  int fn = -1;
  for (size_t b = 0; b < starts.size(); ++b) {
    uint32_t s = starts[b], e = b + 1 < starts.size() ? starts[b + 1] : static_cast<uint32_t>(n);
    if (funcs.count(s)) {
      if (fn >= 0) out += "}\n";
      ++fn;
      out += "subgraph \"cluster_" + std::to_string(fn) +
             "\" {\n\tstyle=\"dashed\";\n\tcolor=\"black\";\n\tlabel=\"func_" + std::to_string(fn) +
             " ()\";\n";
    }
    std::string label;
    if (rep && !rep->entry_states.empty() && s < rep->entry_states.size()) {
      label += rep->entry_states[s].empty() ? std::string("(not reached)") : rep->entry_states[s];
      if (rep->visits[s] > 1) label += " (+" + std::to_string(rep->visits[s] - 1) + " more)";
      label += "\\l | ";
    }
    for (uint32_t pc = s; pc < e; ++pc) {
      if (pc > 0 && isa::is_lddw(insns[pc - 1]) && pc - 1 >= s) continue;
      label += std::to_string(pc) + ": " + escape(insn_text(insns, pc)) + "\\l";
      if (pc + 1 < e) label += " | ";
    }
    out += "\tfn_" + std::to_string(fn) + "_bb_" + std::to_string(b) +
           " [shape=record,style=filled,fillcolor=white,label=\"{" + label + "}\"];\n";
  }
  if (fn >= 0) out += "}\n";
  // Edges.
  int f = -1;
  std::vector<int> fn_of_block(starts.size());
  for (size_t b = 0; b < starts.size(); ++b) {
    if (funcs.count(starts[b])) ++f;
    fn_of_block[b] = f;
  }
  auto node = [&](size_t b) {
    return "fn_" + std::to_string(fn_of_block[b]) + "_bb_" + std::to_string(b);
  };
  for (size_t b = 0; b < starts.size(); ++b) {
    uint32_t e = b + 1 < starts.size() ? starts[b + 1] : static_cast<uint32_t>(n);
    uint32_t last = e - 1;
    if (last > 0 && last > starts[b] && isa::is_lddw(insns[last - 1])) last -= 1;
    const auto& in = insns[last];
    auto k = isa::op_info(in.opcode).kind;
    if (k == OpKind::Exit) continue;
    bool cond = k == OpKind::JccK || k == OpKind::JccX;
    if (k == OpKind::Ja || k == OpKind::Jal || cond) {
      int64_t t = static_cast<int64_t>(last) + 1 + (k == OpKind::Jal ? in.imm : in.off);
      if (t >= 0 && t < static_cast<int64_t>(n))
        out += "\t" + node(b) + " -> " + node(block_of(static_cast<size_t>(t))) +
               " [style=\"solid,bold\", color=black, weight=10, constraint=true];\n";
      if (!cond) continue;
    }
    if (e < n && !funcs.count(e))
      out += "\t" + node(b) + " -> " + node(b + 1) +
             " [style=\"solid,bold\", color=black, weight=10, constraint=true];\n";
  }
  out += "}\n";
  return out;
}

}  // namespace

std::string cfg_dot(const Program& prog) {
  return render(prog, nullptr);
}

std::string cfg_dot_with_states(const Program& prog, const Options& opts) {
  Options o = opts;
  o.record_states = true;
  Report r = verify(prog, o);
  return render(prog, &r);
}

}  // namespace bombus::verifier
