// BTF fixup phase: clang leaves every DATASEC with size 0 (and .kconfig variables at offset 0);
// the section sizes and variable offsets are only known from the ELF file and the extern
// layout. Like libbpf, fill them in so the ObjectSpec's BTF describes the global-data and
// .kconfig map values exactly (for map dumps and the verifier). Type ids and string offsets do
// not change, so nothing else needs renumbering; line-info text views move to the new blob.
#include <map>

#include "base/bytes.h"
#include "loader/state.h"

namespace bombus::loader::detail {

Status fixup_btf(OpenState& st) {
  if (!st.btf) return Status{};
  const btf::Btf& old = *st.btf;
  // (word index in the type section, new value) patches.
  std::vector<std::pair<size_t, uint32_t>> patches;
  const uint32_t* first = old.type(old.start_id()).words();
  for (uint32_t id = old.start_id(); id < old.type_count(); ++id) {
    btf::Type t = old.type(id);
    if (t.kind() != btf::Kind::kDatasec) continue;
    const size_t base = static_cast<size_t>(t.words() - first);
    std::string_view name = t.name();
    std::map<std::string_view, uint32_t> offsets;
    std::optional<uint32_t> size;
    if (name == ".kconfig") {
      if (!st.kconfig_map) continue;
      size = st.spec.maps[*st.kconfig_map].value_size;
      for (const ExternSpec& x : st.spec.externs)
        if (x.kconfig) offsets[x.name] = x.kcfg_offset;
    } else {
      const elf::Section* s = st.elf->find_section(name);
      if (!s) continue;
      size = static_cast<uint32_t>(s->size);
      for (const elf::Symbol& y : st.elf->symbols())
        if (y.shndx == s->index && y.type != elf::kSttSection && !y.name.empty())
          offsets[y.name] = static_cast<uint32_t>(y.value);
    }
    if (t.size() != *size) patches.emplace_back(base + 2, *size);
    for (uint32_t i = 0; i < t.vlen(); ++i) {
      btf::VarSecinfo vi = t.secinfo(i);
      auto it = offsets.find(old.name(vi.type));
      if (it != offsets.end() && it->second != vi.offset)
        patches.emplace_back(base + 3 + 3 * i + 1, it->second);
    }
  }
  if (patches.empty()) return Status{};
  std::vector<uint8_t> blob = old.encode();
  const size_t types =
      load_unaligned<uint32_t>(blob.data() + 4) + load_unaligned<uint32_t>(blob.data() + 8);
  for (auto [word, value] : patches) {
    BOMBUS_ASSERT(types + word * 4 + 4 <= blob.size());
    store_unaligned<uint32_t>(blob.data() + types + word * 4, value);
  }
  auto fixed = btf::Btf::parse(blob);
  if (!fixed.ok()) {
    Error e = fixed.error();
    e.message = "BTF after DATASEC fixup: " + e.message;
    e.where.object = st.spec.name;
    e.where.section = ".BTF";
    return e;
  }
  auto nb = std::make_shared<btf::Btf>(std::move(fixed).value());
  for (ProgramSpec& p : st.spec.programs)
    for (LineInfo& l : p.line_info) {
      l.file = nb->str(l.file_name_off);
      l.text = nb->str(l.line_off);
    }
  // st.btf_ext still points into the old blob; keep it alive as long as this state.
  st.old_btf = st.btf;
  st.btf = nb;
  st.spec.btf = nb;
  return Status{};
}

}  // namespace bombus::loader::detail
