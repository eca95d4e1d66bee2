// The verification cache: a stored program's verdict, kept beside it in the store
// (progs/<id>/verified) so that `prog run` of a pinned program does not verify it again in every
// process. An entry holds a key (what the verdict depends on: the program's tag, a digest of the
// whole verifier input — instructions, type, attach type, maps, license — and the identity of the
// bombus build whose verifier and engines produced it) and the instructions the verifier accepted,
// followed by a SHA-256 over all of it. It is trusted only when the checksum holds, the key is the
// one the caller computes now and the cached instructions are byte for byte the ones about to load;
// any other entry is ignored (and replaced after the caller verifies again). The engines' own work
// (map addresses, callback indexes, ctx rewriting, JIT code) is per process and not cached: it
// is position-dependent and cheap next to verification.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/store.h"

namespace bombus::store {

enum class CacheResult {
  kHit,      // valid entry for this key and these instructions: the verdict holds
  kMissing,  // no entry
  kStale,    // a valid entry for another key or other instructions
  kCorrupt,  // not an entry (bad magic, truncated, checksum mismatch)
};
std::string_view cache_result_name(CacheResult r);  // "hit", "miss", "stale", "corrupt"

// ROOT/progs/<id>/verified
std::string verify_cache_path(const Store& st, uint32_t prog_id);

// Checks the entry of `prog_id` against `key` and the instructions (raw 8-byte insns).
CacheResult check_verified(const Store& st, uint32_t prog_id, std::string_view key,
                           std::span<const uint8_t> insns);
// Records that the program with these instructions verified under `key` (atomic replace).
Status save_verified(const Store& st, uint32_t prog_id, std::string_view key,
                     std::span<const uint8_t> insns);

// An identity of the running bombus build (the executable's inode, size and mtime): entries
// written by another build, whose verifier or engines may differ, are stale.
std::string build_identity();

}  // namespace bombus::store
