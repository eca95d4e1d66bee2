// The section-name table (libbpf's SEC() conventions, as documented in libbpf's "Program types
// and ELF sections" page). The uapi enums and their names are in isa/uapi_types.h.
#include "loader/prog_types.h"

#include <array>

namespace bombus::loader {

namespace {

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

}  // namespace

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
