// BTF -> C++ type definitions for skeletons (see c_types.h).
#include "gen/c_types.h"

#include <algorithm>
#include <array>

#include "gen/skeleton.h"

namespace bombus::gen {

namespace {

constexpr std::array<std::string_view, 40> kKeywords = {
    "alignas", "alignof",  "auto",     "bool",    "break",    "case",      "catch",  "char",
    "class",   "const",    "continue", "default", "delete",   "do",        "double", "else",
    "enum",    "explicit", "export",   "extern",  "false",    "float",     "for",    "friend",
    "goto",    "if",       "inline",   "int",     "long",     "namespace", "new",    "operator",
    "private", "public",   "register", "return",  "template", "this",      "true",   "typename"};

}  // namespace

std::string safe_ident(std::string_view s) {
  std::string r = sanitize_identifier(s);
  if (r.empty() || (r[0] >= '0' && r[0] <= '9')) r.insert(r.begin(), '_');
  if (std::find(kKeywords.begin(), kKeywords.end(), r) != kKeywords.end()) r += '_';
  for (std::string_view k : {"virtual", "union", "struct", "using", "unsigned", "signed", "short",
                             "static", "switch", "throw", "try", "void", "volatile", "while"})
    if (r == k) r += '_';
  return r;
}

uint32_t CTypes::size_of(uint32_t id) const {
  auto s = btf_.resolve_size(id);
  return s.ok() ? *s : 0;
}

std::string CTypes::aggregate_name(const btf::Type& t) {
  if (!t.name().empty()) return safe_ident(t.name());
  return "__anon_" + std::to_string(t.id());
}

std::string CTypes::type_name(uint32_t id) {
  id = btf_.skip_modifiers(id, false);
  btf::Type t = btf_.type(id);
  switch (t.kind()) {
    case btf::Kind::kInt: {
      uint32_t sz = t.size();
      bool sign = t.int_encoding() & btf::kIntSigned;
      if (t.int_encoding() & btf::kIntBool && sz == 1) return "bool";
      if (t.int_encoding() & btf::kIntChar && sz == 1) return "char";
      if (sz == 1 || sz == 2 || sz == 4 || sz == 8)
        return std::string(sign ? "int" : "uint") + std::to_string(sz * 8) + "_t";
      if (sz == 16) return sign ? "__int128" : "unsigned __int128";
      return "uint8_t";  // odd sizes: decl() never reaches here for them (see define)
    }
    case btf::Kind::kFloat:
      return t.size() == 4 ? "float" : t.size() == 8 ? "double" : "long double";
    case btf::Kind::kPtr:
    case btf::Kind::kFuncProto:
      return "uint64_t";
    case btf::Kind::kStruct:
    case btf::Kind::kUnion:
    case btf::Kind::kEnum:
    case btf::Kind::kEnum64:
    case btf::Kind::kTypedef:
      define(id);
      // Elaborated or qualified names: a member may share its type's name ("enum mode mode").
      if (t.kind() == btf::Kind::kTypedef) return "::" + ns_ + "::" + safe_ident(t.name());
      return std::string(t.kind() == btf::Kind::kStruct  ? "struct "
                         : t.kind() == btf::Kind::kUnion ? "union "
                                                         : "enum ") +
             aggregate_name(t);
    default:
      return "uint8_t";
  }
}

std::string CTypes::decl(uint32_t id, const std::string& name) {
  id = btf_.skip_modifiers(id, false);
  std::string dims;
  while (btf_.kind(id) == btf::Kind::kArray) {
    btf::ArrayInfo a = btf_.type(id).array();
    dims += "[" + std::to_string(a.nelems) + "]";
    id = btf_.skip_modifiers(a.type, false);
  }
  return type_name(id) + " " + name + dims;
}

void CTypes::emit_struct(const std::string& name, uint32_t size, std::vector<Field> fields,
                         bool is_union) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const Field& a, const Field& b) { return a.offset < b.offset; });
  // Render member declarations first: they may define the types they use.
  std::vector<std::string> decls;
  for (auto& f : fields) decls.push_back(decl(f.type, f.name));
  std::string body = std::string(is_union ? "union " : "struct ") + name + " {\n";
  std::string asserts = "static_assert(sizeof(" + name + ") == " + std::to_string(size) + ");\n";
  uint32_t at = 0;
  int pad = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    uint32_t fsize = size_of(f.type);
    if (!is_union) {
      if (f.offset < at || f.offset + fsize > size) continue;  // overlap: not representable
      if (f.offset > at)
        body += "  uint8_t __pad" + std::to_string(pad++) + "[" + std::to_string(f.offset - at) +
                "];\n";
    } else if (fsize > size) {
      continue;
    }
    body += "  " + decls[i] + ";\n";
    asserts += "static_assert(offsetof(" + name + ", " + f.name +
               ") == " + std::to_string(f.offset) + ");\n";
    if (!is_union) at = f.offset + fsize;
  }
  if (is_union) {
    body += "  uint8_t __size[" + std::to_string(size ? size : 1) + "];\n";
  } else if (at < size) {
    body += "  uint8_t __pad" + std::to_string(pad++) + "[" + std::to_string(size - at) + "];\n";
  }
  body += "} __attribute__((packed));\n";
  defs_ += body + asserts + "\n";
}

