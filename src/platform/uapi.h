// uapi constants bombus shares with the kernel: map types, map flags, update flags, program types
// and return codes. Header-only so every layer (vm included) can use them without linking.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

#include "isa/uapi_types.h"

namespace bombus::platform {

// Map and program types with bpftool's names: one copy, in isa/uapi_types.h.
using uapi::AttachType;
using uapi::kMapTypeNames;
using uapi::map_type_from_name;
using uapi::map_type_name;
using uapi::MapType;
using uapi::ProgType;

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
