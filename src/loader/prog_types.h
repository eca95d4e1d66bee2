// Program types, attach types and map types (from isa/uapi_types.h), and the table that turns an
// ELF section name into (program type, expected attach type, attach target, flags) with libbpf's
// conventions: "kprobe/do_sys_open", "xdp.frags", "tc/ingress", "?xdp" (not autoloaded), ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "isa/uapi_types.h"

namespace bombus::loader {

// The uapi enums and bpftool's names live in isa/uapi_types.h (shared with platform).
using uapi::AttachType;
using uapi::MapType;
using uapi::ProgType;

// uapi BPF_F_* program load flags that section names imply.
inline constexpr uint32_t kProgFlagSleepable = 1u << 4;    // BPF_F_SLEEPABLE
inline constexpr uint32_t kProgFlagXdpHasFrags = 1u << 5;  // BPF_F_XDP_HAS_FRAGS
// uapi BPF_F_* map flags the loader sets itself.
inline constexpr uint32_t kMapFlagRdonlyProg = 1u << 7;  // BPF_F_RDONLY_PROG
inline constexpr uint32_t kMapFlagMmapable = 1u << 10;   // BPF_F_MMAPABLE
inline constexpr uint32_t kMapFlagLink = 1u << 13;       // BPF_F_LINK (.struct_ops.link)

// bpftool's names ("" for unknown values) and their inverses (kUnspec for unknown names).
using uapi::attach_type_name;
using uapi::map_type_from_name;
using uapi::map_type_name;
using uapi::prog_type_from_name;
using uapi::prog_type_name;

// What a section name means.
struct SectionDef {
  ProgType type = ProgType::kUnspec;
  std::optional<AttachType> attach_type;  // expected_attach_type (nullopt = 0, not given)
  std::string attach_target;              // "do_sys_open" in "kprobe/do_sys_open"
  uint32_t prog_flags = 0;                // kProgFlagSleepable, kProgFlagXdpHasFrags
  bool autoload = true;                   // false for "?xdp"
  bool attach_btf = false;                // fentry/fexit/tp_btf/lsm/iter: target is a BTF name
  std::string_view prefix;                // the table row that matched ("kprobe+", "xdp", ...)
};

// Matches a section name against libbpf's conventions. Rows ending in '+' match the bare word or
// the word followed by '/' and a target; rows ending in '/' match any continuation; other rows
// match exactly. nullopt when nothing matches (the caller reports the section by name).
std::optional<SectionDef> classify_section(std::string_view section_name);

}  // namespace bombus::loader
