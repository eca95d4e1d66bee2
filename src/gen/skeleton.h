// `bombus gen skeleton`: turns a .bpf.o into a C++ header that embeds the object's bytes and gives
// typed access to its programs, maps and global variables (bpftool's skeleton, for bombus's API).
// Global variables become packed structs laid out from the BTF DATASECs, with static_asserts on
// every offset, so the header fails to compile rather than silently mis-address a variable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bombus::gen {

// bpftool's default skeleton name: the file's base name without ".o", non-identifier characters
// replaced by '_' ("xdp_fw.bpf.o" -> "xdp_fw_bpf").
std::string default_object_name(std::string_view path);

// Replaces every character that cannot appear in a C identifier with '_'.
std::string sanitize_identifier(std::string_view s);

// The header for the object in `elf` (its whole file contents), with `name` as the struct name.
[[nodiscard]] Result<std::string> skeleton(std::span<const uint8_t> elf, std::string_view name);

}  // namespace bombus::gen
