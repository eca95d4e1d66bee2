// Where a map value keeps its special fields: the byte offsets of `struct bpf_spin_lock` and
// `struct bpf_timer` in the map's BTF value type, found as the kernel's btf_find_field finds
// them (members of the value struct, and of structs nested in it, by the struct's name). Map
// creation and the verifier's map descriptions take them from here.
#pragma once

#include <cstdint>

namespace bombus::btf {
class Btf;
}

namespace bombus::runtime {

struct MapSpecialFields {
  int32_t spin_lock_off = -1;  // -1: none
  int32_t timer_off = -1;
};

// `btf` may be null and `value_type_id` 0 (no BTF): then there are no special fields.
MapSpecialFields map_special_fields(const btf::Btf* btf, uint32_t value_type_id);

}  // namespace bombus::runtime
