// `format raw`: bpftool's per-type text layout. Written with a small appender (to_chars, no
// iostreams) because vmlinux renders to ~12 MB.
#include <charconv>

#include "btf/dump.h"

namespace bombus::btf {
namespace {

class Out {
 public:
  explicit Out(std::string& s) : s_(s) {}
  Out& operator<<(std::string_view v) {
    s_.append(v);
    return *this;
  }
  Out& operator<<(char c) {
    s_.push_back(c);
    return *this;
  }
  template <typename T>
  requires std::is_integral_v<T> Out& operator<<(T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
    return *this;
  }

 private:
  std::string& s_;
};

std::string_view name_or_anon(std::string_view n) {
  return n.empty() ? "(anon)" : n;
}

std::string_view int_encoding(uint8_t e) {
  switch (e) {
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

std::string_view linkage(uint32_t l, bool var) {
  switch (l) {
    case 0:
      return "static";
    case 1:
      return var ? "global" : "global";
    case 2:
      return "extern";
    default:
      return "(unknown)";
  }
}

}  // namespace

void dump_raw(const Btf& btf, std::string& out) {
  Out o(out);
  for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
    Type t = btf.type(id);
    Kind k = t.kind();
    o << '[' << id << "] " << kind_name(k) << " '" << name_or_anon(t.name()) << '\'';
    switch (k) {
      case Kind::kInt:
        o << " size=" << t.size() << " bits_offset=" << uint32_t(t.int_offset())
          << " nr_bits=" << uint32_t(t.int_bits())
          << " encoding=" << int_encoding(t.int_encoding());
        break;
      case Kind::kPtr:
      case Kind::kConst:
      case Kind::kVolatile:
      case Kind::kRestrict:
      case Kind::kTypedef:
      case Kind::kTypeTag:
        o << " type_id=" << t.ref();
        break;
      case Kind::kArray: {
        ArrayInfo a = t.array();
        o << " type_id=" << a.type << " index_type_id=" << a.index_type << " nr_elems=" << a.nelems;
        break;
      }
      case Kind::kStruct:
      case Kind::kUnion:
        o << " size=" << t.size() << " vlen=" << t.vlen();
        for (uint32_t i = 0; i < t.vlen(); ++i) {
          Member m = t.member(i);
          o << "\n\t'" << name_or_anon(m.name) << "' type_id=" << m.type
            << " bits_offset=" << m.bit_offset;
          if (m.bitfield_size) o << " bitfield_size=" << m.bitfield_size;
        }
        break;
      case Kind::kEnum:
      case Kind::kEnum64:
        o << " encoding=" << (t.kflag() ? "SIGNED" : "UNSIGNED") << " size=" << t.size()
          << " vlen=" << t.vlen();
        for (uint32_t i = 0; i < t.vlen(); ++i) {
          EnumValue v = t.enum_value(i);
          o << "\n\t'" << name_or_anon(v.name) << "' val=";
          if (k == Kind::kEnum) {
            if (t.kflag())
              o << static_cast<int32_t>(v.value);
            else
              o << static_cast<uint32_t>(v.value);
          } else if (t.kflag()) {
            o << v.value << "LL";
          } else {
            o << static_cast<uint64_t>(v.value) << "ULL";
          }
        }
        break;
      case Kind::kFwd:
        o << " fwd_kind=" << (t.kflag() ? "union" : "struct");
        break;
      case Kind::kFunc:
        o << " type_id=" << t.ref() << " linkage=" << linkage(t.vlen(), false);
        break;
      case Kind::kFuncProto:
        o << " ret_type_id=" << t.ref() << " vlen=" << t.vlen();
        for (uint32_t i = 0; i < t.vlen(); ++i) {
          Param p = t.param(i);
          o << "\n\t'" << name_or_anon(p.name) << "' type_id=" << p.type;
        }
        break;
      case Kind::kVar:
        o << " type_id=" << t.ref() << ", linkage=" << linkage(t.var_linkage(), true);
        break;
      case Kind::kDatasec:
        o << " size=" << t.size() << " vlen=" << t.vlen();
        for (uint32_t i = 0; i < t.vlen(); ++i) {
          VarSecinfo v = t.secinfo(i);
          Type vt = btf.type(v.type);
          o << "\n\ttype_id=" << v.type << " offset=" << v.offset << " size=" << v.size << " ("
            << kind_name(vt.kind()) << " '" << name_or_anon(vt.name()) << "')";
        }
        break;
      case Kind::kFloat:
        o << " size=" << t.size();
        break;
      case Kind::kDeclTag:
        o << " type_id=" << t.ref() << " component_idx=" << t.decl_tag_component();
        break;
      default:
        break;
    }
    o << '\n';
  }
}

std::string dump_raw(const Btf& btf) {
  std::string s;
  s.reserve(size_t(btf.type_count() - btf.start_id()) * 96);
  dump_raw(btf, s);
  return s;
}

}  // namespace bombus::btf