void CTypes::define(uint32_t id) {
  if (!done_.insert(id).second) return;
  btf::Type t = btf_.type(id);
  switch (t.kind()) {
    case btf::Kind::kTypedef: {
      std::string d = decl(t.ref(), "__T");  // defines what the typedef names first
      std::string base = d.substr(0, d.find(" __T"));
      std::string dims = d.substr(d.find(" __T") + 4);
      defs_ += "using " + safe_ident(t.name()) + " = " + base + dims + ";\n\n";
      return;
    }
    case btf::Kind::kEnum:
    case btf::Kind::kEnum64: {
      uint32_t sz = t.size();
      if (sz != 1 && sz != 2 && sz != 4 && sz != 8) sz = 4;
      std::string under =
          std::string(t.is_signed_enum() ? "int" : "uint") + std::to_string(sz * 8) + "_t";
      std::string s = "enum " + aggregate_name(t) + " : " + under + " {\n";
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        btf::EnumValue v = t.enum_value(i);
        std::string val = t.is_signed_enum()
                              ? std::to_string(v.value) + "LL"
                              : std::to_string(static_cast<uint64_t>(v.value) &
                                               (sz == 8 ? ~0ULL : (1ULL << (sz * 8)) - 1)) +
                                    "ULL";
        s += "  " + safe_ident(v.name) + " = (" + under + ")" + val + ",\n";
      }
      defs_ += s + "};\n\n";
      return;
    }
    case btf::Kind::kStruct:
    case btf::Kind::kUnion: {
      std::vector<Field> fields;
      int anon = 0;
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        btf::Member m = t.member(i);
        uint32_t mt = btf_.skip_modifiers(m.type, false);
        bool bitfield = m.bitfield_size != 0 || (m.bit_offset % 8) != 0;
        btf::Type mtt = btf_.type(btf_.skip_modifiers(m.type, true));
        if (mtt.kind() == btf::Kind::kInt && (mtt.int_bits() != mtt.size() * 8 || mtt.int_offset()))
          bitfield = true;
        if (bitfield) continue;  // covered by padding bytes
        std::string n =
            m.name.empty() ? "__anon_member" + std::to_string(anon++) : safe_ident(m.name);
        fields.push_back({m.bit_offset / 8, mt, n});
      }
      emit_struct(aggregate_name(t), t.size(), std::move(fields), t.kind() == btf::Kind::kUnion);
      return;
    }
    default:
      return;
  }
}

}  // namespace bombus::gen
