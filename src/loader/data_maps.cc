// Global data: each non-empty .data, .rodata, .bss (and .data.*, .rodata.*, .bss.*) section
// becomes a one-element array map whose value is the section's bytes, named the way libbpf
// names it. .rodata maps are read-only for programs and frozen after creation.
#include <cctype>

#include "loader/state.h"

namespace bombus::loader {

std::string internal_map_name(std::string_view obj_name, std::string_view sec) {
  constexpr size_t kObjNameLen = 16;  // BPF_OBJ_NAME_LEN, including the NUL
  size_t sfx = std::max<size_t>(7, sec.size());
  if (sfx >= kObjNameLen) sfx = kObjNameLen - 1;
  // A second '.' (".data.custom", ".rodata.str1.1") means a custom section: no prefix.
  size_t pfx = 0;
  if (sec.size() < 2 || sec.find('.', 1) == std::string_view::npos)
    pfx = std::min(kObjNameLen - sfx - 1, obj_name.size());
  std::string n = std::string(obj_name.substr(0, pfx)) + std::string(sec.substr(0, sfx));
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.') ch = '_';
  return n;
}

namespace detail {

Status collect_data_maps(OpenState& st) {
  for (const elf::Section& s : st.elf->sections()) {
    if (s.index == 0 || s.size == 0 || s.is_exec()) continue;
    MapOrigin origin;
    std::string_view n = s.name;
    if (s.type == elf::kShtProgbits && (n == ".data" || n.starts_with(".data.")))
      origin = MapOrigin::kData;
    else if (s.type == elf::kShtProgbits && (n == ".rodata" || n.starts_with(".rodata.")))
      origin = MapOrigin::kRodata;
    else if (s.type == elf::kShtNobits && (n == ".bss" || n.starts_with(".bss.")))
      origin = MapOrigin::kBss;
    else
      continue;
    if (s.size > UINT32_MAX)
      return make_error(Errc::kTooBig, "section too large for a map value", st.at(n));
    MapSpec m;
    m.real_name = std::string(n);
    m.name = internal_map_name(st.spec.name, n);
    m.origin = origin;
    m.type = MapType::kArray;
    m.key_size = 4;
    m.value_size = static_cast<uint32_t>(s.size);
    m.max_entries = 1;
    m.map_flags = kMapFlagMmapable;
    if (origin == MapOrigin::kRodata) {
      m.map_flags |= kMapFlagRdonlyProg;
      m.frozen = true;
    }
    if (origin == MapOrigin::kBss)
      m.initial_data.assign(s.size, 0);
    else
      m.initial_data.assign(s.data.begin(), s.data.end());
    if (st.btf) {
      if (auto id = st.btf->find_datasec(n)) m.btf_value_type_id = *id;
    }
    m.sec_index = s.index;
    st.data_map_by_sec[s.index] = static_cast<uint32_t>(st.spec.maps.size());
    st.spec.maps.push_back(std::move(m));
  }
  return Status{};
}

}  // namespace detail
}  // namespace bombus::loader
