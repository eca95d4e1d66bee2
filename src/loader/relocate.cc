// Relocation phase: classify every relocation of every code section (call, callback address,
// map, global data, extern) and then apply the data-like ones to the section's instructions.
// Calls and callback addresses are finished by link_programs once subprograms are placed.
#include <algorithm>

#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

constexpr uint8_t kCallOpcode = 0x85;  // BPF_JMP | BPF_CALL
constexpr uint8_t kLddwOpcode = 0x18;  // BPF_LD | BPF_IMM | BPF_DW

std::string hex8(uint32_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02x", v & 0xff);
  return b;
}

// Location of instruction `insn` of a code section: the enclosing function and its offset.
Location insn_at(const OpenState& st, const CodeSection& cs, uint32_t insn,
                 std::optional<uint32_t> relo) {
  Location l = st.at(cs.name);
  l.insn = insn;
  for (uint32_t fi : cs.funcs) {
    const Func& f = st.funcs[fi];
    if (insn >= f.off && insn < f.off + f.count) {
      l.program = f.name;
      l.insn = insn - f.off;
      l.section.clear();
    }
  }
  if (relo) l.relo = *relo;
  return l;
}

}  // namespace

Location relo_location(const OpenState& st, const CodeSection& cs, uint32_t insn,
                       std::optional<uint32_t> relo) {
  return insn_at(st, cs, insn, relo);
}

Status collect_relocations(OpenState& st) {
  const auto& syms = st.elf->symbols();
  for (CodeSection& cs : st.code) {
    for (const elf::Section* rs : st.elf->relocation_sections_for(cs.index)) {
      BOMBUS_ASSIGN_OR_RETURN(auto relos, st.elf->relocations(*rs));
      for (uint32_t ri = 0; ri < relos.size(); ++ri) {
        const elf::Reloc& r = relos[ri];
        const uint32_t idx = static_cast<uint32_t>(r.offset / 8);
        if (r.offset % 8 != 0 || idx >= cs.insns.size()) {
          Location l = st.at(cs.name);
          l.relo = ri;
          return make_error(Errc::kInvalid,
                            "relocation offset " + std::to_string(r.offset) +
                                " is not an instruction of the section",
                            l);
        }
        Location at = insn_at(st, cs, idx, ri);
        const elf::Symbol& y = syms[r.sym];
        const isa::Insn& insn = cs.insns[idx];
        const std::string sym_name(y.name);
        Relo out;
        out.number = ri;
        out.insn = idx;
        out.sym_off = y.value;
        out.sym_name = sym_name;
        const bool is_call = insn.opcode == kCallOpcode;
        const bool is_lddw = insn.opcode == kLddwOpcode;
        if (is_lddw && idx + 1 >= cs.insns.size())
          return make_error(Errc::kInvalid, "lddw at the end of the section has no second half",
                            at);
        if (auto e = st.extern_by_sym.find(r.sym); e != st.extern_by_sym.end()) {
          const ExternSpec& x = st.spec.externs[e->second];
          out.extern_index = e->second;
          if (is_call) {
            if (!x.is_func)
              return make_error(Errc::kInvalid,
                                "call to extern '" + sym_name + "' which is not a function", at);
            out.kind = ReloKind::kExternCall;
          } else if (is_lddw) {
            // A kfunc's address (bpf_ksym_exists()): its FUNC id as a typed ksym, like libbpf.
            out.kind = ReloKind::kExternLd;
          } else {
            return make_error(
                Errc::kInvalid,
                "relocation against extern '" + sym_name + "' on insn code " + hex8(insn.opcode),
                at);
          }
        } else if (is_call && insn.src == isa::kPseudoCall) {
          if (y.shndx != st.text_sec || st.text_sec == 0)
            return make_error(Errc::kInvalid,
                              "call relocation against '" + sym_name + "' which is not in .text",
                              at);
          if (y.value % 8 != 0)
            return make_error(Errc::kInvalid, "call target '" + sym_name + "' is misaligned", at);
          out.kind = ReloKind::kCall;
        } else if (!is_lddw) {
          return make_error(Errc::kInvalid,
                            "relocation against '" + sym_name + "' for insn code " +
                                hex8(insn.opcode) + " (expected lddw or call)",
                            at);
        } else if (y.shndx == elf::kShnUndef || y.shndx >= elf::kShnLoreserve) {
          return make_error(Errc::kInvalid,
                            "relocation against '" + sym_name +
                                "' in a special section; forgot to initialize a global variable?",
                            at);
        } else if (y.shndx == st.text_sec && st.text_sec != 0 &&
                   (y.type == elf::kSttFunc || y.type == elf::kSttSection)) {
          if (y.value % 8 != 0 || insn.imm % 8 != 0)
            return make_error(Errc::kInvalid,
                              "function address of '" + sym_name + "' is misaligned", at);
          out.kind = ReloKind::kSubprogAddr;
        } else if (y.shndx == st.maps_sec || y.shndx == st.legacy_maps_sec) {
          bool found = false;
          for (uint32_t mi = 0; mi < st.spec.maps.size(); ++mi) {
            const MapSpec& m = st.spec.maps[mi];
            if (m.sec_index == y.shndx && m.sec_offset == y.value &&
                (m.origin == MapOrigin::kBtf || m.origin == MapOrigin::kLegacy)) {
              out.map_index = mi;
              found = true;
              break;
            }
          }
          if (!found)
            return make_error(Errc::kInvalid,
                              "relocation against '" + sym_name +
                                  "' which is not a map definition (offset " +
                                  std::to_string(y.value) + ")",
                              at);
          out.kind = ReloKind::kMap;
        } else if (auto d = st.data_map_by_sec.find(y.shndx); d != st.data_map_by_sec.end()) {
          out.kind = ReloKind::kData;
          out.map_index = d->second;
        } else {
          const elf::Section* ts = st.elf->section(y.shndx);
          return make_error(Errc::kInvalid,
                            "relocation against '" + sym_name + "' in section '" +
                                std::string(ts ? ts->name : "?") +
                                "' which holds no map or global data",
                            at);
        }
        cs.relos.push_back(std::move(out));
      }
    }
    std::stable_sort(cs.relos.begin(), cs.relos.end(),
                     [](const Relo& a, const Relo& b) { return a.insn < b.insn; });
    for (size_t i = 1; i < cs.relos.size(); ++i)
      if (cs.relos[i].insn == cs.relos[i - 1].insn)
        return make_error(Errc::kInvalid, "two relocations for the same instruction",
                          insn_at(st, cs, cs.relos[i].insn, cs.relos[i].number));
  }
  return Status{};
}

