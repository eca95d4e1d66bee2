// BTF (BPF Type Format): a validated, read-only view of a .BTF blob (raw, as in
// /sys/kernel/btf/vmlinux, or the .BTF section of an object), including split BTF whose ids and
// string offsets continue after a base BTF. The blob is copied once into a word-aligned buffer;
// types are addressed through a flat offset table and names are string_views into that buffer,
// so a 100k-type vmlinux costs one allocation per table and no per-type heap nodes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bombus::btf {

// Kind numbers are the uapi BTF_KIND_* values.
enum class Kind : uint8_t {
  kUnknown = 0,  // also "void" (type id 0)
  kInt = 1,
  kPtr = 2,
  kArray = 3,
  kStruct = 4,
  kUnion = 5,
  kEnum = 6,
  kFwd = 7,
  kTypedef = 8,
  kVolatile = 9,
  kConst = 10,
  kRestrict = 11,
  kFunc = 12,
  kFuncProto = 13,
  kVar = 14,
  kDatasec = 15,
  kFloat = 16,
  kDeclTag = 17,
  kTypeTag = 18,
  kEnum64 = 19,
};
inline constexpr int kMaxKind = 19;
inline constexpr uint16_t kMagic = 0xeB9F;

// "INT", "PTR", ... as bpftool prints them ("UNKN" for kUnknown).
std::string_view kind_name(Kind k);

// INT encoding bits.
inline constexpr uint8_t kIntSigned = 1, kIntChar = 2, kIntBool = 4;
// VAR linkage and FUNC linkage.
inline constexpr uint32_t kVarStatic = 0, kVarGlobalAllocated = 1, kVarGlobalExtern = 2;
inline constexpr uint32_t kFuncStatic = 0, kFuncGlobal = 1, kFuncExtern = 2;

struct Member {
  std::string_view name;  // empty for anonymous members
  uint32_t type = 0;
  uint32_t bit_offset = 0;
  uint32_t bitfield_size = 0;  // 0 when not a bitfield
};

struct EnumValue {
  std::string_view name;
  int64_t value = 0;  // ENUM64 values stored bit-for-bit; use is_signed() to interpret
};

struct Param {
  std::string_view name;  // empty when unnamed
  uint32_t type = 0;
};

struct VarSecinfo {
  uint32_t type = 0;
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct ArrayInfo {
  uint32_t type = 0;        // element type
  uint32_t index_type = 0;  // index type
  uint32_t nelems = 0;
};

class Btf;

// A cheap view of one type (a pointer to its validated words plus the owning Btf). Kind-specific
// accessors must only be called for the matching kind (checked by BOMBUS_ASSERT in debug paths).
class Type {
 public:
  Type() = default;
  Type(const Btf* btf, const uint32_t* words, uint32_t id) : btf_(btf), w_(words), id_(id) {}

  uint32_t id() const { return id_; }
  bool is_void() const { return w_ == nullptr; }
  Kind kind() const { return w_ ? static_cast<Kind>((w_[1] >> 24) & 0x1f) : Kind::kUnknown; }
  uint16_t vlen() const { return w_ ? static_cast<uint16_t>(w_[1] & 0xffff) : 0; }
  bool kflag() const { return w_ && (w_[1] >> 31); }
  uint32_t name_off() const { return w_ ? w_[0] : 0; }
  std::string_view name() const;
  // size for INT, ENUM, ENUM64, STRUCT, UNION, DATASEC, FLOAT.
  uint32_t size() const { return w_ ? w_[2] : 0; }
  // referenced type for PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO (return), VAR, DECL_TAG.
  uint32_t ref() const { return w_ ? w_[2] : 0; }

  // INT
  uint8_t int_encoding() const { return static_cast<uint8_t>((w_[3] >> 24) & 0x0f); }
  uint8_t int_offset() const { return static_cast<uint8_t>((w_[3] >> 16) & 0xff); }
  uint8_t int_bits() const { return static_cast<uint8_t>(w_[3] & 0xff); }
  // ARRAY
  ArrayInfo array() const { return ArrayInfo{w_[3], w_[4], w_[5]}; }
  // STRUCT / UNION
  Member member(uint32_t i) const;
  // ENUM / ENUM64; is_signed() is the kflag.
  EnumValue enum_value(uint32_t i) const;
  bool is_signed_enum() const { return kflag(); }
  // FUNC_PROTO
  Param param(uint32_t i) const;
  // VAR linkage, FUNC linkage (vlen)
  uint32_t var_linkage() const { return w_[3]; }
  uint32_t func_linkage() const { return vlen(); }
  // DATASEC
  VarSecinfo secinfo(uint32_t i) const;
  // DECL_TAG: -1 for the type itself, else the member/param index.
  int32_t decl_tag_component() const { return static_cast<int32_t>(w_[3]); }

