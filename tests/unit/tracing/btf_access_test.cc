// The verifier on BTF-typed pointers and tracing contexts (verifier/btf_access.h), with the
// kernel's messages: loads through task_struct pointers walk vmlinux BTF (scalars, pointer
// members, arrays, bit fields), writes and out-of-struct accesses are refused, tracing ctx slots
// are typed by the target's prototype, fentry must return 0, and every BTF-typed load is marked
// probe_mem. Skips when /sys/kernel/btf/vmlinux is unavailable.
#include "verifier/btf_access.h"

#include <gtest/gtest.h>

#include <string>

#include "btf/btf.h"
#include "isa/asm.h"
#include "loader/kernel_btf.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

std::shared_ptr<const btf::Btf> vmlinux() {
  auto b = loader::system_vmlinux_btf();
  return b.ok() ? *b : nullptr;
}

// Byte offset of member `field` of struct `sname` (direct members only).
int member_off(const btf::Btf& b, const char* sname, const char* field) {
  auto id = b.find(sname, btf::Kind::kStruct);
  if (!id) return -1;
  const btf::Type t = b.type(*id);
  for (uint16_t i = 0; i < t.vlen(); ++i)
    if (t.member(i).name == field) return static_cast<int>(t.member(i).bit_offset / 8);
  return -1;
}

class BtfAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    btf_ = vmlinux();
    if (!btf_) GTEST_SKIP() << "no vmlinux BTF (/sys/kernel/btf/vmlinux)";
    pid_ = member_off(*btf_, "task_struct", "pid");
    parent_ = member_off(*btf_, "task_struct", "real_parent");
    comm_ = member_off(*btf_, "task_struct", "comm");
    ASSERT_GT(pid_, 0);
    ASSERT_GT(parent_, 0);
    ASSERT_GT(comm_, 0);
  }
  // A tracing program on tp_btf/sched_switch (ctx: preempt, prev, next, prev_state).
  Report run(const std::string& text, uapi::AttachType attach = uapi::AttachType::kTraceRawTp,
             const std::string& target = "sched_switch") {
    Program p;
    auto insns = isa::assemble(text);
    EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
    if (insns.ok()) p.insns = *insns;
    p.type = platform::ProgType::kTracing;
    p.expected_attach_type = attach;
    p.attach_target = target;
    p.gpl = true;
    auto b = btf_;
    p.kernel_btf = [b] { return b; };
    Options o;
    o.log_level = 1;
    return verify(p, o);
  }
  std::string at(int off) { return std::to_string(off); }

  std::shared_ptr<const btf::Btf> btf_;
  int pid_ = 0, parent_ = 0, comm_ = 0;
};

TEST_F(BtfAccess, TaskPidThroughTrustedArgIsScalarAndProbeMarked) {
  Report r = run("r2 = *(u64 *)(r1 +8)\nr0 = *(u32 *)(r2 +" + at(pid_) + ")\nexit\n");
  ASSERT_TRUE(r.accepted) << r.error << "\n" << r.log;
  EXPECT_NE(r.log.find("R2=trusted_ptr_task_struct()"), std::string::npos) << r.log;
  EXPECT_FALSE(r.facts[0].probe_mem);  // a ctx load
  EXPECT_TRUE(r.facts[1].probe_mem);
}

TEST_F(BtfAccess, PointerMemberGivesUntrustedPointerToPointee) {
  Report r = run("r2 = *(u64 *)(r1 +16)\nr3 = *(u64 *)(r2 +" + at(parent_) +
                 ")\nr0 = *(u32 *)(r3 +" + at(pid_) + ")\nexit\n");
  ASSERT_TRUE(r.accepted) << r.error << "\n" << r.log;
  EXPECT_NE(r.log.find("R3=untrusted_ptr_task_struct()"), std::string::npos) << r.log;
  EXPECT_TRUE(r.facts[2].probe_mem);
}

TEST_F(BtfAccess, ArrayElementsAndNarrowLoadsAreScalars) {
  Report r = run("r2 = *(u64 *)(r1 +8)\nr0 = *(u8 *)(r2 +" + at(comm_ + 3) +
                 ")\nr0 = *(u64 *)(r2 +" + at(comm_ + 8) + ")\nexit\n");
  EXPECT_TRUE(r.accepted) << r.error << "\n" << r.log;
}

TEST_F(BtfAccess, WritesAreRefused) {
  Report r = run("r2 = *(u64 *)(r1 +8)\n*(u32 *)(r2 +" + at(pid_) + ") = 1\nr0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "only read is supported");
}

TEST_F(BtfAccess, PartialPointerLoadIsRefused) {
  Report r = run("r2 = *(u64 *)(r1 +8)\nr0 = *(u32 *)(r2 +" + at(parent_) + ")\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("cannot access ptr member real_parent with moff " + at(parent_) +
                              " in struct task_struct with off " + at(parent_) + " size 4",
                          0),
            0u)
      << r.error;
}

