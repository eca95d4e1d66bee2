// BTF-defined maps: every VAR of the ".maps" DATASEC is a struct whose members describe the map
// the way libbpf's __uint/__type/__array macros encode it — `int (*type)[N]` carries the number N,
// `T *key` carries the key type, `struct inner *values[]` the inner map template (map-in-map) or
// `int (*values[])(void *)` a program array. `.values` initialisers are relocations in .maps.
#include <map>

#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

std::string type_str(MapType t) {
  std::string_view n = map_type_name(t);
  return n.empty() ? "type " + std::to_string(static_cast<uint32_t>(t)) : std::string(n);
}

struct MapsCtx {
  OpenState& st;
  const btf::Btf& btf;
  Error fail(std::string_view map, std::string msg) const {
    return make_error(Errc::kInvalid, "map '" + std::string(map) + "': " + msg, st.at(".maps"));
  }
};

// `int (*name)[N]` -> N.
Result<uint32_t> field_int(const MapsCtx& c, std::string_view map, const btf::Member& m) {
  btf::Type p = c.btf.type(c.btf.skip_modifiers(m.type));
  if (p.kind() != btf::Kind::kPtr)
    return c.fail(map, "attr '" + std::string(m.name) + "': expected PTR, got " +
                           std::string(btf::kind_name(p.kind())));
  btf::Type a = c.btf.type(c.btf.skip_modifiers(p.ref()));
  if (a.kind() != btf::Kind::kArray)
    return c.fail(map, "attr '" + std::string(m.name) + "': expected ARRAY, got " +
                           std::string(btf::kind_name(a.kind())));
  return a.array().nelems;
}

// map_extra: `int (*name)[N]` (__uint) -> N, or libbpf 1.3's __ulong — `enum { v } name` — ->
// the single enumerator: ENUM values are s32 sign-extended to 64 bits as libbpf reads them,
// ENUM64 values taken whole.
Result<uint64_t> field_long(const MapsCtx& c, std::string_view map, const btf::Member& m) {
  btf::Type t = c.btf.type(c.btf.skip_modifiers(m.type));
  if (t.kind() == btf::Kind::kPtr) {
    BOMBUS_ASSIGN_OR_RETURN(uint32_t v, field_int(c, map, m));
    return uint64_t{v};
  }
  if (!t.is_enum())
    return c.fail(map, "attr '" + std::string(m.name) + "': expected ENUM or ENUM64, got " +
                           std::string(btf::kind_name(t.kind())));
  if (t.vlen() != 1) return c.fail(map, "attr '" + std::string(m.name) + "': invalid __ulong");
  const uint32_t* w = t.words();
  if (t.kind() == btf::Kind::kEnum)
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(w[4])));
  return static_cast<uint64_t>(w[4]) | (static_cast<uint64_t>(w[5]) << 32);
}

// `T *name` -> T (id, size).
Result<std::pair<uint32_t, uint32_t>> field_type(const MapsCtx& c, std::string_view map,
                                                 const btf::Member& m) {
  btf::Type p = c.btf.type(c.btf.skip_modifiers(m.type));
  if (p.kind() != btf::Kind::kPtr)
    return c.fail(map, "attr '" + std::string(m.name) + "': expected PTR, got " +
                           std::string(btf::kind_name(p.kind())));
  auto sz = c.btf.resolve_size(p.ref());
  if (!sz.ok())
    return c.fail(map, "attr '" + std::string(m.name) + "': cannot size type [" +
                           std::to_string(p.ref()) + "]: " + sz.error().message);
  return std::make_pair(p.ref(), *sz);
}

