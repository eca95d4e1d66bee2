// The verification cache (store/verify_cache.h) around one reload of a stored program: `prog
// run` reloads the program and every stored program its prog arrays name in each process, and
// this lets each of them skip the verifier when its cached verdict still applies.
#pragma once

#include <cstdint>
#include <optional>

#include "loading.h"

namespace bombus::cli {

// reload_program with the cache: before load(), the key is the stored tag, a SHA-256 of
// everything the verifier reads (instructions, type, maps, license, name) and the build
// identity; a valid entry for exactly the instructions about to load turns verification off
// for this load. After a load that verified, the entry is (re)written. With `debug`, one line
// on stderr says hit / miss / stale / corrupt.
Result<Loaded> reload_program_cached(const store::Store& st, uint32_t prog_id,
                                     std::optional<Engine> engine, bool debug);

}  // namespace bombus::cli
