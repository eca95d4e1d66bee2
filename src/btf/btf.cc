// BTF parsing and validation: header, string section, every type's layout and references,
// then graph checks (reference loops, by-value containment loops, member bounds). Accessors that
// need the string table or the base BTF live here too.
#include "btf/btf.h"

#include <algorithm>
#include <cstring>

#include "base/bytes.h"

namespace bombus::btf {
namespace {

constexpr uint32_t kHeaderLen = 24;

Error bad(std::string msg, std::optional<int64_t> off = std::nullopt) {
  Location loc;
  loc.section = ".BTF";
  loc.byte_offset = off;
  return make_error(Errc::kInvalid, std::move(msg), std::move(loc));
}

Error bad_type(uint32_t id, const std::string& what) {
  return bad("type [" + std::to_string(id) + "]: " + what);
}

// Number of extra words after the 3-word header for a kind with vlen entries.
uint32_t extra_words(Kind k, uint32_t vlen) {
  switch (k) {
    case Kind::kInt:
      return 1;
    case Kind::kArray:
      return 3;
    case Kind::kStruct:
    case Kind::kUnion:
      return 3 * vlen;
    case Kind::kEnum:
      return 2 * vlen;
    case Kind::kEnum64:
      return 3 * vlen;
    case Kind::kFuncProto:
      return 2 * vlen;
    case Kind::kVar:
      return 1;
    case Kind::kDatasec:
      return 3 * vlen;
    case Kind::kDeclTag:
      return 1;
    default:
      return 0;
  }
}

bool is_chain_kind(Kind k) {
  switch (k) {
    case Kind::kPtr:
    case Kind::kTypedef:
    case Kind::kVolatile:
    case Kind::kConst:
    case Kind::kRestrict:
    case Kind::kTypeTag:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view kind_name(Kind k) {
  static constexpr std::string_view kNames[] = {
      "UNKN", "INT",     "PTR",      "ARRAY",    "STRUCT",   "UNION", "ENUM",
      "FWD",  "TYPEDEF", "VOLATILE", "CONST",    "RESTRICT", "FUNC",  "FUNC_PROTO",
      "VAR",  "DATASEC", "FLOAT",    "DECL_TAG", "TYPE_TAG", "ENUM64"};
  auto i = static_cast<size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "UNKN";
}

// ---- Type accessors ----

std::string_view Type::name() const {
  return w_ ? btf_->str(w_[0]) : std::string_view();
}

bool Type::is_modifier() const {
  Kind k = kind();
  return k == Kind::kVolatile || k == Kind::kConst || k == Kind::kRestrict || k == Kind::kTypeTag;
}

Member Type::member(uint32_t i) const {
  const uint32_t* m = w_ + 3 + 3 * i;
  Member out;
  out.name = btf_->str(m[0]);
  out.type = m[1];
  if (kflag()) {
    out.bit_offset = m[2] & 0xffffff;
    out.bitfield_size = m[2] >> 24;
  } else {
    out.bit_offset = m[2];
  }
  return out;
}

EnumValue Type::enum_value(uint32_t i) const {
  EnumValue v;
  if (kind() == Kind::kEnum64) {
    const uint32_t* e = w_ + 3 + 3 * i;
    v.name = btf_->str(e[0]);
    v.value =
        static_cast<int64_t>(static_cast<uint64_t>(e[1]) | (static_cast<uint64_t>(e[2]) << 32));
  } else {
    const uint32_t* e = w_ + 3 + 2 * i;
    v.name = btf_->str(e[0]);
    v.value =
        kflag() ? static_cast<int64_t>(static_cast<int32_t>(e[1])) : static_cast<int64_t>(e[1]);
  }
  return v;
}

Param Type::param(uint32_t i) const {
  const uint32_t* p = w_ + 3 + 2 * i;
  return Param{btf_->str(p[0]), p[1]};
}

VarSecinfo Type::secinfo(uint32_t i) const {
  const uint32_t* p = w_ + 3 + 3 * i;
  return VarSecinfo{p[0], p[1], p[2]};
}

// ---- Btf accessors ----

Type Btf::base_type(uint32_t id) const {
  return base_->type(id);
}

bool Btf::valid_str(uint32_t off) const {
  if (off < str_start_) return base_ && base_->valid_str(off);
  return off - str_start_ < strs_.size();
}

char Btf::str_first(uint32_t off) const {
  if (off < str_start_) return base_ ? base_->str_first(off) : 0;
  uint32_t local = off - str_start_;
  return local < strs_.size() ? strs_[local] : 0;
}

std::string_view Btf::str(uint32_t off) const {
  if (off < str_start_) return base_ ? base_->str(off) : std::string_view();
  uint32_t local = off - str_start_;
  if (local >= strs_.size()) return {};
  return std::string_view(strs_.data() + local);  // NUL-terminated: validated at parse
}

uint32_t Btf::skip_modifiers(uint32_t id, bool skip_typedefs) const {
  // Chains are loop-free (validated), but stay bounded anyway.
  for (uint32_t guard = 0; guard <= type_count(); ++guard) {
    Type t = type(id);
    Kind k = t.kind();
    if (t.is_modifier() || (skip_typedefs && k == Kind::kTypedef)) {
      id = t.ref();
      continue;
    }
    return id;
  }
  return id;
}

Result<uint32_t> Btf::resolve_size(uint32_t id) const {
  uint64_t mult = 1;
  for (uint32_t guard = 0; guard <= type_count(); ++guard) {
    Type t = type(id);
    switch (t.kind()) {
      case Kind::kInt:
      case Kind::kEnum:
      case Kind::kEnum64:
      case Kind::kStruct:
      case Kind::kUnion:
      case Kind::kFloat:
      case Kind::kDatasec: {
        uint64_t total = mult * t.size();
        if (total > UINT32_MAX) return bad_type(id, "size overflows 32 bits");
        return static_cast<uint32_t>(total);
      }
      case Kind::kPtr: {
        uint64_t total = mult * 8;
        if (total > UINT32_MAX) return bad_type(id, "size overflows 32 bits");
        return static_cast<uint32_t>(total);
      }
      case Kind::kTypedef:
      case Kind::kVolatile:
      case Kind::kConst:
      case Kind::kRestrict:
      case Kind::kTypeTag:
      case Kind::kVar:
        id = t.ref();
        break;
      case Kind::kArray:
        mult *= t.array().nelems;
        if (mult > UINT32_MAX) return bad_type(id, "array size overflows 32 bits");
        id = t.array().type;
        break;
      default:
        return make_error(Errc::kInvalid, "type [" + std::to_string(id) + "] " +
                                              std::string(kind_name(t.kind())) + " has no size");
    }
  }
  return bad_type(id, "reference loop");
}

uint32_t Btf::alignment(uint32_t id) const {
  id = skip_modifiers(id);
  Type t = type(id);
  switch (t.kind()) {
    case Kind::kInt: {
      uint32_t s = t.size();
      return std::min<uint32_t>(s == 0 ? 1 : s, 8);  // __int128 aligns to 8 on BPF/x86-64
    }
    case Kind::kEnum:
    case Kind::kEnum64:
    case Kind::kFloat:
      return std::clamp<uint32_t>(t.size(), 1, 8);
    case Kind::kPtr:
      return 8;
    case Kind::kArray:
      return alignment(t.array().type);
    case Kind::kStruct:
    case Kind::kUnion: {
      uint32_t a = 1;
      for (uint32_t i = 0; i < t.vlen(); ++i) a = std::max(a, alignment(t.member(i).type));
      return a;
    }
    default:
      return 1;
  }
}

void Btf::build_name_index() const {
  by_name_.clear();
  for (uint32_t id = start_id(); id < type_count(); ++id)
    if (type(id).name_off() != 0) by_name_.push_back(id);
  std::sort(by_name_.begin(), by_name_.end(), [this](uint32_t a, uint32_t b) {
    std::string_view na = name(a), nb = name(b);
    return na < nb || (na == nb && a < b);
  });
  by_name_built_ = true;
}

std::vector<uint32_t> Btf::find_all(std::string_view n) const {
  std::vector<uint32_t> out;
  if (base_) out = base_->find_all(n);
  if (!by_name_built_) build_name_index();
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), n,
                             [this](uint32_t id, std::string_view v) { return name(id) < v; });
  for (; it != by_name_.end() && name(*it) == n; ++it) out.push_back(*it);
  return out;
}

std::vector<uint32_t> Btf::find_prefix(std::string_view prefix) const {
  std::vector<uint32_t> out;
  if (base_) out = base_->find_prefix(prefix);
  if (!by_name_built_) build_name_index();
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), prefix,
                             [this](uint32_t id, std::string_view v) { return name(id) < v; });
  for (; it != by_name_.end() && name(*it).starts_with(prefix); ++it) out.push_back(*it);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<uint32_t> Btf::find(std::string_view n, Kind k) const {
  if (base_) {
    if (auto r = base_->find(n, k)) return r;
  }
  if (!by_name_built_) build_name_index();
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), n,
                             [this](uint32_t id, std::string_view v) { return name(id) < v; });
  for (; it != by_name_.end() && name(*it) == n; ++it)
    if (k == Kind::kUnknown || kind(*it) == k) return *it;
  return std::nullopt;
}

