// The section-name table (libbpf's SEC() conventions, as documented in libbpf's "Program types
// and ELF sections" page) and the uapi enum name tables bpftool prints.
#include "loader/prog_types.h"

#include <array>

namespace bombus::loader {

namespace {

constexpr std::array<std::string_view, 33> kProgTypeNames = {"unspec",
                                                             "socket_filter",
                                                             "kprobe",
                                                             "sched_cls",
                                                             "sched_act",
                                                             "tracepoint",
                                                             "xdp",
                                                             "perf_event",
                                                             "cgroup_skb",
                                                             "cgroup_sock",
                                                             "lwt_in",
                                                             "lwt_out",
                                                             "lwt_xmit",
                                                             "sock_ops",
                                                             "sk_skb",
                                                             "cgroup_device",
                                                             "sk_msg",
                                                             "raw_tracepoint",
                                                             "cgroup_sock_addr",
                                                             "lwt_seg6local",
                                                             "lirc_mode2",
                                                             "sk_reuseport",
                                                             "flow_dissector",
                                                             "cgroup_sysctl",
                                                             "raw_tracepoint_writable",
                                                             "cgroup_sockopt",
                                                             "tracing",
                                                             "struct_ops",
                                                             "ext",
                                                             "lsm",
                                                             "sk_lookup",
                                                             "syscall",
                                                             "netfilter"};

constexpr std::array<std::string_view, 49> kAttachTypeNames = {"cgroup_inet_ingress",
                                                               "cgroup_inet_egress",
                                                               "cgroup_inet_sock_create",
                                                               "cgroup_sock_ops",
                                                               "sk_skb_stream_parser",
                                                               "sk_skb_stream_verdict",
                                                               "cgroup_device",
                                                               "sk_msg_verdict",
                                                               "cgroup_inet4_bind",
                                                               "cgroup_inet6_bind",
                                                               "cgroup_inet4_connect",
                                                               "cgroup_inet6_connect",
                                                               "cgroup_inet4_post_bind",
                                                               "cgroup_inet6_post_bind",
                                                               "cgroup_udp4_sendmsg",
                                                               "cgroup_udp6_sendmsg",
                                                               "lirc_mode2",
                                                               "flow_dissector",
                                                               "cgroup_sysctl",
                                                               "cgroup_udp4_recvmsg",
                                                               "cgroup_udp6_recvmsg",
                                                               "cgroup_getsockopt",
                                                               "cgroup_setsockopt",
                                                               "trace_raw_tp",
                                                               "trace_fentry",
                                                               "trace_fexit",
                                                               "modify_return",
                                                               "lsm_mac",
                                                               "trace_iter",
                                                               "cgroup_inet4_getpeername",
                                                               "cgroup_inet6_getpeername",
                                                               "cgroup_inet4_getsockname",
                                                               "cgroup_inet6_getsockname",
                                                               "xdp_devmap",
                                                               "cgroup_inet_sock_release",
                                                               "xdp_cpumap",
                                                               "sk_lookup",
                                                               "xdp",
                                                               "sk_skb_verdict",
                                                               "sk_reuseport_select",
                                                               "sk_reuseport_select_or_migrate",
                                                               "perf_event",
                                                               "trace_kprobe_multi",
                                                               "lsm_cgroup",
                                                               "struct_ops",
                                                               "netfilter",
                                                               "tcx_ingress",
                                                               "tcx_egress",
                                                               "trace_uprobe_multi"};

constexpr std::array<std::string_view, 34> kMapTypeNames = {"unspec",
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
                                                            "user_ringbuf",
                                                            "cgrp_storage",
                                                            "arena"};

using P = ProgType;
using A = AttachType;
constexpr uint32_t kSleep = kProgFlagSleepable;
constexpr uint32_t kFrags = kProgFlagXdpHasFrags;

struct Row {
  std::string_view prefix;
  ProgType type;
  std::optional<AttachType> attach;
  uint32_t flags = 0;
  bool attach_btf = false;
};

// Order matters: the first matching row wins, so longer/more specific names come first.
const Row kRows[] = {
    {"socket", P::kSocketFilter, std::nullopt},
    {"sk_reuseport/migrate", P::kSkReuseport, A::kSkReuseportSelectOrMigrate},
    {"sk_reuseport", P::kSkReuseport, A::kSkReuseportSelect},
    {"kprobe+", P::kKprobe, std::nullopt},
    {"uprobe+", P::kKprobe, std::nullopt},
    {"uprobe.s+", P::kKprobe, std::nullopt, kSleep},
    {"kretprobe+", P::kKprobe, std::nullopt},
    {"uretprobe+", P::kKprobe, std::nullopt},
    {"uretprobe.s+", P::kKprobe, std::nullopt, kSleep},
    {"kprobe.multi+", P::kKprobe, A::kTraceKprobeMulti},
    {"kretprobe.multi+", P::kKprobe, A::kTraceKprobeMulti},
    {"uprobe.multi+", P::kKprobe, A::kTraceUprobeMulti},
    {"uretprobe.multi+", P::kKprobe, A::kTraceUprobeMulti},
    {"ksyscall+", P::kKprobe, std::nullopt},
    {"kretsyscall+", P::kKprobe, std::nullopt},
    {"usdt+", P::kKprobe, std::nullopt},
    {"tc/ingress", P::kSchedCls, A::kTcxIngress},
    {"tc/egress", P::kSchedCls, A::kTcxEgress},
    {"tcx/ingress", P::kSchedCls, A::kTcxIngress},
    {"tcx/egress", P::kSchedCls, A::kTcxEgress},
    {"tc", P::kSchedCls, std::nullopt},
    {"classifier", P::kSchedCls, std::nullopt},
    {"action", P::kSchedAct, std::nullopt},
    {"tracepoint+", P::kTracepoint, std::nullopt},
    {"tp+", P::kTracepoint, std::nullopt},
    {"raw_tracepoint+", P::kRawTracepoint, std::nullopt},
    {"raw_tp+", P::kRawTracepoint, std::nullopt},
    {"raw_tracepoint.w+", P::kRawTracepointWritable, std::nullopt},
    {"raw_tp.w+", P::kRawTracepointWritable, std::nullopt},
    {"tp_btf+", P::kTracing, A::kTraceRawTp, 0, true},
    {"fentry+", P::kTracing, A::kTraceFentry, 0, true},
    {"fmod_ret+", P::kTracing, A::kModifyReturn, 0, true},
    {"fexit+", P::kTracing, A::kTraceFexit, 0, true},
    {"fentry.s+", P::kTracing, A::kTraceFentry, kSleep, true},
    {"fmod_ret.s+", P::kTracing, A::kModifyReturn, kSleep, true},
    {"fexit.s+", P::kTracing, A::kTraceFexit, kSleep, true},
    {"freplace+", P::kExt, std::nullopt, 0, true},
    {"lsm+", P::kLsm, A::kLsmMac, 0, true},
    {"lsm.s+", P::kLsm, A::kLsmMac, kSleep, true},
    {"lsm_cgroup+", P::kLsm, A::kLsmCgroup, 0, true},
    {"iter+", P::kTracing, A::kTraceIter, 0, true},
    {"iter.s+", P::kTracing, A::kTraceIter, kSleep, true},
    {"syscall", P::kSyscall, std::nullopt, kSleep},
    {"xdp.frags/devmap", P::kXdp, A::kXdpDevmap, kFrags},
    {"xdp/devmap", P::kXdp, A::kXdpDevmap},
    {"xdp.frags/cpumap", P::kXdp, A::kXdpCpumap, kFrags},
    {"xdp/cpumap", P::kXdp, A::kXdpCpumap},
    {"xdp.frags", P::kXdp, A::kXdp, kFrags},
    {"xdp", P::kXdp, A::kXdp},
    {"perf_event", P::kPerfEvent, std::nullopt},
    {"lwt_in", P::kLwtIn, std::nullopt},
    {"lwt_out", P::kLwtOut, std::nullopt},
    {"lwt_xmit", P::kLwtXmit, std::nullopt},
    {"lwt_seg6local", P::kLwtSeg6local, std::nullopt},
    {"sockops", P::kSockOps, A::kCgroupSockOps},
    {"sk_skb/stream_parser", P::kSkSkb, A::kSkSkbStreamParser},
    {"sk_skb/stream_verdict", P::kSkSkb, A::kSkSkbStreamVerdict},
    {"sk_skb/verdict", P::kSkSkb, A::kSkSkbVerdict},
    {"sk_skb", P::kSkSkb, std::nullopt},
    {"sk_msg", P::kSkMsg, A::kSkMsgVerdict},
    {"lirc_mode2", P::kLircMode2, A::kLircMode2},
    {"flow_dissector", P::kFlowDissector, A::kFlowDissector},
    {"cgroup_skb/ingress", P::kCgroupSkb, A::kCgroupInetIngress},
    {"cgroup_skb/egress", P::kCgroupSkb, A::kCgroupInetEgress},
    {"cgroup/skb", P::kCgroupSkb, std::nullopt},
    {"cgroup/sock_create", P::kCgroupSock, A::kCgroupInetSockCreate},
    {"cgroup/sock_release", P::kCgroupSock, A::kCgroupInetSockRelease},
    {"cgroup/sock", P::kCgroupSock, A::kCgroupInetSockCreate},
    {"cgroup/post_bind4", P::kCgroupSock, A::kCgroupInet4PostBind},
    {"cgroup/post_bind6", P::kCgroupSock, A::kCgroupInet6PostBind},
    {"cgroup/bind4", P::kCgroupSockAddr, A::kCgroupInet4Bind},
    {"cgroup/bind6", P::kCgroupSockAddr, A::kCgroupInet6Bind},
    {"cgroup/connect4", P::kCgroupSockAddr, A::kCgroupInet4Connect},
    {"cgroup/connect6", P::kCgroupSockAddr, A::kCgroupInet6Connect},
    {"cgroup/sendmsg4", P::kCgroupSockAddr, A::kCgroupUdp4Sendmsg},
    {"cgroup/sendmsg6", P::kCgroupSockAddr, A::kCgroupUdp6Sendmsg},
    {"cgroup/recvmsg4", P::kCgroupSockAddr, A::kCgroupUdp4Recvmsg},
    {"cgroup/recvmsg6", P::kCgroupSockAddr, A::kCgroupUdp6Recvmsg},
    {"cgroup/getpeername4", P::kCgroupSockAddr, A::kCgroupInet4Getpeername},
    {"cgroup/getpeername6", P::kCgroupSockAddr, A::kCgroupInet6Getpeername},
    {"cgroup/getsockname4", P::kCgroupSockAddr, A::kCgroupInet4Getsockname},
    {"cgroup/getsockname6", P::kCgroupSockAddr, A::kCgroupInet6Getsockname},
    {"cgroup/sysctl", P::kCgroupSysctl, A::kCgroupSysctl},
    {"cgroup/getsockopt", P::kCgroupSockopt, A::kCgroupGetsockopt},
    {"cgroup/setsockopt", P::kCgroupSockopt, A::kCgroupSetsockopt},
    {"cgroup/dev", P::kCgroupDevice, A::kCgroupDevice},
    {"struct_ops+", P::kStructOps, std::nullopt},
    {"struct_ops.s+", P::kStructOps, std::nullopt, kSleep},
    {"sk_lookup", P::kSkLookup, A::kSkLookup},
    {"netfilter", P::kNetfilter, A::kNetfilter},
};

// Returns the attach target ("" for none) when `name` matches `prefix` under the row rules.
std::optional<std::string_view> match_row(std::string_view prefix, std::string_view name) {
  if (prefix.ends_with('+')) {
    std::string_view word = prefix.substr(0, prefix.size() - 1);
    if (name == word) return std::string_view{};
    if (name.size() > word.size() && name.starts_with(word) && name[word.size()] == '/')
      return name.substr(word.size() + 1);
    return std::nullopt;
  }
  if (prefix.ends_with('/')) {
    if (name.starts_with(prefix)) return name.substr(prefix.size());
    return std::nullopt;
  }
  if (name == prefix) return std::string_view{};
  return std::nullopt;
}

template <size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, uint32_t v,
                         std::string_view unknown) {
  return v < N ? names[v] : unknown;
}

}  // namespace

