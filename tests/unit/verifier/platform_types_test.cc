// Program types with a field-list context: cgroup_skb, lwt_in/out/xmit, cgroup_sock and sk_skb
// (added after the first nine), and the older sched_cls/act, socket_filter and xdp. Their ctx
// rules are checked two ways: against the running kernel (every aligned 1/2/4/8-byte read and
// write of the ctx struct loaded as a one-access program, which the kernel accepts exactly when
// check_ctx_access does; skipped without bpf()), and through the verifier on what differs
// between the types (packet pointers read-only or writable, socket fields, return-value range,
// LD_ABS, cgroup storage through bpf_get_local_storage). cgroup_sock's helper list is checked
// here too, as it needs an attach type to load.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <string>
#include <vector>

#include "isa/asm.h"
#include "kernel_probe.h"
#include "platform/ctx_structs.h"
#include "platform/helper_protos.h"
#include "platform/program_types.h"
#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

using platform::MapType;
using platform::ProgType;

constexpr ProgType kSkbTypes[] = {ProgType::kCgroupSkb, ProgType::kLwtIn, ProgType::kLwtOut,
                                  ProgType::kLwtXmit};
constexpr ProgType kCtxTypes[] = {
    ProgType::kCgroupSkb,    ProgType::kLwtIn, ProgType::kLwtOut,   ProgType::kLwtXmit,
    ProgType::kCgroupSock,   ProgType::kSkSkb, ProgType::kSchedCls, ProgType::kSchedAct,
    ProgType::kSocketFilter, ProgType::kXdp};

// The kernel wants an attach type for cgroup_sock (the table's default view is sock_create).
// bombus's xdp table includes egress_ifindex, which the kernel shows only to devmap programs.
platform::AttachType attach_for(ProgType t) {
  if (t == ProgType::kCgroupSock) return platform::AttachType::kCgroupInetSockCreate;
  if (t == ProgType::kXdp) return platform::AttachType::kXdpDevmap;
  return {};
}

int kernel_ctx_access(ProgType t, int16_t off, uint32_t size, bool write) {
  return kernel_probe::ctx_access(t, attach_for(t), off, size, write);
}

int kernel_allows(ProgType t, int id) {
  return kernel_probe::helper_allowed(t, attach_for(t), id);
}

