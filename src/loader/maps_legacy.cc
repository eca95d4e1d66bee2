// The legacy SEC("maps") section: an array of struct bpf_map_def {type, key_size, value_size,
// max_entries, map_flags} (20 bytes; iproute2-style definitions may be longer and then every
// extra byte must be zero). Each symbol in the section names one definition.
#include <algorithm>
#include <cstring>

#include "loader/state.h"

namespace bombus::loader::detail {

Status collect_legacy_maps(OpenState& st) {
  if (st.legacy_maps_sec == 0) return Status{};
  const elf::Section* sec = st.elf->section(st.legacy_maps_sec);
  std::vector<const elf::Symbol*> syms;
  for (const elf::Symbol& y : st.elf->symbols())
    if (y.shndx == st.legacy_maps_sec && y.type != elf::kSttSection && !y.name.empty())
      syms.push_back(&y);
  if (syms.empty()) return Status{};
  std::sort(syms.begin(), syms.end(),
            [](const elf::Symbol* a, const elf::Symbol* b) { return a->value < b->value; });
  constexpr size_t kDefSize = 20;
  const size_t def_size = sec->data.size() / syms.size();
  if (def_size < kDefSize || sec->data.size() % syms.size() != 0)
    return make_error(Errc::kInvalid,
                      "section size " + std::to_string(sec->data.size()) + " does not hold " +
                          std::to_string(syms.size()) + " struct bpf_map_def",
                      st.at("maps"));
  for (const elf::Symbol* y : syms) {
    if (y->value % def_size != 0 || y->value + def_size > sec->data.size())
      return make_error(Errc::kInvalid,
                        "map '" + std::string(y->name) + "': definition at offset " +
                            std::to_string(y->value) + " is not a bpf_map_def slot",
                        st.at("maps"));
    const uint8_t* p = sec->data.data() + y->value;
    for (size_t i = kDefSize; i < def_size; ++i)
      if (p[i] != 0)
        return make_error(Errc::kUnsupported,
                          "map '" + std::string(y->name) + "': unknown non-zero field at byte " +
                              std::to_string(i) + " of the definition",
                          st.at("maps"));
    uint32_t f[5];
    std::memcpy(f, p, sizeof f);
    MapSpec m;
    m.name = std::string(y->name);
    m.real_name = m.name;
    m.origin = MapOrigin::kLegacy;
    m.type = static_cast<MapType>(f[0]);
    m.key_size = f[1];
    m.value_size = f[2];
    m.max_entries = f[3];
    m.map_flags = f[4];
    m.sec_index = st.legacy_maps_sec;
    m.sec_offset = y->value;
    st.spec.maps.push_back(std::move(m));
  }
  return Status{};
}

}  // namespace bombus::loader::detail
