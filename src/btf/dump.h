// Text renderings of BTF, matching bpftool: `btf dump ... format raw` (one line per type with
// indented members) and `format c` (a compilable vmlinux.h-style header).
#pragma once

#include <span>
#include <string>

#include "btf/btf.h"

namespace bombus::btf {

// bpftool's raw layout, byte-identical for the same BTF. Split BTF prints only its own types.
void dump_raw(const Btf& btf, std::string& out);
std::string dump_raw(const Btf& btf);
// One type's lines of the raw dump (its header line and member lines, newline-terminated).
void dump_raw_type(const Btf& btf, uint32_t id, std::string& out);

// A C header equivalent to bpftool's `format c` output (guard, preserve_access_index pragma,
// forward declarations, types in dependency order).
void dump_c(const Btf& btf, std::string& out);
std::string dump_c(const Btf& btf);
// Only the types `roots` name and what they need (bpftool's `btf dump map|prog` with root types).
void dump_c(const Btf& btf, std::span<const uint32_t> roots, std::string& out);

}  // namespace bombus::btf
