// BtfBuilder: assembles BTF blobs type by type. Used by tests (to build deliberately different
// target BTFs for CO-RE), fuzz seeds and skeleton generation.
#include <cstring>

#include "base/bytes.h"
#include "btf/btf.h"

namespace bombus::btf {

uint32_t BtfBuilder::add_str(std::string_view s) {
  if (s.empty()) return 0;
  uint32_t off = str_base_ + static_cast<uint32_t>(strs_.size());
  strs_.append(s);
  strs_.push_back('\0');
  return off;
}

uint32_t BtfBuilder::head(std::string_view name, Kind kind, uint16_t vlen, bool kflag,
                          uint32_t size_type) {
  words_.push_back(add_str(name));
  words_.push_back((kflag ? 1u << 31 : 0u) | (static_cast<uint32_t>(kind) << 24) | vlen);
  words_.push_back(size_type);
  return next_id_++;
}

uint32_t BtfBuilder::add_int(std::string_view name, uint32_t size, uint8_t encoding, uint8_t bits,
                             uint8_t offset) {
  uint32_t id = head(name, Kind::kInt, 0, false, size);
  if (bits == 0) bits = static_cast<uint8_t>(size * 8);
  words_.push_back((uint32_t(encoding) << 24) | (uint32_t(offset) << 16) | bits);
  return id;
}

uint32_t BtfBuilder::add_float(std::string_view name, uint32_t size) {
  return head(name, Kind::kFloat, 0, false, size);
}

uint32_t BtfBuilder::add_ptr(uint32_t type) {
  return head("", Kind::kPtr, 0, false, type);
}

uint32_t BtfBuilder::add_ref(Kind kind, std::string_view name, uint32_t type) {
  return head(name, kind, 0, false, type);
}

uint32_t BtfBuilder::add_array(uint32_t elem, uint32_t index, uint32_t nelems) {
  uint32_t id = head("", Kind::kArray, 0, false, 0);
  words_.insert(words_.end(), {elem, index, nelems});
  return id;
}

uint32_t BtfBuilder::add_struct(std::string_view name, uint32_t size,
                                const std::vector<Member>& members, bool is_union) {
  bool kflag = false;
  for (const Member& m : members) kflag |= m.bitfield_size != 0;
  uint32_t id = head(name, is_union ? Kind::kUnion : Kind::kStruct,
                     static_cast<uint16_t>(members.size()), kflag, size);
  for (const Member& m : members) {
    words_.push_back(add_str(m.name));
    words_.push_back(m.type);
    words_.push_back(kflag ? (m.bitfield_size << 24) | (m.bit_offset & 0xffffff) : m.bit_offset);
  }
  return id;
}

uint32_t BtfBuilder::add_enum(std::string_view name, uint32_t size,
                              const std::vector<EnumValue>& values, bool is_signed) {
  uint32_t id = head(name, Kind::kEnum, static_cast<uint16_t>(values.size()), is_signed, size);
  for (const EnumValue& v : values) {
    words_.push_back(add_str(v.name));
    words_.push_back(static_cast<uint32_t>(v.value));
  }
  return id;
}

uint32_t BtfBuilder::add_enum64(std::string_view name, uint32_t size,
                                const std::vector<EnumValue>& values, bool is_signed) {
  uint32_t id = head(name, Kind::kEnum64, static_cast<uint16_t>(values.size()), is_signed, size);
  for (const EnumValue& v : values) {
    words_.push_back(add_str(v.name));
    words_.push_back(static_cast<uint32_t>(static_cast<uint64_t>(v.value)));
    words_.push_back(static_cast<uint32_t>(static_cast<uint64_t>(v.value) >> 32));
  }
  return id;
}

uint32_t BtfBuilder::add_fwd(std::string_view name, bool is_union) {
  return head(name, Kind::kFwd, 0, is_union, 0);
}

uint32_t BtfBuilder::add_func_proto(uint32_t ret, const std::vector<Param>& params) {
  uint32_t id = head("", Kind::kFuncProto, static_cast<uint16_t>(params.size()), false, ret);
  for (const Param& p : params) {
    words_.push_back(add_str(p.name));
    words_.push_back(p.type);
  }
  return id;
}

uint32_t BtfBuilder::add_func(std::string_view name, uint32_t proto, uint32_t linkage) {
  return head(name, Kind::kFunc, static_cast<uint16_t>(linkage), false, proto);
}

uint32_t BtfBuilder::add_var(std::string_view name, uint32_t type, uint32_t linkage) {
  uint32_t id = head(name, Kind::kVar, 0, false, type);
  words_.push_back(linkage);
  return id;
}

uint32_t BtfBuilder::add_datasec(std::string_view name, uint32_t size,
                                 const std::vector<VarSecinfo>& vars) {
  uint32_t id = head(name, Kind::kDatasec, static_cast<uint16_t>(vars.size()), false, size);
  for (const VarSecinfo& v : vars) words_.insert(words_.end(), {v.type, v.offset, v.size});
  return id;
}

uint32_t BtfBuilder::add_decl_tag(std::string_view name, uint32_t type, int32_t component) {
  uint32_t id = head(name, Kind::kDeclTag, 0, false, type);
  words_.push_back(static_cast<uint32_t>(component));
  return id;
}

uint32_t BtfBuilder::add_raw(std::span<const uint32_t> words) {
  words_.insert(words_.end(), words.begin(), words.end());
  return next_id_++;
}

std::vector<uint8_t> BtfBuilder::build() const {
  uint32_t type_len = static_cast<uint32_t>(words_.size() * 4);
  uint32_t str_len = static_cast<uint32_t>(strs_.size());
  std::vector<uint8_t> out(24 + type_len + str_len);
  store_unaligned<uint16_t>(out.data(), kMagic);
  out[2] = 1;
  store_unaligned<uint32_t>(out.data() + 4, 24);
  store_unaligned<uint32_t>(out.data() + 8, 0);
  store_unaligned<uint32_t>(out.data() + 12, type_len);
  store_unaligned<uint32_t>(out.data() + 16, type_len);
  store_unaligned<uint32_t>(out.data() + 20, str_len);
  if (type_len) std::memcpy(out.data() + 24, words_.data(), type_len);
  if (str_len) std::memcpy(out.data() + 24 + type_len, strs_.data(), str_len);
  return out;
}

}  // namespace bombus::btf
