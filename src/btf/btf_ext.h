// BTF.ext: the per-section side tables clang emits next to .BTF — function info (which BTF FUNC
// starts at which instruction), line info (file, source text, line and column of instructions)
// and CO-RE relocation records. Parsed and validated against the object's BTF; string views
// point into that Btf, which must outlive the BtfExt.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "btf/btf.h"

namespace bombus::btf {

// uapi enum bpf_core_relo_kind.
enum class ReloKind : uint32_t {
  kFieldByteOffset = 0,
  kFieldByteSize = 1,
  kFieldExists = 2,
  kFieldSigned = 3,
  kFieldLShiftU64 = 4,
  kFieldRShiftU64 = 5,
  kTypeIdLocal = 6,
  kTypeIdTarget = 7,
  kTypeExists = 8,
  kTypeSize = 9,
  kEnumvalExists = 10,
  kEnumvalValue = 11,
  kTypeMatches = 12,
};
inline constexpr uint32_t kMaxReloKind = 12;
// libbpf's names: "byte_off", "byte_sz", "field_exists", ...
std::string_view relo_kind_name(ReloKind k);

struct FuncInfo {
  uint32_t insn_off = 0;  // in bytes, as in the object file (insn index = insn_off / 8)
  uint32_t type_id = 0;   // a FUNC
};

struct LineInfo {
  uint32_t insn_off = 0;  // in bytes
  std::string_view file;  // file name
  std::string_view text;  // the source line
  uint32_t line = 0;
  uint32_t col = 0;
};

struct CoreRelo {
  uint32_t insn_off = 0;    // in bytes
  uint32_t type_id = 0;     // local root type
  std::string_view access;  // "0:1:2" or, for enumval relos, "N"
  ReloKind kind = ReloKind::kFieldByteOffset;
};

struct ExtSection {
  std::string_view name;  // ELF section name of the program(s), e.g. "xdp" or ".text"
  std::vector<FuncInfo> funcs;
  std::vector<LineInfo> lines;
  std::vector<CoreRelo> relos;
};

class BtfExt {
 public:
  static Result<BtfExt> parse(std::span<const uint8_t> data, const Btf& btf);

  const std::vector<ExtSection>& sections() const { return sections_; }
  const ExtSection* section(std::string_view name) const;
  // Line info in effect at byte offset `insn_off` of `section` (the last record at or before
  // it), or nullptr.
  const LineInfo* line_at(std::string_view section, uint32_t insn_off) const;

 private:
  std::vector<ExtSection> sections_;
};

}  // namespace bombus::btf
