// `btf dump ... format raw` with -j: bpftool's {"types":[...]} rendering, one object per type
// with the same fields per kind as bpftool's JSON dump.
#include "btf_json.h"

namespace bombus::cli {

namespace {

using J = nlohmann::ordered_json;

std::string anon(std::string_view n) {
  return n.empty() ? "(anon)" : std::string(n);
}

const char* int_encoding(uint8_t e) {
  switch (e) {
    case btf::kIntSigned:
      return "SIGNED";
    case btf::kIntChar:
      return "CHAR";
    case btf::kIntBool:
      return "BOOL";
    default:
      return "(none)";
  }
}

const char* linkage(uint32_t l) {
  switch (l) {
    case 0:
      return "static";
    case 1:
      return "global";
    case 2:
      return "extern";
    default:
      return "(unknown)";
  }
}

J enum_values(const btf::Type& t, bool is64) {
  J vals = J::array();
  for (uint32_t i = 0; i < t.vlen(); ++i) {
    btf::EnumValue v = t.enum_value(i);
    J e = {{"name", anon(v.name)}};
    if (t.is_signed_enum()) {
      e["val"] = is64 ? v.value : static_cast<int64_t>(static_cast<int32_t>(v.value));
    } else {
      // bpftool 7.1 widens a 32-bit enumerator as signed before printing it unsigned.
      e["val"] = is64 ? static_cast<uint64_t>(v.value)
                      : static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v.value)));
    }
    vals.push_back(e);
  }
  return vals;
}

}  // namespace

nlohmann::ordered_json btf_type_json(const btf::Btf& b, uint32_t id) {
  using btf::Kind;
  btf::Type t = b.type(id);
  J j = {{"id", id}, {"kind", std::string(btf::kind_name(t.kind()))}, {"name", anon(t.name())}};
  switch (t.kind()) {
    case Kind::kInt:
      j["size"] = t.size();
      j["bits_offset"] = t.int_offset();
      j["nr_bits"] = t.int_bits();
      j["encoding"] = int_encoding(t.int_encoding());
      break;
    case Kind::kPtr:
    case Kind::kConst:
    case Kind::kVolatile:
    case Kind::kRestrict:
    case Kind::kTypedef:
    case Kind::kTypeTag:
      j["type_id"] = t.ref();
      break;
    case Kind::kArray: {
      btf::ArrayInfo a = t.array();
      j["type_id"] = a.type;
      j["index_type_id"] = a.index_type;
      j["nr_elems"] = a.nelems;
      break;
    }
    case Kind::kStruct:
    case Kind::kUnion: {
      j["size"] = t.size();
      j["vlen"] = t.vlen();
      J members = J::array();
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        btf::Member m = t.member(i);
        J mj = {{"name", anon(m.name)}, {"type_id", m.type}, {"bits_offset", m.bit_offset}};
        if (m.bitfield_size) mj["bitfield_size"] = m.bitfield_size;
        members.push_back(mj);
      }
      j["members"] = members;
      break;
    }
    case Kind::kEnum:
    case Kind::kEnum64:
      j["encoding"] = t.is_signed_enum() ? "SIGNED" : "UNSIGNED";
      j["size"] = t.size();
      j["vlen"] = t.vlen();
      j["values"] = enum_values(t, t.kind() == Kind::kEnum64);
      break;
    case Kind::kFwd:
      j["fwd_kind"] = t.kflag() ? "union" : "struct";
      break;
    case Kind::kFunc:
      j["type_id"] = t.ref();
      j["linkage"] = linkage(t.func_linkage());
      break;
    case Kind::kFuncProto: {
      j["ret_type_id"] = t.ref();
      j["vlen"] = t.vlen();
      J params = J::array();
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        btf::Param p = t.param(i);
        params.push_back({{"name", anon(p.name)}, {"type_id", p.type}});
      }
      j["params"] = params;
      break;
    }
    case Kind::kVar:
      j["type_id"] = t.ref();
      j["linkage"] = linkage(t.var_linkage());
      break;
    case Kind::kDatasec: {
      j["size"] = t.size();
      j["vlen"] = t.vlen();
      J vars = J::array();
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        btf::VarSecinfo v = t.secinfo(i);
        vars.push_back({{"type_id", v.type}, {"offset", v.offset}, {"size", v.size}});
      }
      j["vars"] = vars;
      break;
    }
    case Kind::kFloat:
      j["size"] = t.size();
      break;
    case Kind::kDeclTag:
      j["type_id"] = t.ref();
      j["component_idx"] = t.decl_tag_component();
      break;
    default:
      break;
  }
  return j;
}

nlohmann::ordered_json btf_types_json(const btf::Btf& b, const std::vector<uint32_t>* roots) {
  J types = J::array();
  if (roots) {
    for (uint32_t id : *roots) {
      if (id == 0) {
        types.push_back({{"id", 0}, {"kind", "UNKNOWN"}, {"name", "(anon)"}});
      } else if (b.valid_id(id)) {
        types.push_back(btf_type_json(b, id));
      }
    }
  } else {
    for (uint32_t id = b.start_id(); id < b.type_count(); ++id)
      types.push_back(btf_type_json(b, id));
  }
  return J{{"types", types}};
}

}  // namespace bombus::cli