  bool is_struct_or_union() const { return kind() == Kind::kStruct || kind() == Kind::kUnion; }
  bool is_enum() const { return kind() == Kind::kEnum || kind() == Kind::kEnum64; }
  bool is_modifier() const;  // VOLATILE, CONST, RESTRICT, TYPE_TAG

  const uint32_t* words() const { return w_; }

 private:
  const Btf* btf_ = nullptr;
  const uint32_t* w_ = nullptr;
  uint32_t id_ = 0;
};

class Btf {
 public:
  Btf() = default;
  Btf(Btf&&) noexcept = default;
  Btf& operator=(Btf&&) noexcept = default;
  Btf(const Btf&) = delete;
  Btf& operator=(const Btf&) = delete;

  // Parses and validates a BTF blob. With `base`, the blob is split BTF: its ids start at
  // base->type_count() and string offsets at base->strings_size(). `base` must outlive the
  // result. Errors name the type id and what was expected.
  static Result<Btf> parse(std::span<const uint8_t> data, const Btf* base = nullptr);
  // Raw BTF file (magic 0xeB9F) or an ELF file's .BTF section.
  static Result<Btf> load_file(const std::string& path, const Btf* base = nullptr);

  // Number of type ids including id 0 (void) and the base's ids.
  uint32_t type_count() const { return first_id_ + static_cast<uint32_t>(offsets_.size()); }
  // First id defined by this blob (1 for non-split BTF).
  uint32_t start_id() const { return first_id_; }
  const Btf* base() const { return base_; }
  bool valid_id(uint32_t id) const { return id < type_count(); }

  // Type by id; id 0 (and any invalid id) gives the void type.
  Type type(uint32_t id) const {
    if (id == 0 || id >= type_count()) return Type(this, nullptr, 0);
    if (id < first_id_) return base_type(id);
    return Type(this, words_.data() + offsets_[id - first_id_], id);
  }
  Kind kind(uint32_t id) const { return type(id).kind(); }
  std::string_view name(uint32_t id) const { return type(id).name(); }
  // String at offset (split BTF: offsets below the base's string size go to the base).
  std::string_view str(uint32_t off) const;
  bool valid_str(uint32_t off) const;
  uint32_t strings_size() const { return str_start_ + static_cast<uint32_t>(strs_.size()); }

  // Size in bytes of a type after following typedefs/modifiers and multiplying arrays; pointers
  // are 8 bytes. Error for void, FUNC, FUNC_PROTO, FWD and other sizeless kinds.
  Result<uint32_t> resolve_size(uint32_t id) const;
  // Follow TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG (skip_typedefs=false keeps typedefs).
  uint32_t skip_modifiers(uint32_t id, bool skip_typedefs = true) const;
  // Alignment as the compiler would give it (used by dump and CO-RE).
  uint32_t alignment(uint32_t id) const;

  // First type with this name and kind (kUnknown = any kind), or nullopt. Build the name index
  // on first use (not thread-safe for concurrent first calls on the same Btf).
  std::optional<uint32_t> find(std::string_view name, Kind kind = Kind::kUnknown) const;
  // All ids with this name (any kind), ascending. Includes base ids.
  std::vector<uint32_t> find_all(std::string_view name) const;
  // All ids whose name starts with `prefix` (any kind), ascending. Includes base ids.
  std::vector<uint32_t> find_prefix(std::string_view prefix) const;
  // DATASEC by name (".bss", ".data", ".maps", ...).
  std::optional<uint32_t> find_datasec(std::string_view name) const {
    return find(name, Kind::kDatasec);
  }
  // DATASEC entry describing VAR `var_id`, or nullopt.
  std::optional<VarSecinfo> datasec_entry(uint32_t datasec_id, uint32_t var_id) const;

  // DECL_TAG ids attached to `id` (component -1 = the type itself, else member/param index;
  // std::nullopt = all components).
  std::vector<uint32_t> decl_tags(uint32_t id, std::optional<int32_t> component = -1) const;

