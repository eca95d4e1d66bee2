// Helper availability per program type and helper-argument rules from src/platform, checked two
// ways: against the running kernel (a one-call program per (type, helper id), refused with
// "program of this type cannot use helper" exactly when the table says no; skipped without
// bpf() or on a kernel other than the one the table describes) and through the verifier on the
// cases the kernel selftests found (packet access flag, sockmap updates per program type,
// socket pointers for sockmap values, sk_storage maps, references through casts).
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/utsname.h>

#include <cstring>
#include <string>
#include <vector>

#include "isa/asm.h"
#include "kernel_probe.h"
#include "platform/helper_protos.h"
#include "platform/program_types.h"
#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

using platform::MapType;
using platform::ProgType;

// The kernel the allow-lists were measured on (platform/program_types.cc).
constexpr const char* kTableKernel = "6.18";

// 1 allowed, 0 refused as unavailable, -1 could not ask the kernel.
int kernel_allows(ProgType t, int id) {
  return kernel_probe::helper_allowed(t, {}, id, t == ProgType::kSyscall ? BPF_F_SLEEPABLE : 0);
}

TEST(PlatformHelpers, AvailabilityMatchesTheKernel) {
  utsname u{};
  uname(&u);
  const std::string release = u.release;
  if (release.rfind(kTableKernel, 0) != 0 ||
      (release.size() > 4 && std::isdigit(static_cast<unsigned char>(release[4]))))
    GTEST_SKIP() << "the table describes Linux " << kTableKernel << ", this is " << release;
  if (kernel_allows(ProgType::kXdp, 1) < 0) GTEST_SKIP() << "bpf() prog load not permitted here";
  int compared = 0;
  for (const auto& info : platform::supported_prog_types()) {
    for (int id = 1; id < platform::kNumHelperIds; ++id) {
      int k = kernel_allows(info.type, id);
      if (k < 0) continue;
      ++compared;
      EXPECT_EQ(platform::helper_allowed(info.type, id), k == 1)
          << info.name << " helper " << platform::helper_proto(id)->name << "#" << id;
    }
  }
  EXPECT_GT(compared, 1000);
}

TEST(PlatformHelpers, TracingTypesHaveNoCoarseClock) {
  for (ProgType t : {ProgType::kKprobe, ProgType::kTracepoint, ProgType::kPerfEvent,
                     ProgType::kRawTracepoint, ProgType::kSyscall})
    EXPECT_FALSE(platform::helper_allowed(t, 160)) << static_cast<int>(t);
  for (ProgType t : {ProgType::kSocketFilter, ProgType::kSchedCls, ProgType::kXdp})
    EXPECT_TRUE(platform::helper_allowed(t, 160)) << static_cast<int>(t);
  // get_current_task_btf is in every type's base set; skb helpers stay with skb programs.
  EXPECT_TRUE(platform::helper_allowed(ProgType::kKprobe, 158));
  EXPECT_TRUE(platform::helper_allowed(ProgType::kXdp, 158));
  EXPECT_FALSE(platform::helper_allowed(ProgType::kXdp, 9));
  EXPECT_FALSE(platform::helper_allowed(ProgType::kCgroupDevice, 1));  // no table: refused
}

TEST(PlatformHelpers, MapCompatibilityDependsOnProgramType) {
  EXPECT_TRUE(platform::helper_accepts_map(3, MapType::kSockmap, ProgType::kSchedCls));
  EXPECT_TRUE(platform::helper_accepts_map(2, MapType::kSockhash, ProgType::kXdp));
  EXPECT_FALSE(platform::helper_accepts_map(3, MapType::kSockmap, ProgType::kRawTracepoint));
  EXPECT_FALSE(platform::helper_accepts_map(2, MapType::kSockmap, ProgType::kSockOps));
  EXPECT_TRUE(platform::helper_accepts_map(3, MapType::kSockmap, ProgType::kSockOps));
  EXPECT_TRUE(platform::helper_accepts_map(1, MapType::kSockmap, ProgType::kKprobe));
  EXPECT_FALSE(platform::helper_accepts_map(1, MapType::kSkStorage, ProgType::kSchedCls));
  EXPECT_TRUE(platform::helper_accepts_map(107, MapType::kSkStorage, ProgType::kSchedCls));
  EXPECT_FALSE(platform::helper_accepts_map(107, MapType::kHash, ProgType::kSchedCls));
  EXPECT_FALSE(platform::helper_accepts_map(1, MapType::kCgroupStorage));
}

Report run(ProgType t, std::string_view text, std::vector<MapInfo> maps = {}) {
  return test_support::verify_asm(t, text, std::move(maps));
}

MapInfo map(MapType t, uint32_t value_size = 4) {
  MapInfo m;
  m.type = t;
  m.key_size = 4;
  m.value_size = value_size;
  return m;
}

TEST(PlatformHelpers, PacketMemoryOnlyForHelpersMadeForIt) {
  // skb_load_bytes into the packet itself: the helper has no packet access.
  const char* body =
      "r6 = *(u32 *)(r1 +76)\n"
      "r7 = *(u32 *)(r1 +80)\n"
      "r3 = r6\n"
      "r6 += 8\n"
      "if r6 > r7 goto +3\n"
      "r2 = 0\n"
      "r4 = 4\n"
      "call 26\n"
      "r0 = 0\n"
      "exit\n";
  Report r = run(ProgType::kSchedCls, body);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "helper access to the packet is not allowed");
  // map_lookup_elem may read its key from the packet.
  r = run(ProgType::kXdp,
          "r2 = *(u32 *)(r1 +0)\n"
          "r3 = *(u32 *)(r1 +4)\n"
          "r4 = r2\n"
          "r4 += 4\n"
          "if r4 > r3 goto +3\n"
          "r1 = map[idx:0]\n"
          "call 1\n"
          "r0 = 0\n"
          "exit\n",
          {map(MapType::kHash)});
  EXPECT_TRUE(r.accepted) << r.error;
}