Status parse_def(const MapsCtx& c, std::string_view map, uint32_t def_type, bool inner,
                 MapSpec& out, uint32_t* values_off) {
  btf::Type def = c.btf.type(c.btf.skip_modifiers(def_type));
  if (def.kind() != btf::Kind::kStruct)
    return c.fail(map,
                  "definition is " + std::string(btf::kind_name(def.kind())) + ", expected STRUCT");
  bool has_key_size = false, has_value_size = false;
  for (uint32_t i = 0; i < def.vlen(); ++i) {
    btf::Member m = def.member(i);
    std::string_view n = m.name;
    if (m.bit_offset % 8 != 0) return c.fail(map, "attr '" + std::string(n) + "' is a bitfield");
    if (n == "map_extra") {
      BOMBUS_ASSIGN_OR_RETURN(out.map_extra, field_long(c, map, m));
    } else if (n == "type" || n == "max_entries" || n == "map_flags" || n == "numa_node" ||
               n == "pinning" || n == "key_size" || n == "value_size") {
      BOMBUS_ASSIGN_OR_RETURN(uint32_t v, field_int(c, map, m));
      if (n == "type") {
        out.type = static_cast<MapType>(v);
      } else if (n == "max_entries") {
        out.max_entries = v;
      } else if (n == "map_flags") {
        out.map_flags = v;
      } else if (n == "numa_node") {
        out.numa_node = v;
      } else if (n == "pinning") {
        if (inner) return c.fail(map, "inner map definitions cannot be pinned");
        if (v > 1) return c.fail(map, "invalid pinning value " + std::to_string(v));
        out.pinning = static_cast<Pinning>(v);
      } else if (n == "key_size") {
        if (out.btf_key_type_id && out.key_size != v)
          return c.fail(map, "conflicting key size " + std::to_string(v) +
                                 " != " + std::to_string(out.key_size));
        out.key_size = v;
        has_key_size = true;
      } else {
        if (out.btf_value_type_id && out.value_size != v)
          return c.fail(map, "conflicting value size " + std::to_string(v) +
                                 " != " + std::to_string(out.value_size));
        out.value_size = v;
        has_value_size = true;
      }
    } else if (n == "key" || n == "value") {
      BOMBUS_ASSIGN_OR_RETURN(auto tv, field_type(c, map, m));
      bool key = n == "key";
      uint32_t& size = key ? out.key_size : out.value_size;
      if ((key ? has_key_size : has_value_size) && size != tv.second)
        return c.fail(map, "conflicting " + std::string(n) + " size " + std::to_string(size) +
                               " != " + std::to_string(tv.second));
      size = tv.second;
      (key ? out.btf_key_type_id : out.btf_value_type_id) = tv.first;
    } else if (n == "values") {
      if (inner) return c.fail(map, "multi-level inner maps are not supported");
      if (i + 1 != def.vlen()) return c.fail(map, "'values' must be the last member");
      btf::Type a = c.btf.type(c.btf.skip_modifiers(m.type));
      if (a.kind() != btf::Kind::kArray)
        return c.fail(
            map, "attr 'values': expected ARRAY, got " + std::string(btf::kind_name(a.kind())));
      btf::Type p = c.btf.type(c.btf.skip_modifiers(a.array().type));
      if (p.kind() != btf::Kind::kPtr)
        return c.fail(map, "attr 'values': array element is " +
                               std::string(btf::kind_name(p.kind())) + ", expected PTR");
      btf::Type target = c.btf.type(c.btf.skip_modifiers(p.ref()));
      *values_off = m.bit_offset / 8;
      // Slots hold fds (programs or inner maps): 4-byte values unless given otherwise.
      if (!has_value_size && out.btf_value_type_id == 0) out.value_size = 4;
      if (target.kind() == btf::Kind::kFuncProto) {
        if (out.type != MapType::kProgArray)
          return c.fail(map, "'values' of functions needs a prog array, not " + type_str(out.type));
      } else if (target.kind() == btf::Kind::kStruct) {
        if (out.type != MapType::kArrayOfMaps && out.type != MapType::kHashOfMaps)
          return c.fail(map,
                        "inner map definition needs a map-in-map type, not " + type_str(out.type));
        auto in = std::make_shared<MapSpec>();
        in->name = std::string(map) + ".inner";
        in->real_name = in->name;
        in->origin = MapOrigin::kInner;
        uint32_t unused = 0;
        BOMBUS_TRY(parse_def(c, in->name, target.id(), true, *in, &unused));
        out.inner = std::move(in);
      } else {
        return c.fail(map, "attr 'values': unexpected element type " +
                               std::string(btf::kind_name(target.kind())));
      }
    } else {
      return c.fail(map, "unknown field '" + std::string(n) + "'");
    }
  }
  if (out.type == MapType::kUnspec) return c.fail(map, "map type is not set");
  if ((out.type == MapType::kArrayOfMaps || out.type == MapType::kHashOfMaps) && !inner &&
      !out.inner)
    return c.fail(map, "map-in-map without an inner map definition ('values')");
  return Status{};
}

}  // namespace

