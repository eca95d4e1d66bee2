// Collect phase: walk the ELF sections once and sort them into code, map definitions, BTF and
// the rest; then turn function symbols into programs (functions in named executable sections)
// and subprograms (functions in .text).
#include <algorithm>
#include <cstring>

#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

bool is_ignored_section(std::string_view n) {
  return n.empty() || n.starts_with(".debug") || n.starts_with(".rel") || n.starts_with(".llvm") ||
         n == ".strtab" || n == ".symtab" || n == ".shstrtab" || n == "license" || n == "version" ||
         n == ".BTF" || n == ".BTF.ext" || n == ".maps" || n == "maps" || n == ".struct_ops" ||
         n == ".struct_ops.link" || n.starts_with(".eh_frame") || n == ".note.GNU-stack" ||
         n == ".comment";
}

bool is_data_section_name(std::string_view n) {
  return n == ".data" || n.starts_with(".data.") || n == ".rodata" || n.starts_with(".rodata.") ||
         n == ".bss" || n.starts_with(".bss.");
}

}  // namespace

const Func* OpenState::func_at(uint32_t sec, uint32_t off) const {
  const CodeSection* cs = code_section(sec);
  if (!cs) return nullptr;
  for (uint32_t fi : cs->funcs)
    if (funcs[fi].off == off) return &funcs[fi];
  return nullptr;
}

Status collect_sections(OpenState& st) {
  const elf::ElfFile& elf = *st.elf;
  st.spec.license = std::string(elf.license());
  st.spec.kern_version = elf.kern_version().value_or(0);
  const elf::Section* btf_sec = nullptr;
  const elf::Section* ext_sec = nullptr;
  for (const elf::Section& s : elf.sections()) {
    if (s.index == 0) continue;
    if (s.is_exec()) {
      if (s.size % sizeof(isa::Insn) != 0)
        return make_error(Errc::kInvalid,
                          "code section size " + std::to_string(s.size) + " is not a multiple of 8",
                          st.at(s.name));
      if (s.name == ".text") st.text_sec = s.index;
      if (s.data.empty()) continue;
      CodeSection cs;
      cs.index = s.index;
      cs.name = std::string(s.name);
      cs.insns.resize(s.data.size() / sizeof(isa::Insn));
      std::memcpy(cs.insns.data(), s.data.data(), s.data.size());
      st.code_by_sec[s.index] = st.code.size();
      st.code.push_back(std::move(cs));
      continue;
    }
    if (s.name == ".maps") st.maps_sec = s.index;
    if (s.name == "maps") st.legacy_maps_sec = s.index;
    if (s.name == ".BTF") btf_sec = &s;
    if (s.name == ".BTF.ext") ext_sec = &s;
    if (is_ignored_section(s.name) || is_data_section_name(s.name)) continue;
    if ((s.type == elf::kShtProgbits || s.type == elf::kShtNobits) && s.size > 0 &&
        (s.flags & elf::kShfAlloc))
      st.spec.unknown_sections.emplace_back(s.name);
  }
  if (btf_sec) {
    auto b = btf::Btf::parse(btf_sec->data);
    if (!b.ok()) {
      Error e = b.error();
      e.where.object = st.spec.name;
      e.where.section = ".BTF";
      return e;
    }
    st.btf = std::make_shared<btf::Btf>(std::move(b).value());
    st.spec.btf = st.btf;
    if (ext_sec) {
      auto x = btf::BtfExt::parse(ext_sec->data, *st.btf);
      if (!x.ok()) {
        Error e = x.error();
        e.where.object = st.spec.name;
        e.where.section = ".BTF.ext";
        return e;
      }
      st.btf_ext = std::move(x).value();
    }
  }
  return Status{};
}

Status collect_functions(OpenState& st) {
  const elf::ElfFile& elf = *st.elf;
  for (const elf::Symbol& y : elf.symbols()) {
    if (y.type != elf::kSttFunc || y.shndx == elf::kShnUndef || y.shndx >= elf::kShnLoreserve)
      continue;
    auto it = st.code_by_sec.find(y.shndx);
    if (it == st.code_by_sec.end()) continue;
    CodeSection& cs = st.code[it->second];
    if (y.value % 8 != 0 || y.size % 8 != 0 || y.size == 0 ||
        y.value / 8 + y.size / 8 > cs.insns.size())
      return make_error(Errc::kInvalid,
                        "function '" + std::string(y.name) + "' at offset " +
                            std::to_string(y.value) + " size " + std::to_string(y.size) +
                            " does not fit the section (" + std::to_string(cs.insns.size() * 8) +
                            " bytes)",
                        st.at(cs.name));
    if (y.name.empty())
      return make_error(Errc::kInvalid, "unnamed function at offset " + std::to_string(y.value),
                        st.at(cs.name));
    Func f;
    f.name = std::string(y.name);
    f.sec = y.shndx;
    f.off = static_cast<uint32_t>(y.value / 8);
    f.count = static_cast<uint32_t>(y.size / 8);
    f.global = y.bind != elf::kStbLocal;
    cs.funcs.push_back(static_cast<uint32_t>(st.funcs.size()));
    st.funcs.push_back(std::move(f));
  }
  for (CodeSection& cs : st.code) {
    std::sort(cs.funcs.begin(), cs.funcs.end(),
              [&](uint32_t a, uint32_t b) { return st.funcs[a].off < st.funcs[b].off; });
    for (size_t i = 1; i < cs.funcs.size(); ++i) {
      const Func& p = st.funcs[cs.funcs[i - 1]];
      if (p.off + p.count > st.funcs[cs.funcs[i]].off)
        return make_error(
            Errc::kInvalid,
            "functions '" + p.name + "' and '" + st.funcs[cs.funcs[i]].name + "' overlap",
            st.at(cs.name));
    }
    if (cs.index == st.text_sec) continue;  // .text holds subprograms only
    std::optional<SectionDef> def = classify_section(cs.name);
    if (!def) st.spec.unknown_sections.push_back(cs.name);
    for (uint32_t fi : cs.funcs) {
      const Func& f = st.funcs[fi];
      ProgramSpec p;
      p.name = f.name;
      p.section = cs.name;
      p.sec_index = cs.index;
      p.sec_insn_off = f.off;
      if (def) {
        p.type = def->type;
        p.expected_attach_type = def->attach_type;
        p.attach_target = def->attach_target;
        p.prog_flags = def->prog_flags;
        p.autoload = def->autoload;
      } else {
        p.known_section = false;
        p.autoload = !cs.name.starts_with('?');
      }
      if (auto o = st.opts->autoload.find(p.name); o != st.opts->autoload.end())
        p.autoload = o->second;
      st.spec.programs.push_back(std::move(p));
    }
  }
  return Status{};
}

}  // namespace bombus::loader::detail
