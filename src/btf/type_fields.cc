// describe_type: the one place that knows which fields bpftool's raw dumps show for each BTF
// kind, in bpftool's order. Rendering (text or JSON) is the sink's business.
#include "btf/type_fields.h"

namespace bombus::btf {
namespace {

std::string_view anon(std::string_view n) {
  return n.empty() ? "(anon)" : n;
}

}  // namespace

std::string_view int_encoding_name(uint8_t encoding) {
  switch (encoding) {
    case kIntSigned:
      return "SIGNED";
    case kIntChar:
      return "CHAR";
    case kIntBool:
      return "BOOL";
    default:
      return "(none)";
  }
}

std::string_view linkage_name(uint32_t linkage) {
  switch (linkage) {
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

void describe_type(const Btf& b, uint32_t id, FieldSink& s) {
  Type t = b.type(id);
  Kind k = t.kind();
  s.header(id, kind_name(k), anon(t.name()));
  switch (k) {
    case Kind::kInt:
      s.number("size", t.size());
      s.number("bits_offset", t.int_offset());
      s.number("nr_bits", t.int_bits());
      s.text("encoding", int_encoding_name(t.int_encoding()));
      break;
    case Kind::kPtr:
    case Kind::kConst:
    case Kind::kVolatile:
    case Kind::kRestrict:
    case Kind::kTypedef:
    case Kind::kTypeTag:
      s.number("type_id", t.ref());
      break;
    case Kind::kArray: {
      ArrayInfo a = t.array();
      s.number("type_id", a.type);
      s.number("index_type_id", a.index_type);
      s.number("nr_elems", a.nelems);
      break;
    }
    case Kind::kStruct:
    case Kind::kUnion:
      s.number("size", t.size());
      s.number("vlen", t.vlen());
      s.list_begin("members");
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        Member m = t.member(i);
        s.item_begin();
        s.text("name", anon(m.name));
        s.number("type_id", m.type);
        s.number("bits_offset", m.bit_offset);
        if (m.bitfield_size) s.number("bitfield_size", m.bitfield_size);
        s.item_end();
      }
      s.list_end();
      break;
    case Kind::kEnum:
    case Kind::kEnum64:
      s.text("encoding", t.is_signed_enum() ? "SIGNED" : "UNSIGNED");
      s.number("size", t.size());
      s.number("vlen", t.vlen());
      s.list_begin("values");
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        EnumValue v = t.enum_value(i);
        s.item_begin();
        s.text("name", anon(v.name));
        s.enum_value("val", EnumField{v.value, k == Kind::kEnum64, t.is_signed_enum()});
        s.item_end();
      }
      s.list_end();
      break;
    case Kind::kFwd:
      s.text("fwd_kind", t.kflag() ? "union" : "struct");
      break;
    case Kind::kFunc:
      s.number("type_id", t.ref());
      s.text("linkage", linkage_name(t.func_linkage()));
      break;
    case Kind::kFuncProto:
      s.number("ret_type_id", t.ref());
      s.number("vlen", t.vlen());
      s.list_begin("params");
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        Param p = t.param(i);
        s.item_begin();
        s.text("name", anon(p.name));
        s.number("type_id", p.type);
        s.item_end();
      }
      s.list_end();
      break;
    case Kind::kVar:
      s.number("type_id", t.ref());
      s.text("linkage", linkage_name(t.var_linkage()));
      break;
    case Kind::kDatasec:
      s.number("size", t.size());
      s.number("vlen", t.vlen());
      s.list_begin("vars");
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        VarSecinfo v = t.secinfo(i);
        s.item_begin();
        s.number("type_id", v.type);
        s.number("offset", v.offset);
        s.number("size", v.size);
        s.item_end();
      }
      s.list_end();
      break;
    case Kind::kFloat:
      s.number("size", t.size());
      break;
    case Kind::kDeclTag:
      s.number("type_id", t.ref());
      s.signed_number("component_idx", t.decl_tag_component());
      break;
    default:
      break;
  }
}

}  // namespace bombus::btf
