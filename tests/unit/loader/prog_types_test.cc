// Section-name table and uapi name tables.
#include "loader/prog_types.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "platform/uapi.h"

namespace bombus::loader {
namespace {

struct Case {
  const char* sec;
  ProgType type;
  std::optional<AttachType> attach;
  const char* target;
  uint32_t flags;
};

TEST(ClassifySection, LibbpfConventions) {
  const Case cases[] = {
      {"xdp", ProgType::kXdp, AttachType::kXdp, "", 0},
      {"xdp.frags", ProgType::kXdp, AttachType::kXdp, "", kProgFlagXdpHasFrags},
      {"xdp/devmap", ProgType::kXdp, AttachType::kXdpDevmap, "", 0},
      {"tc", ProgType::kSchedCls, std::nullopt, "", 0},
      {"tc/ingress", ProgType::kSchedCls, AttachType::kTcxIngress, "", 0},
      {"tc/egress", ProgType::kSchedCls, AttachType::kTcxEgress, "", 0},
      {"tcx/ingress", ProgType::kSchedCls, AttachType::kTcxIngress, "", 0},
      {"tcx/egress", ProgType::kSchedCls, AttachType::kTcxEgress, "", 0},
      {"classifier", ProgType::kSchedCls, std::nullopt, "", 0},
      {"action", ProgType::kSchedAct, std::nullopt, "", 0},
      {"socket", ProgType::kSocketFilter, std::nullopt, "", 0},
      {"sk_skb/stream_parser", ProgType::kSkSkb, AttachType::kSkSkbStreamParser, "", 0},
      {"sk_skb/stream_verdict", ProgType::kSkSkb, AttachType::kSkSkbStreamVerdict, "", 0},
      {"sk_skb", ProgType::kSkSkb, std::nullopt, "", 0},
      {"sk_msg", ProgType::kSkMsg, AttachType::kSkMsgVerdict, "", 0},
      {"flow_dissector", ProgType::kFlowDissector, AttachType::kFlowDissector, "", 0},
      {"kprobe/do_sys_open", ProgType::kKprobe, std::nullopt, "do_sys_open", 0},
      {"kprobe", ProgType::kKprobe, std::nullopt, "", 0},
      {"kretprobe/x", ProgType::kKprobe, std::nullopt, "x", 0},
      {"ksyscall/openat", ProgType::kKprobe, std::nullopt, "openat", 0},
      {"kretsyscall/openat", ProgType::kKprobe, std::nullopt, "openat", 0},
      {"uprobe//bin/sh:main", ProgType::kKprobe, std::nullopt, "/bin/sh:main", 0},
      {"uretprobe/x", ProgType::kKprobe, std::nullopt, "x", 0},
      {"uprobe.s/x", ProgType::kKprobe, std::nullopt, "x", kProgFlagSleepable},
      {"usdt/libc:setjmp", ProgType::kKprobe, std::nullopt, "libc:setjmp", 0},
      {"kprobe.multi/do_*", ProgType::kKprobe, AttachType::kTraceKprobeMulti, "do_*", 0},
      {"tracepoint/syscalls/sys_enter_openat", ProgType::kTracepoint, std::nullopt,
       "syscalls/sys_enter_openat", 0},
      {"tp/sched/sched_switch", ProgType::kTracepoint, std::nullopt, "sched/sched_switch", 0},
      {"raw_tracepoint/sys_enter", ProgType::kRawTracepoint, std::nullopt, "sys_enter", 0},
      {"raw_tp/sys_exit", ProgType::kRawTracepoint, std::nullopt, "sys_exit", 0},
      {"raw_tp.w/x", ProgType::kRawTracepointWritable, std::nullopt, "x", 0},
      {"tp_btf/sched_switch", ProgType::kTracing, AttachType::kTraceRawTp, "sched_switch", 0},
      {"fentry/do_unlinkat", ProgType::kTracing, AttachType::kTraceFentry, "do_unlinkat", 0},
      {"fexit/do_unlinkat", ProgType::kTracing, AttachType::kTraceFexit, "do_unlinkat", 0},
      {"fmod_ret/f", ProgType::kTracing, AttachType::kModifyReturn, "f", 0},
      {"fentry.s/f", ProgType::kTracing, AttachType::kTraceFentry, "f", kProgFlagSleepable},
      {"lsm/file_open", ProgType::kLsm, AttachType::kLsmMac, "file_open", 0},
      {"lsm.s/file_open", ProgType::kLsm, AttachType::kLsmMac, "file_open", kProgFlagSleepable},
      {"iter/task", ProgType::kTracing, AttachType::kTraceIter, "task", 0},
      {"perf_event", ProgType::kPerfEvent, std::nullopt, "", 0},
      {"syscall", ProgType::kSyscall, std::nullopt, "", kProgFlagSleepable},
      {"cgroup_skb/ingress", ProgType::kCgroupSkb, AttachType::kCgroupInetIngress, "", 0},
      {"cgroup_skb/egress", ProgType::kCgroupSkb, AttachType::kCgroupInetEgress, "", 0},
      {"cgroup/skb", ProgType::kCgroupSkb, std::nullopt, "", 0},
      {"cgroup/sock", ProgType::kCgroupSock, AttachType::kCgroupInetSockCreate, "", 0},
      {"cgroup/connect4", ProgType::kCgroupSockAddr, AttachType::kCgroupInet4Connect, "", 0},
      {"cgroup/sendmsg6", ProgType::kCgroupSockAddr, AttachType::kCgroupUdp6Sendmsg, "", 0},
      {"cgroup/sysctl", ProgType::kCgroupSysctl, AttachType::kCgroupSysctl, "", 0},
      {"cgroup/getsockopt", ProgType::kCgroupSockopt, AttachType::kCgroupGetsockopt, "", 0},
      {"cgroup/dev", ProgType::kCgroupDevice, AttachType::kCgroupDevice, "", 0},
      {"struct_ops/init", ProgType::kStructOps, std::nullopt, "init", 0},
      {"sk_lookup", ProgType::kSkLookup, AttachType::kSkLookup, "", 0},
  };
  for (const Case& c : cases) {
    auto d = classify_section(c.sec);
    ASSERT_TRUE(d.has_value()) << c.sec;
    EXPECT_EQ(d->type, c.type) << c.sec;
    EXPECT_EQ(d->attach_type, c.attach) << c.sec;
    EXPECT_EQ(d->attach_target, c.target) << c.sec;
    EXPECT_EQ(d->prog_flags, c.flags) << c.sec;
    EXPECT_TRUE(d->autoload) << c.sec;
  }
}

TEST(ClassifySection, QuestionMarkDisablesAutoload) {
  auto d = classify_section("?kprobe/f");
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->autoload);
  EXPECT_EQ(d->type, ProgType::kKprobe);
  EXPECT_EQ(d->attach_target, "f");
}

TEST(ClassifySection, UnknownNames) {
  for (const char* n :
       {"", "xdpx", "xdp/foo", "kprobex/f", "tcx", "socket2", "foo/bar", ".text", "cgroup/unknown"})
    EXPECT_FALSE(classify_section(n).has_value()) << n;
}

TEST(Names, UapiValuesAndBpftoolNames) {
  EXPECT_EQ(static_cast<uint32_t>(ProgType::kXdp), 6u);
  EXPECT_EQ(static_cast<uint32_t>(ProgType::kSyscall), 31u);
  EXPECT_EQ(static_cast<uint32_t>(AttachType::kXdp), 37u);
  EXPECT_EQ(static_cast<uint32_t>(MapType::kRingbuf), 27u);
  EXPECT_EQ(prog_type_name(ProgType::kSchedCls), "sched_cls");
  EXPECT_EQ(prog_type_name(ProgType::kTracing), "tracing");
  EXPECT_EQ(prog_type_name(static_cast<ProgType>(999)), "");
  EXPECT_EQ(attach_type_name(AttachType::kTraceFentry), "trace_fentry");
  EXPECT_EQ(attach_type_name(AttachType::kTcxEgress), "tcx_egress");
  EXPECT_EQ(map_type_name(MapType::kArrayOfMaps), "array_of_maps");
  EXPECT_EQ(prog_type_from_name("sk_msg"), ProgType::kSkMsg);
  EXPECT_EQ(map_type_from_name("lru_hash"), MapType::kLruHash);
  EXPECT_EQ(map_type_from_name("nope"), MapType::kUnspec);
  EXPECT_EQ(map_type_from_name("arena"), MapType::kArena);
  // The loader's and platform's types are one type (isa/uapi_types.h).
  static_assert(std::is_same_v<MapType, platform::MapType>);
  static_assert(std::is_same_v<ProgType, platform::ProgType>);
  for (uint32_t i = 0; i <= 32; ++i)
    EXPECT_EQ(prog_type_from_name(prog_type_name(static_cast<ProgType>(i))),
              static_cast<ProgType>(i));
}

}  // namespace
}  // namespace bombus::loader
