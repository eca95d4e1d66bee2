// Run-time support for generated skeletons (see skel_support.h).
#include "gen/skel_support.h"

#include "runtime/object_impl.h"

namespace bombus::gen {

std::span<uint8_t> initial_data(Object& obj, std::string_view section) {
  runtime::ObjectImpl* o = obj.impl();
  if (o == nullptr || o->loaded) return {};
  for (auto& m : o->spec.maps) {
    if (m.real_name != section) continue;
    if (m.initial_data.size() < m.value_size) m.initial_data.resize(m.value_size, 0);
    return {m.initial_data.data(), m.value_size};
  }
  return {};
}

uint8_t* global_data(Object& obj, std::string_view section) {
  runtime::ObjectImpl* o = obj.impl();
  if (o == nullptr || !o->loaded) return nullptr;
  for (size_t i = 0; i < o->spec.maps.size() && i < o->vm_maps.size(); ++i) {
    if (o->spec.maps[i].real_name != section) continue;
    uint32_t key = 0;
    return static_cast<uint8_t*>(o->vm_maps[i]->lookup(&key));
  }
  return nullptr;
}

}  // namespace bombus::gen
