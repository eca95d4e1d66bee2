// The per-kind field description of one BTF type that bpftool's raw dumps share: its header (id,
// kind, name), the scalar fields each kind has ("size", "type_id", "encoding", ...) and the
// lists of members / enumerators / parameters / section entries. `describe_type` walks a type
// in that order and hands each piece to a FieldSink; the raw text dump (dump_raw.cc) and the
// JSON dump (tools/bombus/btf_json.cc) are two sinks, so both print the same fields in the same
// order and differ only in rendering.
#pragma once

#include <cstdint>
#include <string_view>

#include "btf/btf.h"

namespace bombus::btf {

// An enumerator's value as stored, with what the renderers need to print it the way bpftool does
// (text and JSON differ for unsigned 32-bit values).
struct EnumField {
  int64_t raw = 0;
  bool is64 = false;
  bool is_signed = false;
};

class FieldSink {
 public:
  virtual ~FieldSink() = default;
  // First call for every type; `name` is already "(anon)" when the type has none.
  virtual void header(uint32_t id, std::string_view kind, std::string_view name) = 0;
  virtual void number(std::string_view key, uint64_t v) = 0;
  virtual void signed_number(std::string_view key, int64_t v) = 0;
  virtual void text(std::string_view key, std::string_view v) = 0;
  virtual void enum_value(std::string_view key, EnumField v) = 0;
  // A list ("members", "values", "params", "vars") of items, each a run of fields between
  // item_begin/item_end. An item's "name" field comes first when the item has one.
  virtual void list_begin(std::string_view key) = 0;
  virtual void item_begin() = 0;
  virtual void item_end() = 0;
  virtual void list_end() = 0;
};

// Walks type `id` of `b` (which must be valid and not void) into `sink`.
void describe_type(const Btf& b, uint32_t id, FieldSink& sink);

// bpftool's names for INT encodings ("SIGNED", "CHAR", "BOOL", "(none)") and linkage values
// ("static", "global", "extern", "(unknown)").
std::string_view int_encoding_name(uint8_t encoding);
std::string_view linkage_name(uint32_t linkage);

}  // namespace bombus::btf
