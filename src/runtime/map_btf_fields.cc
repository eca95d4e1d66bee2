// map_special_fields: a walk over the value struct's members (and nested structs).
#include "runtime/map_btf_fields.h"

#include "btf/btf.h"

namespace bombus::runtime {

namespace {

void walk(const btf::Btf& b, uint32_t id, uint32_t base, int depth, MapSpecialFields& out) {
  if (depth > 8 || !b.valid_id(id)) return;
  id = b.skip_modifiers(id);
  if (!b.valid_id(id)) return;
  btf::Type t = b.type(id);
  if (!t.is_struct_or_union()) return;
  for (uint32_t i = 0; i < t.vlen(); ++i) {
    btf::Member m = t.member(i);
    if (m.bitfield_size) continue;
    uint32_t mid = b.skip_modifiers(m.type);
    if (!b.valid_id(mid)) continue;
    btf::Type mt = b.type(mid);
    uint32_t off = base + m.bit_offset / 8;
    if (mt.kind() == btf::Kind::kStruct && mt.name() == "bpf_spin_lock") {
      if (out.spin_lock_off < 0) out.spin_lock_off = static_cast<int32_t>(off);
    } else if (mt.kind() == btf::Kind::kStruct && mt.name() == "bpf_timer") {
      if (out.timer_off < 0) out.timer_off = static_cast<int32_t>(off);
    } else if (mt.is_struct_or_union()) {
      walk(b, mid, off, depth + 1, out);
    }
  }
}

}  // namespace

MapSpecialFields map_special_fields(const btf::Btf* btf, uint32_t value_type_id) {
  MapSpecialFields out;
  if (btf && value_type_id) walk(*btf, value_type_id, 0, 0, out);
  return out;
}

}  // namespace bombus::runtime
