// Program types, attach types and map types as the kernel's uapi numbers them (enum
// bpf_prog_type, enum bpf_attach_type, enum bpf_map_type), and the table that turns an ELF
// section name into (program type, expected attach type, attach target, flags) with libbpf's
// conventions: "kprobe/do_sys_open", "xdp.frags", "tc/ingress", "?xdp" (not autoloaded), ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bombus::loader {

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
  kNetfilter = 32,
};

enum class AttachType : uint32_t {
  kCgroupInetIngress = 0,
  kCgroupInetEgress = 1,
  kCgroupInetSockCreate = 2,
  kCgroupSockOps = 3,
  kSkSkbStreamParser = 4,
  kSkSkbStreamVerdict = 5,
  kCgroupDevice = 6,
  kSkMsgVerdict = 7,
  kCgroupInet4Bind = 8,
  kCgroupInet6Bind = 9,
  kCgroupInet4Connect = 10,
  kCgroupInet6Connect = 11,
  kCgroupInet4PostBind = 12,
  kCgroupInet6PostBind = 13,
  kCgroupUdp4Sendmsg = 14,
  kCgroupUdp6Sendmsg = 15,
  kLircMode2 = 16,
  kFlowDissector = 17,
  kCgroupSysctl = 18,
  kCgroupUdp4Recvmsg = 19,
  kCgroupUdp6Recvmsg = 20,
  kCgroupGetsockopt = 21,
  kCgroupSetsockopt = 22,
  kTraceRawTp = 23,
  kTraceFentry = 24,
  kTraceFexit = 25,
  kModifyReturn = 26,
  kLsmMac = 27,
  kTraceIter = 28,
  kCgroupInet4Getpeername = 29,
  kCgroupInet6Getpeername = 30,
  kCgroupInet4Getsockname = 31,
  kCgroupInet6Getsockname = 32,
  kXdpDevmap = 33,
  kCgroupInetSockRelease = 34,
  kXdpCpumap = 35,
  kSkLookup = 36,
  kXdp = 37,
  kSkSkbVerdict = 38,
  kSkReuseportSelect = 39,
  kSkReuseportSelectOrMigrate = 40,
  kPerfEvent = 41,
  kTraceKprobeMulti = 42,
  kLsmCgroup = 43,
  kStructOps = 44,
  kNetfilter = 45,
  kTcxIngress = 46,
  kTcxEgress = 47,
  kTraceUprobeMulti = 48,
};

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
  kCgrpStorage = 32,
  kArena = 33,
};

// uapi BPF_F_* program load flags that section names imply.
inline constexpr uint32_t kProgFlagSleepable = 1u << 4;    // BPF_F_SLEEPABLE
inline constexpr uint32_t kProgFlagXdpHasFrags = 1u << 5;  // BPF_F_XDP_HAS_FRAGS
// uapi BPF_F_* map flags the loader sets itself.
inline constexpr uint32_t kMapFlagRdonlyProg = 1u << 7;  // BPF_F_RDONLY_PROG
inline constexpr uint32_t kMapFlagMmapable = 1u << 10;   // BPF_F_MMAPABLE
inline constexpr uint32_t kMapFlagLink = 1u << 13;       // BPF_F_LINK (.struct_ops.link)

// bpftool's names: "xdp", "sched_cls", "tracing", ...; "unspec" for unknown values.
std::string_view prog_type_name(ProgType t);
std::string_view attach_type_name(AttachType t);
std::string_view map_type_name(MapType t);
std::optional<ProgType> prog_type_from_name(std::string_view name);
std::optional<MapType> map_type_from_name(std::string_view name);

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
