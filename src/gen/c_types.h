// C++ renderings of BTF types for generated skeletons: every struct/union is emitted packed with
// explicit padding and static_asserts on size and member offsets, so the host layout is exactly
// the BPF one. Pointers (BPF addresses) become uint64_t; bitfields become padding bytes.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "btf/btf.h"

namespace bombus::gen {

class CTypes {
 public:
  // `ns` is the namespace the definitions will be placed in.
  CTypes(const btf::Btf& btf, std::string ns) : btf_(btf), ns_(std::move(ns)) {}

  // `T name[..]` for a value of type `id` (modifiers dropped), defining named types on the way.
  std::string decl(uint32_t id, const std::string& name);
  // The definitions emitted so far, in dependency order.
  const std::string& definitions() const { return defs_; }
  // Appends a packed struct `name` of `size` bytes with the given (offset, type, field) members,
  // sorted by offset, padding between them.
  struct Field {
    uint32_t offset = 0;
    uint32_t type = 0;
    std::string name;
  };
  void emit_struct(const std::string& name, uint32_t size, std::vector<Field> fields,
                   bool is_union);

 private:
  std::string type_name(uint32_t id);
  std::string aggregate_name(const btf::Type& t);
  void define(uint32_t id);
  uint32_t size_of(uint32_t id) const;

  const btf::Btf& btf_;
  std::string ns_;
  std::set<uint32_t> done_;
  std::string defs_;
};

// `s` made safe as a C++ identifier (keywords get a trailing '_').
std::string safe_ident(std::string_view s);

}  // namespace bombus::gen
