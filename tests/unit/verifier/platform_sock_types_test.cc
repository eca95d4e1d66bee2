// The attach type and the socket-level program types (cgroup_sock_addr, sk_msg, sock_ops,
// cgroup_sockopt, and cgroup_sock's post_bind views). Checked against the running kernel per
// (type, attach type): every aligned 1/2/4/8-byte read and write of the ctx struct, the helper
// list (on the kernel the table describes) and the return range, each loaded as a tiny program
// (skipped without bpf()); then through the verifier on what the attach type changes.
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/utsname.h>

#include <string>
#include <vector>

#include "kernel_probe.h"
#include "platform/helper_protos.h"
#include "platform/program_types.h"
#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

using platform::AttachType;
using platform::ProgType;
using A = AttachType;

struct Combo {
  ProgType type;
  AttachType attach;
};

constexpr Combo kCombos[] = {
    {ProgType::kCgroupSockAddr, A::kCgroupInet4Bind},
    {ProgType::kCgroupSockAddr, A::kCgroupInet6Bind},
    {ProgType::kCgroupSockAddr, A::kCgroupInet4Connect},
    {ProgType::kCgroupSockAddr, A::kCgroupInet6Connect},
    {ProgType::kCgroupSockAddr, A::kCgroupUdp4Sendmsg},
    {ProgType::kCgroupSockAddr, A::kCgroupUdp6Sendmsg},
    {ProgType::kCgroupSockAddr, A::kCgroupUdp4Recvmsg},
    {ProgType::kCgroupSockAddr, A::kCgroupUdp6Recvmsg},
    {ProgType::kCgroupSockAddr, A::kCgroupInet4Getpeername},
    {ProgType::kCgroupSockAddr, A::kCgroupInet6Getpeername},
    {ProgType::kCgroupSockAddr, A::kCgroupInet4Getsockname},
    {ProgType::kCgroupSockAddr, A::kCgroupInet6Getsockname},
    {ProgType::kSkMsg, A::kSkMsgVerdict},
    {ProgType::kSockOps, A::kCgroupSockOps},
    {ProgType::kCgroupSockopt, A::kCgroupGetsockopt},
    {ProgType::kCgroupSockopt, A::kCgroupSetsockopt},
    {ProgType::kCgroupSock, A::kCgroupInetSockCreate},
    {ProgType::kCgroupSock, A::kCgroupInetSockRelease},
    {ProgType::kCgroupSock, A::kCgroupInet4PostBind},
    {ProgType::kCgroupSock, A::kCgroupInet6PostBind},
    {ProgType::kCgroupSysctl, A::kCgroupSysctl},
    {ProgType::kSkReuseport, A::kSkReuseportSelect},
    {ProgType::kSkReuseport, A::kSkReuseportSelectOrMigrate},
    {ProgType::kCgroupSkb, A::kCgroupInetIngress},
    {ProgType::kCgroupSkb, A::kCgroupInetEgress},
};

std::string what(const Combo& c) {
  return std::string(platform::prog_type_info(c.type)->name) + "/" +
         std::string(uapi::attach_type_name(c.attach));
}

int kernel_load(const Combo& c, const bpf_insn* insns, uint32_t n) {
  return kernel_probe::load(c.type, c.attach, insns, n);
}

bool kernel_available() {
  bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  return kernel_load(kCombos[0], insns, 2) == 1;
}

TEST(PlatformSockTypes, CtxAccessMatchesTheKernel) {
  if (!kernel_available()) GTEST_SKIP() << "bpf() prog load of cgroup_sock_addr not permitted here";
  int compared = 0;
  for (const Combo& c : kCombos) {
    const platform::ProgTypeInfo* info = platform::prog_type_info(c.type);
    ASSERT_NE(info, nullptr);
    for (uint32_t size : {1u, 2u, 4u, 8u}) {
      for (uint32_t off = 0; off < info->ctx_size + 8; off += size) {
        for (bool write : {false, true}) {
          int k =
              kernel_probe::ctx_access(c.type, c.attach, static_cast<int16_t>(off), size, write);
          if (k < 0) continue;
          ++compared;
          EXPECT_EQ(platform::check_ctx_access(*info, off, size, write, c.attach).ok(), k == 1)
              << what(c) << (write ? " write" : " read") << " off=" << off << " size=" << size;
        }
      }
    }
  }
  EXPECT_GT(compared, 5000);
}