std::optional<VarSecinfo> Btf::datasec_entry(uint32_t datasec_id, uint32_t var_id) const {
  Type ds = type(datasec_id);
  if (ds.kind() != Kind::kDatasec) return std::nullopt;
  for (uint32_t i = 0; i < ds.vlen(); ++i)
    if (ds.secinfo(i).type == var_id) return ds.secinfo(i);
  return std::nullopt;
}

std::vector<uint32_t> Btf::decl_tags(uint32_t id, std::optional<int32_t> component) const {
  std::vector<uint32_t> out;
  if (base_) out = base_->decl_tags(id, component);
  if (!tags_built_) {
    for (uint32_t t = start_id(); t < type_count(); ++t)
      if (kind(t) == Kind::kDeclTag) tags_.push_back(t);
    std::stable_sort(tags_.begin(), tags_.end(),
                     [this](uint32_t a, uint32_t b) { return type(a).ref() < type(b).ref(); });
    tags_built_ = true;
  }
  auto it = std::lower_bound(tags_.begin(), tags_.end(), id,
                             [this](uint32_t tag, uint32_t v) { return type(tag).ref() < v; });
  for (; it != tags_.end() && type(*it).ref() == id; ++it)
    if (!component || type(*it).decl_tag_component() == *component) out.push_back(*it);
  return out;
}

