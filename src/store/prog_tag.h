// Program tags as the kernel computes them (bpf_prog_calc_tag): a digest of the program's
// instructions as the loader submits them, with the immediates of map-referencing lddw pairs
// (src BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE) zeroed, first 8 bytes as hex. Kernels before
// 6.18 digest with SHA-1, 6.18 and later with SHA-256; bombus follows the running kernel so that
// `prog show` prints the tag bpftool prints for the same object on the same machine.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bombus::store {

enum class TagHash { kSha1, kSha256 };

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data);

// The kernel's rule for a kernel release string ("6.1.0-18-amd64" -> SHA-1, "6.18.4" -> SHA-256).
TagHash tag_hash_for_release(std::string_view release);
// The hash of the running kernel (uname), unless $BOMBUS_TAG_HASH is "sha1" or "sha256".
TagHash host_tag_hash();
std::string_view tag_hash_name(TagHash h);

// `insns`: the program's raw 8-byte instructions. Returns 16 lowercase hex digits.
std::string prog_tag(std::span<const uint8_t> insns, TagHash hash);

}  // namespace bombus::store
