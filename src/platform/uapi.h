// uapi constants bombus shares with the kernel: map types, map flags, update flags, program types
// and return codes. Header-only so every layer (vm included) can use them without linking.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

namespace bombus::platform {

enum class MapType : uint32_t {
  kUnspec = 0,
  kHash = 1,
  kArray = 2,
  kProgArray = 3,
  kPerfEventArray = 4,
  kPercpuHash = 5,
  kPercpuArray = 6,
  kStackTrace = 7,
  kCgroupArray = 8,
  kLruHash = 9,
  kLruPercpuHash = 10,
  kLpmTrie = 11,
  kArrayOfMaps = 12,
  kHashOfMaps = 13,
  kDevmap = 14,
  kSockmap = 15,
  kCpumap = 16,
  kXskmap = 17,
  kSockhash = 18,
  kCgroupStorage = 19,
  kReuseportSockarray = 20,
  kPercpuCgroupStorage = 21,
  kQueue = 22,
  kStack = 23,
  kSkStorage = 24,
  kDevmapHash = 25,
  kStructOps = 26,
  kRingbuf = 27,
  kInodeStorage = 28,
  kTaskStorage = 29,
  kBloomFilter = 30,
  kUserRingbuf = 31,
};

inline constexpr std::string_view kMapTypeNames[] = {"unspec",
                                                     "hash",
                                                     "array",
                                                     "prog_array",
                                                     "perf_event_array",
                                                     "percpu_hash",
                                                     "percpu_array",
                                                     "stack_trace",
                                                     "cgroup_array",
                                                     "lru_hash",
                                                     "lru_percpu_hash",
                                                     "lpm_trie",
                                                     "array_of_maps",
                                                     "hash_of_maps",
                                                     "devmap",
                                                     "sockmap",
                                                     "cpumap",
                                                     "xskmap",
                                                     "sockhash",
                                                     "cgroup_storage",
                                                     "reuseport_sockarray",
                                                     "percpu_cgroup_storage",
                                                     "queue",
                                                     "stack",
                                                     "sk_storage",
                                                     "devmap_hash",
                                                     "struct_ops",
                                                     "ringbuf",
                                                     "inode_storage",
                                                     "task_storage",
                                                     "bloom_filter",
                                                     "user_ringbuf"};

// bpftool's spelling of each map type ("hash", "percpu_array", ...); "" when unknown.
inline constexpr std::string_view map_type_name(MapType t) {
  auto i = static_cast<uint32_t>(t);
  return i < std::size(kMapTypeNames) ? kMapTypeNames[i] : std::string_view{};
}
// Inverse of map_type_name; kUnspec when unknown.
inline constexpr MapType map_type_from_name(std::string_view name) {
  for (uint32_t i = 1; i < std::size(kMapTypeNames); ++i)
    if (kMapTypeNames[i] == name) return static_cast<MapType>(i);
  return MapType::kUnspec;
}

enum class ProgType : uint32_t {
  kUnspec = 0,
  kSocketFilter = 1,
  kKprobe = 2,
  kSchedCls = 3,
  kSchedAct = 4,
  kTracepoint = 5,
  kXdp = 6,
  kPerfEvent = 7,
  kCgroupSkb = 8,
  kCgroupSock = 9,
  kLwtIn = 10,
  kLwtOut = 11,
  kLwtXmit = 12,
  kSockOps = 13,
  kSkSkb = 14,
  kCgroupDevice = 15,
  kSkMsg = 16,
  kRawTracepoint = 17,
  kCgroupSockAddr = 18,
  kLwtSeg6local = 19,
  kLircMode2 = 20,
  kSkReuseport = 21,
  kFlowDissector = 22,
  kCgroupSysctl = 23,
  kRawTracepointWritable = 24,
  kCgroupSockopt = 25,
  kTracing = 26,
  kStructOps = 27,
  kExt = 28,
  kLsm = 29,
  kSkLookup = 30,
  kSyscall = 31,
};

// Map creation flags (BPF_F_*).
inline constexpr uint32_t kFNoPrealloc = 1u << 0, kFNoCommonLru = 1u << 1, kFNumaNode = 1u << 2,
                          kFRdonly = 1u << 3, kFWronly = 1u << 4, kFStackBuildId = 1u << 5,
                          kFZeroSeed = 1u << 6, kFRdonlyProg = 1u << 7, kFWronlyProg = 1u << 8,
                          kFClone = 1u << 9, kFMmapable = 1u << 10, kFPreserveElems = 1u << 11,
                          kFInnerMap = 1u << 12;

// Element update flags.
inline constexpr uint64_t kAny = 0, kNoExist = 1, kExist = 2, kFLock = 4;

// XDP verdicts and TC actions.
inline constexpr int kXdpAborted = 0, kXdpDrop = 1, kXdpPass = 2, kXdpTx = 3, kXdpRedirect = 4;
inline constexpr int kTcActUnspec = -1, kTcActOk = 0, kTcActShot = 2, kTcActRedirect = 7;

// bpf_perf_event_output flags.
inline constexpr uint64_t kFIndexMask = 0xffffffffULL, kFCurrentCpu = kFIndexMask;
// ringbuf flags.
inline constexpr uint64_t kRbNoWakeup = 1, kRbForceWakeup = 2;
inline constexpr uint64_t kRbAvailData = 0, kRbRingSize = 1, kRbConsPos = 2, kRbProdPos = 3;

}  // namespace bombus::platform