Status collect_btf_maps(OpenState& st) {
  if (st.maps_sec == 0) return Status{};
  if (!st.btf)
    return make_error(Errc::kInvalid, "BTF-defined maps need a .BTF section", st.at(".maps"));
  const btf::Btf& btf = *st.btf;
  auto ds = btf.find_datasec(".maps");
  if (!ds) return make_error(Errc::kInvalid, "no DATASEC '.maps' in BTF", st.at(".maps"));
  MapsCtx c{st, btf};
  // Map symbols of the .maps section by name: clang leaves DATASEC offsets for libbpf to fill.
  std::map<std::string_view, const elf::Symbol*> syms;
  for (const elf::Symbol& y : st.elf->symbols())
    if (y.shndx == st.maps_sec && y.type != elf::kSttSection && !y.name.empty()) syms[y.name] = &y;
  const elf::Section* msec = st.elf->section(st.maps_sec);
  btf::Type d = btf.type(*ds);
  std::vector<std::pair<uint32_t, uint32_t>> values_at;  // (map index, values offset)
  for (uint32_t i = 0; i < d.vlen(); ++i) {
    btf::VarSecinfo vi = d.secinfo(i);
    btf::Type var = btf.type(vi.type);
    if (var.kind() != btf::Kind::kVar)
      return make_error(Errc::kInvalid, "DATASEC entry #" + std::to_string(i) + " is not a VAR",
                        st.at(".maps"));
    std::string_view name = var.name();
    auto sy = syms.find(name);
    if (sy == syms.end()) return c.fail(name, "no ELF symbol for the map definition");
    MapSpec m;
    m.name = std::string(name);
    m.real_name = m.name;
    m.origin = MapOrigin::kBtf;
    m.btf_var_id = var.id();
    m.sec_index = st.maps_sec;
    m.sec_offset = sy->second->value;
    if (m.sec_offset + vi.size > msec->size && msec->size > 0)
      return c.fail(name,
                    "definition at offset " + std::to_string(m.sec_offset) + " is outside .maps");
    uint32_t values_off = UINT32_MAX;
    BOMBUS_TRY(parse_def(c, name, var.ref(), false, m, &values_off));
    if (values_off != UINT32_MAX)
      values_at.emplace_back(static_cast<uint32_t>(st.spec.maps.size()), values_off);
    st.spec.maps.push_back(std::move(m));
  }
  // `.values = { [1] = &inner, [2] = &prog }` initialisers.
  for (const elf::Section* rs : st.elf->relocation_sections_for(st.maps_sec)) {
    BOMBUS_ASSIGN_OR_RETURN(auto relos, st.elf->relocations(*rs));
    for (size_t ri = 0; ri < relos.size(); ++ri) {
      const elf::Reloc& r = relos[ri];
      const elf::Symbol& y = st.elf->symbols()[r.sym];
      Location at = st.at(".maps");
      at.relo = static_cast<int64_t>(ri);
      MapSpec* owner = nullptr;
      uint32_t voff = 0;
      for (auto [mi, vo] : values_at) {
        MapSpec& m = st.spec.maps[mi];
        if (r.offset >= m.sec_offset + vo && (!owner || m.sec_offset > owner->sec_offset)) {
          owner = &m;
          voff = vo;
        }
      }
      if (!owner || r.offset < owner->sec_offset + voff)
        return make_error(
            Errc::kInvalid,
            "relocation at offset " + std::to_string(r.offset) + " is not in a map's 'values'", at);
      uint64_t rel = r.offset - owner->sec_offset - voff;
      if (rel % 8 != 0)
        return make_error(Errc::kInvalid, "misaligned 'values' slot at " + std::to_string(r.offset),
                          at);
      uint32_t slot = static_cast<uint32_t>(rel / 8);
      if (owner->type == MapType::kProgArray) {
        if (y.type != elf::kSttFunc || st.code_section(y.shndx) == nullptr ||
            y.shndx == st.text_sec)
          return make_error(Errc::kInvalid,
                            "map '" + owner->name + "': slot " + std::to_string(slot) + ": '" +
                                std::string(y.name) + "' is not a BPF program",
                            at);
      } else {
        if (y.shndx != st.maps_sec || !syms.count(y.name))
          return make_error(Errc::kInvalid,
                            "map '" + owner->name + "': slot " + std::to_string(slot) + ": '" +
                                std::string(y.name) + "' is not a map",
                            at);
      }
      if (owner->max_entries && slot >= owner->max_entries)
        return make_error(Errc::kInvalid,
                          "map '" + owner->name + "': slot " + std::to_string(slot) +
                              " is beyond max_entries " + std::to_string(owner->max_entries),
                          at);
      owner->init_slots[slot] = std::string(y.name);
    }
  }
  return Status{};
}

}  // namespace bombus::loader::detail