// delete(sockmap, &zero) from a program type: allowed where no locked socket can be held.
Report sockmap_delete(ProgType t) {
  return run(t,
             "r1 = 0\n"
             "*(u32 *)(r10 -4) = r1\n"
             "r2 = r10\n"
             "r2 += -4\n"
             "r1 = map[idx:0]\n"
             "call 3\n"
             "r0 = 0\n"
             "exit\n",
             {map(MapType::kSockmap)});
}

TEST(PlatformHelpers, SockmapUpdatesDependOnProgramType) {
  EXPECT_TRUE(sockmap_delete(ProgType::kSchedCls).accepted);
  EXPECT_TRUE(sockmap_delete(ProgType::kXdp).accepted);
  Report r = sockmap_delete(ProgType::kRawTracepoint);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "cannot pass map_type 15 into func bpf_map_delete_elem#3");
}

TEST(PlatformHelpers, SockmapValuesAreSockets) {
  // update(sockmap, &zero, skb->sk, 0) after a NULL check of skb->sk.
  const char* update =
      "r3 = *(u64 *)(r1 +168)\n"
      "if r3 == 0 goto +8\n"
      "r1 = 0\n"
      "*(u32 *)(r10 -4) = r1\n"
      "r2 = r10\n"
      "r2 += -4\n"
      "r1 = map[idx:0]\n"
      "r4 = 0\n"
      "call 2\n"
      "r0 = 0\n"
      "exit\n";
  Report r = run(ProgType::kSchedCls, update, {map(MapType::kSockmap)});
  EXPECT_TRUE(r.accepted) << r.error;
  // Without the NULL check the socket may be NULL.
  std::string no_check = update;
  no_check.replace(no_check.find("if r3 == 0 goto +8\n"), 19, "");
  r = run(ProgType::kSchedCls, no_check, {map(MapType::kSockmap)});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("R3 type=sock_common_or_null expected=sock_common", 0), 0u) << r.error;
}

TEST(PlatformHelpers, SockmapLookupIsAReference) {
  // lookup(sockmap) returns a referenced socket: released, fine; leaked, refused.
  const char* body =
      "r1 = 0\n"
      "*(u32 *)(r10 -4) = r1\n"
      "r2 = r10\n"
      "r2 += -4\n"
      "r1 = map[idx:0]\n"
      "call 1\n"
      "if r0 == 0 goto +2\n"
      "r1 = r0\n"
      "call 86\n"
      "r0 = 2\n"
      "exit\n";
  EXPECT_TRUE(run(ProgType::kXdp, body, {map(MapType::kSockmap)}).accepted);
  std::string leak = body;
  leak.replace(leak.find("r1 = r0\ncall 86\n"), 16, "r0 = 0\nr0 = 0\n");
  Report r = run(ProgType::kXdp, leak, {map(MapType::kSockmap)});
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("Unreleased reference"), std::string::npos) << r.error;
}

TEST(PlatformHelpers, CastsShareTheReferenceOfTheirArgument) {
  // sk_release(sk_fullsock(skb->sk)): skb->sk holds no reference, so neither does the cast.
  Report r = run(ProgType::kSchedCls,
                 "r1 = *(u64 *)(r1 +168)\n"
                 "if r1 != 0 goto +2\n"
                 "r0 = 0\n"
                 "exit\n"
                 "call 95\n"
                 "if r0 != 0 goto +1\n"
                 "exit\n"
                 "r1 = r0\n"
                 "call 86\n"
                 "r0 = 1\n"
                 "exit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R1 must be referenced when passed to release function");
}

TEST(PlatformHelpers, SkStorageTakesSocketsAndOnlyItsOwnHelpers) {
  const char* get =
      "r1 = *(u64 *)(r1 +168)\n"
      "if r1 != 0 goto +2\n"
      "r0 = 0\n"
      "exit\n"
      "call 95\n"
      "if r0 != 0 goto +2\n"
      "r0 = 0\n"
      "exit\n"
      "r4 = 0\n"
      "r3 = 0\n"
      "r2 = r0\n"
      "r1 = map[idx:0]\n"
      "call 107\n"
      "r0 = 0\n"
      "exit\n";
  EXPECT_TRUE(run(ProgType::kSchedCls, get, {map(MapType::kSkStorage)}).accepted);
  Report r = run(ProgType::kSchedCls,
                 "r1 = 0\n"
                 "*(u32 *)(r10 -4) = r1\n"
                 "r2 = r10\n"
                 "r2 += -4\n"
                 "r1 = map[idx:0]\n"
                 "call 1\n"
                 "r0 = 0\n"
                 "exit\n",
                 {map(MapType::kSkStorage)});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "cannot pass map_type 24 into func bpf_map_lookup_elem#1");
}

TEST(PlatformHelpers, UnavailableAndUnmodelledHelpersAreToldApart) {
  Report r = run(ProgType::kKprobe, "call 160\nr0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "program of this type cannot use helper bpf_ktime_get_coarse_ns#160");
  // The kernel offers sys_bpf to syscall programs; bombus has no prototype for it.
  r = run(ProgType::kSyscall, "call 166\nr0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "helper bpf_sys_bpf#166 is not supported by bombus");
}

}  // namespace
}  // namespace bombus::verifier
