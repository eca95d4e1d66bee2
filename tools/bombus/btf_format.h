// Map keys and values rendered through BTF as bpftool's "formatted" JSON (its btf_dumper):
// integers as numbers, enums by enumerator name, structs as objects, arrays as lists, char
// arrays holding text as strings, DATASECs as {"<section>":[{"<var>":value}, ...]}.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "btf/btf.h"

namespace bombus::cli {

// JSON laid out as bpftool's json_writer lays out pretty output (what `map dump` and `map lookup`
// print without -j for maps with BTF): 4 spaces per level, "[{" and "},{" joined, no space
// before ':'.
std::string bpftool_pretty(const nlohmann::ordered_json& j);

class ValueFormatter {
 public:
  // The formatter for a stored map (`btf_file`: its BTF in the store; meta has the type ids), or
  // nullopt when the map has no BTF value type.
  static std::optional<ValueFormatter> for_map(const std::string& btf_file,
                                               const nlohmann::ordered_json& meta);
  ValueFormatter(std::shared_ptr<const btf::Btf> btf, uint32_t key_type, uint32_t value_type)
      : btf_(std::move(btf)), key_type_(key_type), value_type_(value_type) {}

  // {"key":..., "value":...}; per-CPU maps (ncpus > 0): {"key":...,
  // "values":[{"cpu":N,"value":...}]}. The key is left out when the map has no key type (global
  // data), as bpftool does.
  nlohmann::ordered_json element(std::span<const uint8_t> key, std::span<const uint8_t> value,
                                 uint32_t ncpus) const;
  // One value of type `id` at `data`.
  nlohmann::ordered_json format(uint32_t id, std::span<const uint8_t> data) const;

 private:
  nlohmann::ordered_json format_int(const btf::Type& t, std::span<const uint8_t> data,
                                    uint32_t bit_off, uint32_t bits) const;

  std::shared_ptr<const btf::Btf> btf_;
  uint32_t key_type_ = 0, value_type_ = 0;
};

}  // namespace bombus::cli