TEST(PlatformTypes, CtxAccessMatchesTheKernel) {
  if (kernel_ctx_access(ProgType::kCgroupSkb, 0, 4, false) != 1)
    GTEST_SKIP() << "bpf() prog load of cgroup_skb not permitted here";
  int compared = 0;
  for (ProgType t : kCtxTypes) {
    const platform::ProgTypeInfo* info = platform::prog_type_info(t);
    ASSERT_NE(info, nullptr) << static_cast<int>(t);
    for (uint32_t size : {1u, 2u, 4u, 8u}) {
      for (uint32_t off = 0; off < info->ctx_size + 8; off += size) {
        for (bool write : {false, true}) {
          int k = kernel_ctx_access(t, static_cast<int16_t>(off), size, write);
          if (k < 0) continue;
          ++compared;
          EXPECT_EQ(platform::check_ctx_access(*info, off, size, write).ok(), k == 1)
              << info->name << (write ? " write" : " read") << " off=" << off << " size=" << size;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
}

// The cgroup_sock helper list (PlatformHelpers.AvailabilityMatchesTheKernel cannot load that
// type without an attach type).
TEST(PlatformTypes, CgroupSockHelpersMatchTheKernel) {
  if (kernel_allows(ProgType::kCgroupSock, 1) != 1)
    GTEST_SKIP() << "bpf() prog load of cgroup_sock not permitted here";
  for (int id = 1; id < platform::kNumHelperIds; ++id) {
    int k = kernel_allows(ProgType::kCgroupSock, id);
    if (k >= 0) EXPECT_EQ(platform::helper_allowed(ProgType::kCgroupSock, id), k == 1) << id;
  }
}

Report run(ProgType t, std::string_view text, std::vector<MapInfo> maps = {}) {
  return test_support::verify_asm(t, text, std::move(maps));
}

// Reads the first packet byte after a bounds check, then stores `store` into it (if not empty).
std::string packet_prog(std::string_view store) {
  return std::string(
             "r2 = *(u32 *)(r1 +76)\n"
             "r3 = *(u32 *)(r1 +80)\n"
             "r4 = r2\n"
             "r4 += 1\n"
             "if r4 > r3 goto +2\n"
             "r5 = *(u8 *)(r2 +0)\n") +
         std::string(store.empty() ? "r5 = 0\n" : store) +
         "r0 = 1\n"
         "exit\n";
}

TEST(PlatformTypes, PacketDataIsWritableOnlyForLwtXmit) {
  for (ProgType t : kSkbTypes) {
    Report r = run(t, packet_prog(""));
    EXPECT_TRUE(r.accepted) << static_cast<int>(t) << ": " << r.error;
    r = run(t, packet_prog("*(u8 *)(r2 +0) = r5\n"));
    if (t == ProgType::kLwtXmit) {
      EXPECT_TRUE(r.accepted) << r.error;
    } else {
      EXPECT_FALSE(r.accepted) << static_cast<int>(t);
      EXPECT_EQ(r.error, "cannot write into packet");
    }
  }
}

TEST(PlatformTypes, SocketFieldsOnlyForCgroupSkb) {
  const char* family = "r0 = *(u32 *)(r1 +88)\nr0 = 0\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSkb, family).accepted);
  Report r = run(ProgType::kLwtIn, family);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "invalid bpf_context access off=88 size=4");
  // tc_classid is tc's alone; mark is writable in both, queue_mapping in neither.
  EXPECT_FALSE(run(ProgType::kCgroupSkb, "r0 = *(u32 *)(r1 +72)\nr0 = 0\nexit\n").accepted);
  EXPECT_TRUE(run(ProgType::kLwtOut, "r2 = 1\n*(u32 *)(r1 +8) = r2\nr0 = 0\nexit\n").accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSkb, "r2 = 1\n*(u32 *)(r1 +12) = r2\nr0 = 0\nexit\n").accepted);
}

TEST(PlatformTypes, CgroupSkbReturnsZeroOrOne) {
  Report r = run(ProgType::kCgroupSkb, "r0 = 2\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("should have been in [0, 1]"), std::string::npos) << r.error;
  EXPECT_TRUE(run(ProgType::kCgroupSkb, "r0 = 1\nexit\n").accepted);
  EXPECT_TRUE(run(ProgType::kLwtXmit, "r0 = 2\nexit\n").accepted);  // BPF_LWT_REROUTE
}

TEST(PlatformTypes, NoLdAbsOutsideSocketFilterAndTc) {
  Report r = run(ProgType::kCgroupSkb, "r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_TRUE(run(ProgType::kSchedCls, "r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit\n").accepted);
}

TEST(PlatformTypes, CgroupStorageThroughGetLocalStorage) {
  EXPECT_TRUE(platform::helper_allowed(ProgType::kCgroupSkb, 81));
  EXPECT_FALSE(platform::helper_allowed(ProgType::kLwtIn, 81));
  EXPECT_TRUE(platform::helper_allowed(ProgType::kLwtIn, 73));  // lwt_push_encap
  EXPECT_FALSE(platform::helper_allowed(ProgType::kLwtOut, 73));
  MapInfo m;
  m.type = MapType::kCgroupStorage;
  m.key_size = 16;
  m.value_size = 8;
  const char* body =
      "r1 = map[idx:0]\n"
      "r2 = 0\n"
      "call 81\n"
      "r1 = *(u64 *)(r0 +0)\n"
      "r0 = 0\n"
      "exit\n";
  Report r = run(ProgType::kCgroupSkb, body, {m});
  EXPECT_TRUE(r.accepted) << r.error;
  std::string past_end = body;
  past_end.replace(past_end.find("(r0 +0)"), 7, "(r0 +8)");
  r = run(ProgType::kCgroupSkb, past_end, {m});
  EXPECT_FALSE(r.accepted);
  std::string flags = body;
  flags.replace(flags.find("r2 = 0"), 6, "r2 = 1");
  r = run(ProgType::kCgroupSkb, flags, {m});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "get_local_storage() doesn't support non-zero flags");
}

TEST(PlatformTypes, SectionNames) {
  EXPECT_EQ(platform::prog_type_from_section("cgroup/skb"), ProgType::kCgroupSkb);
  EXPECT_EQ(platform::prog_type_from_section("cgroup_skb/egress"), ProgType::kCgroupSkb);
  EXPECT_EQ(platform::prog_type_from_section("lwt_xmit"), ProgType::kLwtXmit);
  EXPECT_EQ(platform::prog_type_by_name("lwt_in")->type, ProgType::kLwtIn);
  EXPECT_EQ(platform::prog_type_from_section("cgroup/post_bind4"), ProgType::kCgroupSock);
}

}  // namespace
}  // namespace bombus::verifier
