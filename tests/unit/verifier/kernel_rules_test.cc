// Rules the kernel enforces that bombus once let through (each found by the kernel selftests):
// no subtraction from the stack pointer, metadata bounded only by the untouched data pointer and
// never by an offset past the largest packet, ctx compared with 0 explored both ways, and
// aligned atomics.
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

Report verify_text(std::string_view text, std::vector<MapInfo> maps = {}) {
  Program p;
  auto insns = isa::assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
  if (insns.ok()) p.insns = *insns;
  p.type = platform::ProgType::kXdp;
  p.maps = std::move(maps);
  return verify(p, {});
}

TEST(KernelRules, NoSubtractionFromTheStackPointer) {
  Report r = verify_text("r1 = r10\nr1 -= 8\n*(u64 *)(r1 +0) = 0\nr0 = 2\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R1 subtraction from stack pointer prohibited");
  // The same address through an added negative constant is fine.
  EXPECT_TRUE(verify_text("r1 = r10\nr1 += -8\n*(u64 *)(r1 +0) = 0\nr0 = 2\nexit\n").accepted);
}

TEST(KernelRules, MetadataBoundedOnlyByTheDataStart) {
  // meta + 8 <= data + 8 says nothing about meta's first byte.
  Report r = verify_text(
      "r2 = *(u32 *)(r1 +8)\n"  // data_meta
      "r3 = *(u32 *)(r1 +0)\n"  // data
      "r0 = r3\n"
      "r0 += 8\n"
      "r4 = r2\n"
      "r4 += 8\n"
      "if r4 > r0 goto +1\n"
      "r0 = *(u8 *)(r2 +0)\n"
      "r0 = 0\n"
      "exit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("invalid access to packet", 0), 0u) << r.error;
  // meta + 8 <= data proves 8 bytes.
  r = verify_text(
      "r2 = *(u32 *)(r1 +8)\n"
      "r3 = *(u32 *)(r1 +0)\n"
      "r4 = r2\n"
      "r4 += 8\n"
      "if r4 > r3 goto +1\n"
      "r0 = *(u8 *)(r2 +7)\n"
      "r0 = 0\n"
      "exit\n");
  EXPECT_TRUE(r.accepted) << r.error;
}

TEST(KernelRules, OffsetPastTheLargestPacketProvesNothing) {
  Report r = verify_text(
      "r2 = *(u32 *)(r1 +8)\n"
      "r3 = *(u32 *)(r1 +0)\n"
      "r4 = r2\n"
      "r4 += 0xffff\n"
      "r4 += 1\n"
      "if r4 > r3 goto +1\n"
      "r0 = *(u8 *)(r2 +0)\n"
      "r0 = 0\n"
      "exit\n");
  EXPECT_FALSE(r.accepted);
}

TEST(KernelRules, CtxComparedWithZeroExploresBothWays) {
  // The kernel does not treat ctx as known non-NULL, so the "r1 == 0" arm is checked too.
  Report r = verify_text("if r1 != 0 goto +1\nr0 = r5\nr0 = 2\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R5 !read_ok");
}

TEST(KernelRules, PointerMathLimitsTheMinimumAccessesTheRange) {
  // fp-512 + a u32: the arithmetic is allowed (only the minimum is limited), a read through the
  // result is not (the maximum reaches past the stack).
  const std::string head =
      "call 7\n"
      "r0 <<= 32\n"
      "r0 >>= 32\n"
      "r1 = r10\n"
      "r1 += -512\n"
      "r1 += r0\n";
  EXPECT_TRUE(verify_text(head + "r0 = 2\nexit\n").accepted);
  Report r = verify_text(head + "r0 = *(u8 *)(r1 +0)\nr0 = 2\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("invalid variable-offset read from stack", 0), 0u) << r.error;
  // An unknown 64-bit offset (minimum unbounded) is refused at the arithmetic.
  r = verify_text("call 7\nr1 = r10\nr1 += r0\nr0 = 2\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error,
            "math between fp pointer and register with unbounded min value is not allowed");
}

TEST(KernelRules, SpinUnlockMustNameTheLockedValue) {
  MapInfo m;
  m.type = platform::MapType::kArray;
  m.key_size = 4;
  m.value_size = 8;
  m.max_entries = 1;
  m.spin_lock_off = 0;
  // Two lookups of the same map: locking one value and unlocking the other is refused.
  auto prog = [](const char* unlock_reg) {
    return std::string(
               "*(u32 *)(r10 -4) = 0\n"
               "r1 = map[idx:0]\n"
               "r2 = r10\n"
               "r2 += -4\n"
               "call 1\n"
               "if r0 == 0 goto out\n"
               "r7 = r0\n"
               "r1 = map[idx:0]\n"
               "r2 = r10\n"
               "r2 += -4\n"
               "call 1\n"
               "if r0 == 0 goto out\n"
               "r8 = r0\n"
               "r1 = r7\n"
               "call 93\n"
               "r1 = ") +
           unlock_reg +
           "\n"
           "call 94\n"
           "out:\n"
           "r0 = 0\n"
           "exit\n";
  };
  EXPECT_TRUE(verify_text(prog("r7"), {m}).accepted);
  Report r = verify_text(prog("r8"), {m});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "bpf_spin_unlock of different lock");
}

TEST(KernelRules, AtomicsMustBeAligned) {
  MapInfo m;
  m.type = platform::MapType::kArray;
  m.key_size = 4;
  m.value_size = 16;
  m.max_entries = 1;
  const std::string prog =
      "*(u32 *)(r10 -4) = 0\n"
      "r2 = r10\n"
      "r2 += -4\n"
      "r1 = map[idx:0]\n"
      "call 1\n"
      "if r0 == 0 goto +3\n"
      "r1 = 1\n"
      "lock *(u32 *)(r0 +OFF) += r1\n"
      "r0 = 0\n"
      "r0 = 2\n"
      "exit\n";
  auto with = [&](const char* off) {
    std::string s = prog;
    s.replace(s.find("OFF"), 3, off);
    return s;
  };
  EXPECT_TRUE(verify_text(with("4"), {m}).accepted);
  Report r = verify_text(with("3"), {m});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "misaligned value access off 0+0+3 size 4");
}

}  // namespace
}  // namespace bombus::verifier