std::vector<uint8_t> Btf::encode() const {
  uint32_t type_len = static_cast<uint32_t>(words_.size() * 4);
  uint32_t str_len = static_cast<uint32_t>(strs_.size());
  std::vector<uint8_t> out(kHeaderLen + type_len + str_len);
  uint8_t* p = out.data();
  store_unaligned<uint16_t>(p, kMagic);
  p[2] = 1;  // version
  p[3] = 0;  // flags
  store_unaligned<uint32_t>(p + 4, kHeaderLen);
  store_unaligned<uint32_t>(p + 8, 0);
  store_unaligned<uint32_t>(p + 12, type_len);
  store_unaligned<uint32_t>(p + 16, type_len);
  store_unaligned<uint32_t>(p + 20, str_len);
  if (type_len) std::memcpy(p + kHeaderLen, words_.data(), type_len);
  if (str_len) std::memcpy(p + kHeaderLen + type_len, strs_.data(), str_len);
  return out;
}

// ---- parsing ----

Result<Btf> Btf::parse(std::span<const uint8_t> data, const Btf* base) {
  if (data.size() < kHeaderLen)
    return bad("truncated header: " + std::to_string(data.size()) + " bytes, expected at least " +
               std::to_string(kHeaderLen));
  uint16_t magic = load_unaligned<uint16_t>(data.data());
  if (magic != kMagic) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "bad magic 0x%04x, expected 0xeb9f", magic);
    return bad(buf, 0);
  }
  if (data[2] != 1)
    return bad("unsupported version " + std::to_string(data[2]) + ", expected 1", 2);
  if (data[3] != 0) return bad("unsupported flags " + std::to_string(data[3]) + ", expected 0", 3);
  uint32_t hdr_len = load_unaligned<uint32_t>(data.data() + 4);
  uint32_t type_off = load_unaligned<uint32_t>(data.data() + 8);
  uint32_t type_len = load_unaligned<uint32_t>(data.data() + 12);
  uint32_t str_off = load_unaligned<uint32_t>(data.data() + 16);
  uint32_t str_len = load_unaligned<uint32_t>(data.data() + 20);
  if (hdr_len < kHeaderLen || hdr_len > data.size())
    return bad("header length " + std::to_string(hdr_len) + " out of range [24, " +
                   std::to_string(data.size()) + "]",
               4);
  // A longer header than we know must be zero-filled (forward compatibility rule).
  for (uint32_t i = kHeaderLen; i < hdr_len; ++i)
    if (data[i] != 0) return bad("unknown non-zero header byte", i);
  uint64_t body = data.size() - hdr_len;
  if (uint64_t(type_off) + type_len > body)
    return bad("type section [" + std::to_string(type_off) + ", +" + std::to_string(type_len) +
                   ") exceeds data (" + std::to_string(body) + " bytes after header)",
               12);
  if (uint64_t(str_off) + str_len > body)
    return bad("string section [" + std::to_string(str_off) + ", +" + std::to_string(str_len) +
                   ") exceeds data (" + std::to_string(body) + " bytes after header)",
               20);
  if (type_off % 4 != 0) return bad("type section offset not 4-byte aligned", 8);
  if (type_len % 4 != 0) return bad("type section length not a multiple of 4", 12);
  if (type_off < str_off ? uint64_t(type_off) + type_len > str_off
                         : uint64_t(str_off) + str_len > type_off)
    if (type_len && str_len) return bad("type and string sections overlap", 8);

  Btf btf;
  btf.base_ = base;
  if (base) {
    btf.first_id_ = base->type_count();
    btf.str_start_ = base->strings_size();
  }
  const uint8_t* sp = data.data() + hdr_len + str_off;
  if (str_len == 0) {
    if (!base) return bad("empty string section (expected at least the empty string)", 20);
  } else {
    if (!base && sp[0] != 0)
      return bad("string section does not start with NUL", hdr_len + str_off);
    if (sp[str_len - 1] != 0)
      return bad("string section not NUL-terminated", hdr_len + str_off + str_len - 1);
  }
  btf.strs_.assign(reinterpret_cast<const char*>(sp), reinterpret_cast<const char*>(sp) + str_len);
  btf.words_.resize(type_len / 4);
  if (type_len) std::memcpy(btf.words_.data(), data.data() + hdr_len + type_off, type_len);
  BOMBUS_TRY(btf.validate_types());
  BOMBUS_TRY(btf.validate_graph());
  return btf;
}