TEST(PlatformSockTypes, ReturnRangeMatchesTheKernel) {
  if (!kernel_available()) GTEST_SKIP() << "bpf() prog load of cgroup_sock_addr not permitted here";
  for (const Combo& c : kCombos) {
    auto range = platform::return_range(c.type, c.attach);
    for (int32_t v = -1; v <= 4; ++v) {
      bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, v},
                          {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
      int k = kernel_load(c, insns, 2);
      ASSERT_GE(k, 0) << what(c);
      bool ours = !range || (v >= range->lo && v <= range->hi);
      EXPECT_EQ(ours, k == 1) << what(c) << " r0=" << v;
    }
  }
}

TEST(PlatformSockTypes, HelpersMatchTheKernel) {
  utsname u{};
  uname(&u);
  if (std::string(u.release).rfind("6.18.", 0) != 0)
    GTEST_SKIP() << "the helper lists describe Linux 6.18, this is " << u.release;
  if (!kernel_available()) GTEST_SKIP() << "bpf() prog load of cgroup_sock_addr not permitted here";
  for (const Combo& c : kCombos) {
    if (c.type == ProgType::kCgroupSkb) continue;  // PlatformHelpers covers it
    for (int id = 1; id < platform::kNumHelperIds; ++id) {
      int k = kernel_probe::helper_allowed(c.type, c.attach, id);
      if (k < 0) continue;
      bool allowed = k == 1;
      EXPECT_EQ(platform::helper_allowed(c.type, id, c.attach), allowed) << what(c) << " #" << id;
    }
  }
}

Report run(ProgType t, AttachType attach, std::string_view text) {
  Program p = test_support::assemble_program(t, text);
  p.expected_attach_type = attach;
  return verify(p, {});
}

TEST(PlatformSockTypes, ReturnRangeFollowsTheAttachType) {
  Report r = run(ProgType::kCgroupSkb, A::kCgroupInetEgress, "r0 = 3\nexit\n");
  EXPECT_TRUE(r.accepted) << r.error;
  r = run(ProgType::kCgroupSkb, A::kCgroupInetIngress, "r0 = 3\nexit\n");
  EXPECT_EQ(r.error,
            "At program exit the register R0 has smin=3 smax=3 should have been in [0, 1]");
  EXPECT_TRUE(run(ProgType::kCgroupSockAddr, A::kCgroupInet4Bind, "r0 = 3\nexit\n").accepted);
  r = run(ProgType::kCgroupSockAddr, A::kCgroupInet6Bind, "r0 = 4\nexit\n");
  EXPECT_EQ(r.error,
            "At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]");
  r = run(ProgType::kCgroupSockAddr, A::kCgroupUdp4Recvmsg, "r0 = 0\nexit\n");
  EXPECT_EQ(r.error,
            "At program exit the register R0 has smin=0 smax=0 should have been in [1, 1]");
  EXPECT_FALSE(run(ProgType::kCgroupSockAddr, A::kCgroupInet4Connect, "r0 = 2\nexit\n").accepted);
  EXPECT_TRUE(run(ProgType::kSkMsg, A::kSkMsgVerdict, "r0 = 7\nexit\n").accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSockopt, A::kCgroupGetsockopt, "r0 = 2\nexit\n").accepted);
}

