// The JIT benchmark programs, as eBPF assembly (kernel log syntax) or instruction literals, with
// their inputs and the same logic as native C++ (native.cc, built with -O2).
//
// User space and the kernel see different XDP contexts: bombus engines get BenchCtx (64-bit host
// pointers), the kernel gets struct xdp_md (32-bit fields it rewrites). Each program's two
// context loads are the only lines that differ between the two variants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/insn.h"

namespace bombus::bench {

struct BenchCtx {
  uint64_t data;
  uint64_t data_end;
};

enum class ProgId { kXdpPass, kParser, kLoop, kChecksum, kMapHeavy, kTailChain, kCallChain };

// The map a program references through kMapPlaceholder.
enum class MapKind { kNone, kHash, kProgArray };

struct BenchProgram {
  ProgId id;
  const char* name;
  // Programs of the chain; [0] is the entry. Map references (tail calls) are an lddw of
  // kMapPlaceholder that the runner replaces (kernel: a BPF_PSEUDO_MAP_FD lddw).
  std::vector<std::vector<isa::Insn>> progs;
  std::vector<uint8_t> packet;
  bool compute = false;  // compared with native C (the 1.5x target)
  MapKind map = MapKind::kNone;
};

// kHash maps: u32 key -> u64 value, keys 0..kHashEntries-1 hold hash_value(key).
inline constexpr uint32_t kHashEntries = 256;
inline uint64_t hash_value(uint32_t key) {
  return key * 3ull + 1;
}

inline constexpr uint64_t kMapPlaceholder = 0x0b0b0b0b0b0b0b0bull;
inline constexpr int kTailChainLength = 5;  // programs, i.e. 4 tail calls

// kernel = true: xdp_md context loads.
std::vector<BenchProgram> bench_programs(bool kernel);

// The same logic compiled natively (native.cc).
using NativeFn = uint64_t (*)(const BenchCtx* ctx);
// native.cc's stand-in for the hash map: a C++ lookup function the map-heavy program calls.
void set_native_map(const void* (*lookup)(uint32_t key));
NativeFn native_for(ProgId id);

// A straight-line program of n instructions for compile-time measurement.
std::vector<isa::Insn> compile_time_program(size_t n);

}  // namespace bombus::bench