Status Btf::validate_types() {
  const uint32_t n = static_cast<uint32_t>(words_.size());
  offsets_.reserve(n / 4);
  // First pass: layout, so ids referenced forward can be checked against the final count.
  for (uint32_t pos = 0; pos < n;) {
    uint32_t id = first_id_ + static_cast<uint32_t>(offsets_.size());
    if (n - pos < 3)
      return bad_type(id, "truncated type header (" + std::to_string((n - pos) * 4) +
                              " bytes left, expected 12)");
    uint32_t info = words_[pos + 1];
    uint32_t kind = (info >> 24) & 0x1f;
    if (kind == 0 || kind > kMaxKind) return bad_type(id, "invalid kind " + std::to_string(kind));
    if (info & 0x60ff0000u) return bad_type(id, "reserved bits set in info");
    uint32_t extra = extra_words(static_cast<Kind>(kind), info & 0xffff);
    if (uint64_t(n - pos - 3) < extra)
      return bad_type(id, std::string(kind_name(static_cast<Kind>(kind))) + " needs " +
                              std::to_string((3 + extra) * 4) + " bytes, only " +
                              std::to_string((n - pos) * 4) + " left");
    offsets_.push_back(pos);
    pos += 3 + extra;
  }
  const uint32_t count = type_count();
  for (uint32_t id = first_id_; id < count; ++id) {
    Type t = type(id);
    const uint32_t* w = t.words();
    Kind k = t.kind();
    uint32_t vlen = t.vlen();
    auto fail = [&](const std::string& what) {
      return bad_type(id, std::string(kind_name(k)) + ": " + what);
    };
    auto check_id = [&](uint32_t ref, const char* what) -> Status {
      if (ref >= count)
        return fail(std::string(what) + " " + std::to_string(ref) + " out of range (expected < " +
                    std::to_string(count) + ")");
      return {};
    };
    auto check_str = [&](uint32_t off, const char* what) -> Status {
      if (!valid_str(off))
        return fail(std::string(what) + " offset " + std::to_string(off) +
                    " out of range (string section size " + std::to_string(strings_size()) + ")");
      return {};
    };
    BOMBUS_TRY(check_str(w[0], "name"));
    bool named = w[0] != 0 && str_first(w[0]) != 0;
    bool kflag = t.kflag();
    switch (k) {
      case Kind::kInt: {
        if (vlen || kflag) return fail("vlen and kflag must be 0");
        uint32_t size = w[2];
        if (size != 1 && size != 2 && size != 4 && size != 8 && size != 16)
          return fail("size " + std::to_string(size) + " (expected 1, 2, 4, 8 or 16)");
        if (w[3] & 0xf000ff00u) return fail("reserved bits set in int info");
        uint32_t bits = w[3] & 0xff, off = (w[3] >> 16) & 0xff, enc = (w[3] >> 24) & 0xf;
        if (bits > 128 || off + bits > size * 8)
          return fail("bits_offset " + std::to_string(off) + " + nr_bits " + std::to_string(bits) +
                      " exceed size " + std::to_string(size * 8));
        if (enc & (enc - 1)) return fail("more than one encoding bit set");
        if (enc > kIntBool) return fail("unknown encoding " + std::to_string(enc));
        break;
      }
      case Kind::kFloat:
        if (vlen || kflag) return fail("vlen and kflag must be 0");
        if (w[2] != 2 && w[2] != 4 && w[2] != 8 && w[2] != 12 && w[2] != 16)
          return fail("size " + std::to_string(w[2]) + " (expected 2, 4, 8, 12 or 16)");
        break;
      case Kind::kPtr:
      case Kind::kVolatile:
      case Kind::kConst:
      case Kind::kRestrict:
        if (vlen || kflag) return fail("vlen and kflag must be 0");
        if (named) return fail("must not have a name");
        BOMBUS_TRY(check_id(w[2], "referenced type"));
        break;
      case Kind::kTypedef:
      case Kind::kTypeTag:
        if (vlen || (kflag && k == Kind::kTypedef)) return fail("vlen and kflag must be 0");
        if (!named) return fail("missing name");
        BOMBUS_TRY(check_id(w[2], "referenced type"));
        break;
      case Kind::kFwd:
        if (vlen) return fail("vlen must be 0");
        if (!named) return fail("missing name");
        break;
      case Kind::kArray: {
        if (vlen || kflag || w[2]) return fail("vlen, kflag and size must be 0");
        BOMBUS_TRY(check_id(w[3], "element type"));
        BOMBUS_TRY(check_id(w[4], "index type"));
        if (w[3] == 0) return fail("element type is void");
        break;
      }
      case Kind::kStruct:
      case Kind::kUnion: {
        uint64_t size_bits = uint64_t(w[2]) * 8;
        for (uint32_t i = 0; i < vlen; ++i) {
          const uint32_t* m = w + 3 + 3 * i;
          auto mfail = [&](const std::string& what) {
            return fail("member #" + std::to_string(i) + ": " + what);
          };
          if (!valid_str(m[0]))
            return mfail("name offset " + std::to_string(m[0]) + " out of range");
          if (m[1] >= count || m[1] == 0)
            return mfail("type " + std::to_string(m[1]) + " invalid (expected 1.." +
                         std::to_string(count - 1) + ")");
          uint32_t off = kflag ? (m[2] & 0xffffff) : m[2];
          uint32_t bsz = kflag ? (m[2] >> 24) : 0;
          if (k == Kind::kUnion && off != 0) return mfail("union member with non-zero offset");
          if (uint64_t(off) + bsz > size_bits)
            return mfail("bit offset " + std::to_string(off) + " beyond size " +
                         std::to_string(w[2]) + " bytes");
          if (bsz > 128) return mfail("bitfield size " + std::to_string(bsz) + " > 128");
        }
        break;
      }
      case Kind::kEnum:
      case Kind::kEnum64: {
        uint32_t size = w[2];
        if (size != 1 && size != 2 && size != 4 && size != 8)
          return fail("size " + std::to_string(size) + " (expected 1, 2, 4 or 8)");
        uint32_t stride = k == Kind::kEnum ? 2 : 3;
        for (uint32_t i = 0; i < vlen; ++i) {
          uint32_t off = w[3 + stride * i];
          if (!valid_str(off) || off == 0 || str_first(off) == 0)
            return fail("value #" + std::to_string(i) + ": invalid name offset " +
                        std::to_string(off));
        }
        break;
      }
      case Kind::kFunc:
        if (!named) return fail("missing name");
        if (kflag) return fail("kflag must be 0");
        if (vlen > kFuncExtern) return fail("invalid linkage " + std::to_string(vlen));
        BOMBUS_TRY(check_id(w[2], "prototype"));
        break;
      case Kind::kFuncProto:
        if (named) return fail("must not have a name");
        if (kflag) return fail("kflag must be 0");
        BOMBUS_TRY(check_id(w[2], "return type"));
        for (uint32_t i = 0; i < vlen; ++i) {
          const uint32_t* p = w + 3 + 2 * i;
          if (!valid_str(p[0])) return fail("param #" + std::to_string(i) + ": bad name offset");
          if (p[1] >= count)
            return fail("param #" + std::to_string(i) + ": type " + std::to_string(p[1]) +
                        " out of range");
          if (p[1] == 0 && (i + 1 != vlen || p[0] != 0))
            return fail("param #" + std::to_string(i) +
                        ": void parameter (only a nameless "
                        "last one may be void, for varargs)");
        }
        break;
      case Kind::kVar:
        if (vlen || kflag) return fail("vlen and kflag must be 0");
        if (!named) return fail("missing name");
        if (w[3] > kVarGlobalExtern) return fail("invalid linkage " + std::to_string(w[3]));
        BOMBUS_TRY(check_id(w[2], "type"));
        if (w[2] == 0) return fail("type is void");
        break;
      case Kind::kDatasec:
        if (!named) return fail("missing name");
        if (kflag) return fail("kflag must be 0");
        for (uint32_t i = 0; i < vlen; ++i) {
          const uint32_t* v = w + 3 + 3 * i;
          if (v[0] == 0 || v[0] >= count)
            return fail("entry #" + std::to_string(i) + ": type " + std::to_string(v[0]) +
                        " out of range");
          if (uint64_t(v[1]) + v[2] > w[2] && w[2] != 0)
            return fail("entry #" + std::to_string(i) + ": [" + std::to_string(v[1]) + ", +" +
                        std::to_string(v[2]) + ") beyond section size " + std::to_string(w[2]));
        }
        break;
      case Kind::kDeclTag:  // kflag: the tag is an __attribute__ rather than btf_decl_tag
        if (vlen) return fail("vlen must be 0");
        if (!named) return fail("missing name");
        BOMBUS_TRY(check_id(w[2], "tagged type"));
        if (static_cast<int32_t>(w[3]) < -1)
          return fail("component index " + std::to_string(static_cast<int32_t>(w[3])) +
                      " (expected >= -1)");
        break;
      default:
        return fail("unknown kind");
    }
  }
  return {};
}

