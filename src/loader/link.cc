// Link phase: give each program its own copy of every subprogram it reaches, appended after its
// code in depth-first order of first use (libbpf's order, so instruction streams compare equal),
// fix call and callback offsets, carry BTF.ext func/line info over to the new positions, and
// list the program's map references.
#include <algorithm>
#include <map>

#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

constexpr uint8_t kCallOpcode = 0x85;
constexpr uint8_t kLddwOpcode = 0x18;
constexpr int kMaxDepth = 1024;

struct Linker {
  const OpenState& st;
  ProgramSpec& prog;
  std::map<const Func*, uint32_t> placed;  // function -> start in prog.insns
  std::vector<std::pair<const Func*, uint32_t>> order;

  const Relo* relo_at(const CodeSection& cs, uint32_t insn) const {
    auto it = std::lower_bound(cs.relos.begin(), cs.relos.end(), insn,
                               [](const Relo& r, uint32_t i) { return r.insn < i; });
    return it != cs.relos.end() && it->insn == insn ? &*it : nullptr;
  }

  Status place(const Func* f) {
    const CodeSection* cs = st.code_section(f->sec);
    uint32_t start = static_cast<uint32_t>(prog.insns.size());
    placed[f] = start;
    order.emplace_back(f, start);
    prog.insns.insert(prog.insns.end(), cs->insns.begin() + f->off,
                      cs->insns.begin() + f->off + f->count);
    if (!order.empty() && order.size() > 1)
      prog.subprogs.push_back(SubprogRange{f->name, start, f->count});
    return Status{};
  }

  Status process(const Func* f, int depth) {
    if (depth > kMaxDepth)
      return make_error(Errc::kTooBig,
                        "subprogram calls nest deeper than " + std::to_string(kMaxDepth),
                        st.at({}, prog.name));
    const CodeSection* cs = st.code_section(f->sec);
    const uint32_t start = placed[f];
    for (uint32_t i = 0; i < f->count; ++i) {
      const isa::Insn insn = prog.insns[start + i];
      const bool is_call = insn.opcode == kCallOpcode && insn.src == isa::kPseudoCall;
      const bool is_addr = insn.opcode == kLddwOpcode && insn.src == isa::kPseudoFunc;
      if (!is_call && !is_addr) continue;
      const uint32_t sec_insn = f->off + i;
      const Relo* r = relo_at(*cs, sec_insn);
      Location at =
          relo_location(st, *cs, sec_insn, r ? std::optional<uint32_t>(r->number) : std::nullopt);
      at.program = f->name;
      int64_t target;
      uint32_t target_sec;
      if (r && r->kind == ReloKind::kCall) {
        target = static_cast<int64_t>(r->sym_off / 8) + insn.imm + 1;
        target_sec = st.text_sec;
      } else if (r && r->kind == ReloKind::kSubprogAddr) {
        target = (static_cast<int64_t>(r->sym_off) + insn.imm) / 8;
        target_sec = st.text_sec;
      } else if (r) {
        return make_error(Errc::kInvalid, "unexpected relocation on a subprogram call", at);
      } else if (is_addr) {
        return make_error(Errc::kInvalid, "function address without a relocation", at);
      } else {
        // A call within the same section needs no relocation: imm is relative already.
        target = static_cast<int64_t>(sec_insn) + insn.imm + 1;
        target_sec = f->sec;
      }
      const Func* sub =
          target >= 0 ? st.func_at(target_sec, static_cast<uint32_t>(target)) : nullptr;
      if (!sub)
        return make_error(
            Errc::kInvalid,
            "call target insn " + std::to_string(target) + " is not the start of a function", at);
      if (!placed.count(sub)) {
        BOMBUS_TRY(place(sub));
        BOMBUS_TRY(process(sub, depth + 1));
      }
      int64_t rel = static_cast<int64_t>(placed[sub]) - (start + i) - 1;
      prog.insns[start + i].imm = static_cast<int32_t>(rel);
    }
    return Status{};
  }

  void ext_info() {
    if (!st.btf_ext) return;
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    const char* strbase = st.btf->str(0).data();
    const uint32_t strsize = st.btf->strings_size();
    auto str_off = [&](std::string_view v) -> uint32_t {
      if (v.data() >= strbase && v.data() < strbase + strsize)
        return static_cast<uint32_t>(v.data() - strbase);
      return 0;
    };
    for (auto [f, start] : sorted) {
      const CodeSection* cs = st.code_section(f->sec);
      const btf::ExtSection* es = st.btf_ext->section(cs->name);
      if (!es) continue;
      for (const btf::FuncInfo& fi : es->funcs) {
        uint32_t i = fi.insn_off / 8;
        if (i >= f->off && i < f->off + f->count)
          prog.func_info.push_back(FuncInfo{start + (i - f->off), fi.type_id});
      }
      for (const btf::LineInfo& li : es->lines) {
        uint32_t i = li.insn_off / 8;
        if (i >= f->off && i < f->off + f->count)
          prog.line_info.push_back(LineInfo{start + (i - f->off), str_off(li.file),
                                            str_off(li.text), (li.line << 10) | (li.col & 0x3ff),
                                            li.file, li.text});
      }
    }
  }
};

}  // namespace

Status link_programs(OpenState& st) {
  for (ProgramSpec& p : st.spec.programs) {
    const Func* entry = st.func_at(p.sec_index, p.sec_insn_off);
    BOMBUS_ASSERT(entry != nullptr);
    Linker l{st, p, {}, {}};
    p.insns.clear();
    BOMBUS_TRY(l.place(entry));
    p.main_insn_count = entry->count;
    BOMBUS_TRY(l.process(entry, 0));
    l.ext_info();
    for (uint32_t i = 0; i + 1 < p.insns.size(); ++i) {
      const isa::Insn& in = p.insns[i];
      if (in.opcode != kLddwOpcode) continue;
      if (in.src == isa::kPseudoMapIdx || in.src == isa::kPseudoMapIdxValue)
        p.map_refs.push_back(MapRef{i, static_cast<uint32_t>(in.imm),
                                    in.src == isa::kPseudoMapIdxValue,
                                    static_cast<uint32_t>(p.insns[i + 1].imm)});
      ++i;  // skip the second half
    }
  }
  return Status{};
}

}  // namespace bombus::loader::detail