TEST(PlatformSockTypes, MissingAttachTypeIsAClearError) {
  Report r = run(ProgType::kCgroupSockAddr, AttachType{}, "r0 = 1\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("cgroup_sock_addr program needs its attach type"), std::string::npos)
      << r.error;
  r = run(ProgType::kCgroupSockopt, A::kCgroupInet4Bind, "r0 = 1\nexit\n");
  EXPECT_NE(r.error.find("neither getsockopt nor setsockopt"), std::string::npos) << r.error;
  // cgroup_sock without one is sock_create, as in the kernel: bound_dev_if is writable.
  EXPECT_TRUE(
      run(ProgType::kCgroupSock, AttachType{}, "r2 = 1\n*(u32 *)(r1 +0) = r2\nr0 = 1\nexit\n")
          .accepted);
}

TEST(PlatformSockTypes, FieldsFollowTheAttachType) {
  const char* user_ip4 = "r0 = *(u8 *)(r1 +5)\nr0 = 1\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSockAddr, A::kCgroupInet4Connect, user_ip4).accepted);
  Report r = run(ProgType::kCgroupSockAddr, A::kCgroupInet6Connect, user_ip4);
  EXPECT_EQ(r.error, "invalid bpf_context access off=5 size=1");
  const char* user_ip6_u64 = "r2 = 0\n*(u64 *)(r1 +16) = r2\nr0 = 1\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSockAddr, A::kCgroupInet6Bind, user_ip6_u64).accepted);
  const char* msg_src = "r2 = 0\n*(u32 *)(r1 +40) = r2\nr0 = 1\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSockAddr, A::kCgroupUdp4Sendmsg, msg_src).accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSockAddr, A::kCgroupInet4Connect, msg_src).accepted);
  // post_bind4 reads src_ip4 / src_port but cannot touch bound_dev_if.
  const char* src_ip4 = "r0 = *(u16 *)(r1 +24)\nr0 = *(u32 *)(r1 +44)\nr0 = 1\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSock, A::kCgroupInet4PostBind, src_ip4).accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSock, A::kCgroupInetSockCreate, src_ip4).accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSock, A::kCgroupInet4PostBind,
                   "r2 = 1\n*(u32 *)(r1 +0) = r2\nr0 = 1\nexit\n")
                   .accepted);
  // sockopt: retval only for getsockopt, level writable only for setsockopt.
  const char* retval = "r0 = *(u32 *)(r1 +36)\nr0 = 1\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSockopt, A::kCgroupGetsockopt, retval).accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSockopt, A::kCgroupSetsockopt, retval).accepted);
  const char* level = "r2 = 1\n*(u32 *)(r1 +24) = r2\nr0 = 1\nexit\n";
  EXPECT_TRUE(run(ProgType::kCgroupSockopt, A::kCgroupSetsockopt, level).accepted);
  EXPECT_FALSE(run(ProgType::kCgroupSockopt, A::kCgroupGetsockopt, level).accepted);
}

TEST(PlatformSockTypes, PacketAccess) {
  // sk_msg: data/data_end are 8-byte pointers; the payload may be written after a bounds check.
  const char* prog =
      "r2 = *(u64 *)(r1 +0)\n"
      "r3 = *(u64 *)(r1 +8)\n"
      "r4 = r2\n"
      "r4 += 1\n"
      "if r4 > r3 goto +1\n"
      "*(u8 *)(r2 +0) = r4\n"
      "r0 = 1\n"
      "exit\n";
  EXPECT_TRUE(run(ProgType::kSkMsg, A::kSkMsgVerdict, prog).accepted);
  std::string sockopt = prog;  // optval / optval_end
  sockopt.replace(sockopt.find("+0)"), 3, "+8)");
  sockopt.replace(sockopt.find("+8)\nr4"), 3, "+16)");
  EXPECT_TRUE(run(ProgType::kCgroupSockopt, A::kCgroupGetsockopt, sockopt).accepted);
  // sock_ops: the TCP header (skb_data at 192) is read-only.
  std::string ops = prog;
  ops.replace(ops.find("+0)"), 3, "+192)");
  ops.replace(ops.find("+8)\nr4"), 3, "+200)");
  Report r = run(ProgType::kSockOps, A::kCgroupSockOps, ops);
  EXPECT_EQ(r.error, "cannot write into packet");
  // Without the bounds check the read is refused.
  r = run(ProgType::kSkMsg, A::kSkMsgVerdict,
          "r2 = *(u64 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nr0 = 1\nexit\n");
  EXPECT_FALSE(r.accepted);
}