  // This blob's bytes (header + types + strings), re-serialized from the validated tables.
  std::vector<uint8_t> encode() const;

 private:
  friend class Type;
  Type base_type(uint32_t id) const;
  char str_first(uint32_t off) const;  // first byte of a string (no strlen)
  Status validate_types();
  Status validate_graph();
  void build_name_index() const;

  const Btf* base_ = nullptr;
  uint32_t first_id_ = 1;  // 1, or base->type_count() for split BTF
  uint32_t str_start_ = 0;
  std::vector<uint32_t> words_;    // the type section, word-aligned
  std::vector<uint32_t> offsets_;  // word offset in words_ of local type i (id start_id()+i)
  std::vector<char> strs_;         // the string section (a vector: no SSO, views survive moves)
  // Lazy name index: (hash-sorted) ids by name.
  mutable std::vector<uint32_t> by_name_;
  mutable bool by_name_built_ = false;
  // Lazy DECL_TAG index: tag ids sorted by (tagged type, tag id).
  mutable std::vector<uint32_t> tags_;
  mutable bool tags_built_ = false;
};

// Contents of the ELF section `name` of the file at `path` (used for .BTF / .BTF.ext of objects).
Result<std::vector<uint8_t>> read_elf_section(const std::string& path, const std::string& name);

// Builds BTF blobs by hand (tests, gen skeleton, fuzz seeds). Ids are assigned in add order
// starting at 1 (or after `base_count` for split BTF). No validation: parse() the result.
class BtfBuilder {
 public:
  explicit BtfBuilder(uint32_t base_count = 0, uint32_t base_str_size = 0)
      : next_id_(base_count == 0 ? 1 : base_count), str_base_(base_str_size) {
    if (base_str_size == 0) strs_.push_back('\0');
  }
  uint32_t add_str(std::string_view s);
  uint32_t add_int(std::string_view name, uint32_t size, uint8_t encoding = 0, uint8_t bits = 0,
                   uint8_t offset = 0);
  uint32_t add_float(std::string_view name, uint32_t size);
  uint32_t add_ptr(uint32_t type);
  uint32_t add_ref(Kind kind, std::string_view name, uint32_t type);  // typedef/mods/fwd-less
  uint32_t add_typedef(std::string_view name, uint32_t type) {
    return add_ref(Kind::kTypedef, name, type);
  }
  uint32_t add_const(uint32_t type) { return add_ref(Kind::kConst, "", type); }
  uint32_t add_volatile(uint32_t type) { return add_ref(Kind::kVolatile, "", type); }
  uint32_t add_array(uint32_t elem, uint32_t index, uint32_t nelems);
  // Members: {name, type, bit_offset, bitfield_size}; kflag is set when any bitfield is given.
  uint32_t add_struct(std::string_view name, uint32_t size, const std::vector<Member>& members,
                      bool is_union = false);
  uint32_t add_enum(std::string_view name, uint32_t size, const std::vector<EnumValue>& values,
                    bool is_signed = false);
  uint32_t add_enum64(std::string_view name, uint32_t size, const std::vector<EnumValue>& values,
                      bool is_signed = false);
  uint32_t add_fwd(std::string_view name, bool is_union = false);
  uint32_t add_func_proto(uint32_t ret, const std::vector<Param>& params);
  uint32_t add_func(std::string_view name, uint32_t proto, uint32_t linkage = kFuncGlobal);
  uint32_t add_var(std::string_view name, uint32_t type, uint32_t linkage = kVarGlobalAllocated);
  uint32_t add_datasec(std::string_view name, uint32_t size, const std::vector<VarSecinfo>& vars);
  uint32_t add_decl_tag(std::string_view name, uint32_t type, int32_t component = -1);
  uint32_t add_type_tag(std::string_view name, uint32_t type) {
    return add_ref(Kind::kTypeTag, name, type);
  }
  // Appends raw words (for malformed-input tests); returns the id the type would get.
  uint32_t add_raw(std::span<const uint32_t> words);

  std::vector<uint8_t> build() const;
  uint32_t next_id() const { return next_id_; }

 private:
  uint32_t head(std::string_view name, Kind kind, uint16_t vlen, bool kflag, uint32_t size_type);
  std::vector<uint32_t> words_;
  std::string strs_;
  uint32_t next_id_;
  uint32_t str_base_;
};

}  // namespace bombus::btf