Status Btf::validate_graph() {
  const uint32_t count = type_count();
  const uint32_t local = static_cast<uint32_t>(offsets_.size());
  // 1) Reference chains (PTR/TYPEDEF/modifiers/TYPE_TAG) must end: a functional graph, so a
  //    three-colour walk along each chain finds any cycle in linear time.
  std::vector<uint8_t> state(local, 0);  // 0 new, 1 on current walk, 2 done
  for (uint32_t start = 0; start < local; ++start) {
    uint32_t id = first_id_ + start;
    while (id >= first_id_ && state[id - first_id_] == 0 && is_chain_kind(kind(id))) {
      state[id - first_id_] = 1;
      id = type(id).ref();
    }
    if (id >= first_id_ && id < count && state[id - first_id_] == 1)
      return bad_type(id, "reference loop through " + std::string(kind_name(kind(id))));
    id = first_id_ + start;
    while (id >= first_id_ && state[id - first_id_] == 1) {
      state[id - first_id_] = 2;
      id = type(id).ref();
    }
  }
  // 1b) A cycle that passes through no struct/union (e.g. a FUNC_PROTO taking a pointer to
  //     itself) cannot be written in C and would send every type walker around forever.
  {
    std::vector<uint8_t> st(local, 0);
    std::vector<std::pair<uint32_t, uint32_t>> dfs;  // (id, next child)
    auto child_of = [&](Type t, uint32_t i, uint32_t* c) -> bool {
      Kind k = t.kind();
      if (is_chain_kind(k)) return i == 0 ? (*c = t.ref(), true) : false;
      if (k == Kind::kArray) return i == 0 ? (*c = t.array().type, true) : false;
      if (k == Kind::kFuncProto) {
        if (i == 0) return *c = t.ref(), true;
        if (i <= t.vlen()) return *c = t.param(i - 1).type, true;
      }
      return false;
    };
    for (uint32_t start = 0; start < local; ++start) {
      if (st[start]) continue;
      st[start] = 1;
      dfs.push_back({first_id_ + start, 0});
      while (!dfs.empty()) {
        auto& [id, next] = dfs.back();
        uint32_t c;
        if (!child_of(type(id), next++, &c)) {
          st[id - first_id_] = 2;
          dfs.pop_back();
          continue;
        }
        if (c < first_id_) continue;
        if (st[c - first_id_] == 1)
          return bad_type(c, "reference loop through " + std::string(kind_name(kind(c))) +
                                 " with no struct or union to break it");
        if (st[c - first_id_] == 0) {
          st[c - first_id_] = 1;
          dfs.push_back({c, 0});
        }
      }
    }
  }
  // 2) Kind-specific targets and containment-by-value loops (struct containing itself through
  //    members/arrays/typedefs) with an explicit DFS stack.
  std::fill(state.begin(), state.end(), 0);
  struct Frame {
    uint32_t id, next;
  };
  std::vector<Frame> stack;
  auto by_value_children = [&](Type t, uint32_t i, uint32_t* child) -> bool {
    switch (t.kind()) {
      case Kind::kStruct:
      case Kind::kUnion:
        if (i < t.vlen()) return *child = t.member(i).type, true;
        return false;
      case Kind::kArray:
        if (i == 0) return *child = t.array().type, true;
        return false;
      case Kind::kTypedef:
      case Kind::kVolatile:
      case Kind::kConst:
      case Kind::kRestrict:
      case Kind::kTypeTag:
      case Kind::kVar:
        if (i == 0) return *child = t.ref(), true;
        return false;
      default:
        return false;
    }
  };
  for (uint32_t start = 0; start < local; ++start) {
    uint32_t sid = first_id_ + start;
    Type t = type(sid);
    switch (t.kind()) {
      case Kind::kFunc:
        if (kind(t.ref()) != Kind::kFuncProto)
          return bad_type(sid, "FUNC: type " + std::to_string(t.ref()) + " is not a FUNC_PROTO");
        break;
      case Kind::kDatasec:
        for (uint32_t i = 0; i < t.vlen(); ++i) {
          Kind vk = kind(t.secinfo(i).type);
          if (vk != Kind::kVar && vk != Kind::kFunc)
            return bad_type(sid, "DATASEC: entry #" + std::to_string(i) + " type " +
                                     std::to_string(t.secinfo(i).type) + " is " +
                                     std::string(kind_name(vk)) + ", expected VAR or FUNC");
        }
        break;
      case Kind::kDeclTag: {
        Type target = type(t.ref());
        int32_t comp = t.decl_tag_component();
        Kind tk = target.kind();
        if (comp == -1) {
          if (tk != Kind::kStruct && tk != Kind::kUnion && tk != Kind::kVar && tk != Kind::kFunc &&
              tk != Kind::kTypedef)
            return bad_type(sid, "DECL_TAG: cannot tag " + std::string(kind_name(tk)));
        } else {
          uint32_t vlen = tk == Kind::kFunc ? type(target.ref()).vlen() : target.vlen();
          if (tk != Kind::kStruct && tk != Kind::kUnion && tk != Kind::kFunc)
            return bad_type(sid, "DECL_TAG: component index on " + std::string(kind_name(tk)));
          if (static_cast<uint32_t>(comp) >= vlen)
            return bad_type(sid, "DECL_TAG: component index " + std::to_string(comp) +
                                     " out of range (vlen " + std::to_string(vlen) + ")");
        }
        break;
      }
      default:
        break;
    }
    if (state[start] != 0) continue;
    stack.push_back({sid, 0});
    state[start] = 1;
    while (!stack.empty()) {
      Frame& f = stack.back();
      uint32_t child;
      if (!by_value_children(type(f.id), f.next++, &child)) {
        state[f.id - first_id_] = 2;
        stack.pop_back();
        continue;
      }
      if (child < first_id_) continue;  // void or a validated base type
      uint8_t& s = state[child - first_id_];
      if (s == 1)
        return bad_type(child,
                        std::string(kind_name(kind(child))) + " contains itself by value (loop)");
      if (s == 0) {
        s = 1;
        stack.push_back({child, 0});
      }
    }
  }
  return {};
}

}  // namespace bombus::btf