TEST_F(BtfAccess, PastTheStructIsRefused) {
  auto size = btf_->resolve_size(*btf_->find("task_struct", btf::Kind::kStruct));
  ASSERT_TRUE(size.ok());
  Report r =
      run("r2 = *(u64 *)(r1 +8)\nr0 = *(u32 *)(r2 +" + at(static_cast<int>(*size)) + ")\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error,
            "access beyond struct task_struct at off " + at(static_cast<int>(*size)) + " size 4");
}

TEST_F(BtfAccess, ArithmeticMovesTheOffsetLoadsNeedItConstant) {
  Report r = run("r2 = *(u64 *)(r1 +8)\nr0 = *(u32 *)(r2 -4)\nexit\n");
  EXPECT_EQ(r.error, "R2 is ptr_task_struct invalid negative access: off=-4");
  r = run("r2 = *(u64 *)(r1 +8)\nr2 += " + at(pid_) + "\nr0 = *(u32 *)(r2 +0)\nexit\n");
  EXPECT_TRUE(r.accepted) << r.error;
  r =
      run("r2 = *(u64 *)(r1 +8)\nr3 = *(u64 *)(r1 +24)\nr3 &= 8\nr2 += r3\n"
          "r0 = *(u32 *)(r2 +0)\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(
      r.error.rfind("R2 is ptr_task_struct invalid variable offset: off=0, var_off=(0x0; 0x8)", 0),
      0u)
      << r.error;
}

TEST_F(BtfAccess, CtxSlotsFollowThePrototype) {
  Report r = run("r0 = *(u32 *)(r1 +4)\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("func 'sched_switch' offset 4 is not multiple of 8"), std::string::npos)
      << r.error;
  r = run("r0 = *(u64 *)(r1 +32)\nexit\n");  // 4 arguments: slot 4 does not exist
  EXPECT_NE(r.error.find("func 'sched_switch' doesn't have 5-th argument"), std::string::npos)
      << r.error;
  r = run("*(u64 *)(r1 +0) = 1\nr0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  r = run("r2 = *(u64 *)(r1 +24)\nr0 = *(u32 *)(r2 +0)\nexit\n");  // prev_state: a number
  EXPECT_EQ(r.error, "R2 invalid mem access 'scalar'");
}

TEST_F(BtfAccess, UnknownTargetIsRefused) {
  Report r = run("r0 = 0\nexit\n", uapi::AttachType::kTraceRawTp, "no_such_tracepoint_x");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("no_such_tracepoint_x"), std::string::npos);
}

TEST_F(BtfAccess, FentryMustReturnZeroAndFexitSeesTheReturnValue) {
  Report r = run("r0 = 1\nexit\n", uapi::AttachType::kTraceFentry, "wake_up_new_task");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("should have been in [0, 0]"), std::string::npos) << r.error;
  r = run("r2 = *(u64 *)(r1 +0)\nr0 = *(u32 *)(r2 +" + at(pid_) + ")\nr0 = 0\nexit\n",
          uapi::AttachType::kTraceFentry, "wake_up_new_task");
  EXPECT_TRUE(r.accepted) << r.error;
  // kernel_clone(struct kernel_clone_args *) returns pid_t: fexit reads it in slot 1.
  r = run("r0 = *(u64 *)(r1 +8)\nr0 = 0\nexit\n", uapi::AttachType::kTraceFexit, "kernel_clone");
  EXPECT_TRUE(r.accepted) << r.error;
  r = run("r0 = *(u64 *)(r1 +8)\nr0 = 0\nexit\n", uapi::AttachType::kTraceFentry, "kernel_clone");
  EXPECT_FALSE(r.accepted);
}

TEST_F(BtfAccess, StructWalkDirectly) {
  const uint32_t task = *btf_->find("task_struct", btf::Kind::kStruct);
  BtfWalk w = btf_struct_walk(*btf_, task, pid_, 4);
  EXPECT_TRUE(w.ok && !w.pointer);
  w = btf_struct_walk(*btf_, task, parent_, 8);
  ASSERT_TRUE(w.ok && w.pointer);
  EXPECT_EQ(btf_->name(w.next_id), "task_struct");
  w = btf_struct_walk(*btf_, task, pid_ + 2, 4);  // pid straddles into tgid
  EXPECT_FALSE(w.ok);
  EXPECT_EQ(w.error.rfind("access beyond the end of member pid", 0), 0u) << w.error;
}

TEST(BtfAccessNoBtf, LoadsThroughUntypedPointersAreRefusedAsBefore) {
  Program p;
  auto insns = isa::assemble("call 158\nr0 = *(u32 *)(r0 +0)\nexit\n");
  ASSERT_TRUE(insns.ok());
  p.insns = *insns;
  p.type = platform::ProgType::kSyscall;
  p.gpl = true;
  Report r = verify(p);  // no kernel_btf: nothing to walk
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R0 invalid mem access 'trusted_ptr_'");
}

}  // namespace
}  // namespace bombus::verifier