Status apply_data_relocations(OpenState& st) {
  for (CodeSection& cs : st.code) {
    for (const Relo& r : cs.relos) {
      isa::Insn* insn = &cs.insns[r.insn];
      switch (r.kind) {
        case ReloKind::kCall:
          break;
        case ReloKind::kSubprogAddr:
          insn[0].src = isa::kPseudoFunc;
          break;
        case ReloKind::kMap:
          insn[0].src = isa::kPseudoMapIdx;
          insn[0].imm = static_cast<int32_t>(r.map_index);
          break;
        case ReloKind::kData: {
          int64_t off = static_cast<int64_t>(insn[0].imm) + static_cast<int64_t>(r.sym_off);
          const MapSpec& m = st.spec.maps[r.map_index];
          if (off < 0 || off > m.value_size)
            return make_error(Errc::kInvalid,
                              "offset " + std::to_string(off) + " into '" + m.real_name +
                                  "' is outside its " + std::to_string(m.value_size) + " bytes",
                              insn_at(st, cs, r.insn, r.number));
          insn[0].src = isa::kPseudoMapIdxValue;
          insn[0].imm = static_cast<int32_t>(r.map_index);
          insn[1].imm = static_cast<int32_t>(off);
          break;
        }
        case ReloKind::kExternLd: {
          const ExternSpec& x = st.spec.externs[r.extern_index];
          if (x.kconfig) {
            BOMBUS_ASSERT(st.kconfig_map.has_value());
            insn[0].src = isa::kPseudoMapIdxValue;
            insn[0].imm = static_cast<int32_t>(*st.kconfig_map);
            insn[1].imm = static_cast<int32_t>(x.kcfg_offset);
          } else if (x.resolved && x.kernel_btf_id != 0) {  // typed ksym: the kernel's VAR
            auto slot =
                std::find(st.spec.btf_modules.begin(), st.spec.btf_modules.end(), x.btf_module) -
                st.spec.btf_modules.begin();
            insn[0].src = isa::kPseudoBtfId;
            insn[0].imm = static_cast<int32_t>(x.kernel_btf_id);
            insn[1].imm = x.btf_module.empty() ? 0 : static_cast<int32_t>(slot + 1);
          } else {  // typeless, or an unresolved weak typed ksym: an address (0 if unresolved)
            insn[0].src = 0;
            insn[0].imm = static_cast<int32_t>(static_cast<uint32_t>(x.ksym_value));
            insn[1].imm = static_cast<int32_t>(static_cast<uint32_t>(x.ksym_value >> 32));
          }
          break;
        }
        case ReloKind::kExternCall: {
          const ExternSpec& x = st.spec.externs[r.extern_index];
          auto slot =
              std::find(st.spec.btf_modules.begin(), st.spec.btf_modules.end(), x.btf_module) -
              st.spec.btf_modules.begin();
          // libbpf 1.1: an unresolved (weak) kfunc keeps src 2 with imm 0 and off 0.
          insn[0].src = isa::kPseudoKfuncCall;
          insn[0].imm = x.resolved ? static_cast<int32_t>(x.kernel_btf_id) : 0;
          insn[0].off = x.resolved && !x.btf_module.empty() ? static_cast<int16_t>(slot + 1) : 0;
          break;
        }
      }
    }
  }
  return Status{};
}

}  // namespace bombus::loader::detail