TEST(PlatformSockTypes, HelpersFollowTheAttachType) {
  EXPECT_TRUE(platform::helper_allowed(ProgType::kCgroupSockAddr, 64, A::kCgroupInet4Connect));
  EXPECT_FALSE(platform::helper_allowed(ProgType::kCgroupSockAddr, 64, A::kCgroupInet4Bind));
  EXPECT_TRUE(platform::helper_allowed(ProgType::kCgroupSockopt, 49, A::kCgroupSetsockopt));
  EXPECT_FALSE(platform::helper_allowed(ProgType::kCgroupSockopt, 49, A::kCgroupGetsockopt));
  EXPECT_TRUE(platform::helper_allowed(ProgType::kSkMsg, 61, A::kSkMsgVerdict));
  Report r = run(ProgType::kCgroupSockopt, A::kCgroupGetsockopt,
                 "r2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall 49\nr0 = 1\nexit\n");
  EXPECT_EQ(r.error, "program of this type cannot use helper bpf_setsockopt#49");
}

// bpf_strtoul's result pointer (ARG_PTR_TO_LONG) must be 8-byte aligned, as the kernel checks
// (verifier_int_ptr's arg_ptr_to_long_misaligned under cgroup/sysctl).
TEST(PlatformSockTypes, LongArgumentMustBeAligned) {
  // The result pointer at fp-20 (misaligned) or fp-24; its 8 bytes are written before the call.
  auto prog = [](const char* res) {
    return std::string(
               "r7 = r10\n"
               "r7 += -8\n"
               "r0 = 0x00303036\n"
               "*(u64 *)(r7 +0) = r0\n"
               "r1 = r7\n"
               "r2 = 4\n"
               "r3 = 0\n"
               "r0 = 0\n"
               "*(u64 *)(r10 -24) = r0\n"
               "*(u64 *)(r10 -16) = r0\n"
               "r4 = r10\n") +
           res + "call 106\nr0 = 1\nexit\n";
  };
  Report r = run(ProgType::kCgroupSysctl, A::kCgroupSysctl, prog("r4 += -20\n"));
  EXPECT_EQ(r.error, "misaligned stack access off 0+-20+0 size 8");
  r = run(ProgType::kCgroupSysctl, A::kCgroupSysctl, prog("r4 += -24\n"));
  EXPECT_TRUE(r.accepted) << r.error;
}

TEST(PlatformSockTypes, SectionNames) {
  EXPECT_EQ(platform::prog_type_from_section("cgroup/connect4"), ProgType::kCgroupSockAddr);
  EXPECT_EQ(platform::prog_type_from_section("cgroup/getsockname6"), ProgType::kCgroupSockAddr);
  EXPECT_EQ(platform::prog_type_from_section("cgroup/connect_unix"), std::nullopt);
  EXPECT_EQ(platform::prog_type_from_section("sk_msg"), ProgType::kSkMsg);
  EXPECT_EQ(platform::prog_type_from_section("sockops"), ProgType::kSockOps);
  EXPECT_EQ(platform::prog_type_from_section("cgroup/setsockopt"), ProgType::kCgroupSockopt);
  EXPECT_EQ(platform::prog_type_from_section("cgroup/sysctl"), ProgType::kCgroupSysctl);
  EXPECT_EQ(platform::prog_type_from_section("sk_reuseport/migrate"), ProgType::kSkReuseport);
  EXPECT_EQ(platform::prog_type_by_name("cgroup_sock_addr")->type, ProgType::kCgroupSockAddr);
}

}  // namespace
}  // namespace bombus::verifier