std::string_view prog_type_name(ProgType t) {
  return name_of(kProgTypeNames, static_cast<uint32_t>(t), "unknown");
}
std::string_view attach_type_name(AttachType t) {
  return name_of(kAttachTypeNames, static_cast<uint32_t>(t), "unknown");
}
std::string_view map_type_name(MapType t) {
  return name_of(kMapTypeNames, static_cast<uint32_t>(t), "unknown");
}

std::optional<ProgType> prog_type_from_name(std::string_view name) {
  for (size_t i = 0; i < kProgTypeNames.size(); ++i)
    if (kProgTypeNames[i] == name) return static_cast<ProgType>(i);
  return std::nullopt;
}

std::optional<MapType> map_type_from_name(std::string_view name) {
  for (size_t i = 0; i < kMapTypeNames.size(); ++i)
    if (kMapTypeNames[i] == name) return static_cast<MapType>(i);
  return std::nullopt;
}

std::optional<SectionDef> classify_section(std::string_view section_name) {
  bool autoload = true;
  if (section_name.starts_with('?')) {
    autoload = false;
    section_name.remove_prefix(1);
  }
  for (const Row& r : kRows) {
    auto target = match_row(r.prefix, section_name);
    if (!target) continue;
    SectionDef d;
    d.type = r.type;
    d.attach_type = r.attach;
    d.attach_target = std::string(*target);
    d.prog_flags = r.flags;
    d.autoload = autoload;
    d.attach_btf = r.attach_btf;
    d.prefix = r.prefix;
    return d;
  }
  return std::nullopt;
}

}  // namespace bombus::loader
