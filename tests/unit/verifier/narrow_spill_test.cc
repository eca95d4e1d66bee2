// Narrow spills and fills of scalars, as the kernel does them for privileged programs: a scalar
// stored with 1, 2 or 4 bytes at the start of a stack slot keeps its bounds (and its link to the
// register it came from, when the value fits) for a fill of the same or a smaller size; every
// other mix gives an unknown value and never makes unwritten bytes readable.
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

Program assemble_prog(std::string_view text) {
  Program p;
  auto insns = isa::assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
  if (insns.ok()) p.insns = *insns;
  p.type = platform::ProgType::kXdp;
  return p;
}

// r0 in [0, 0xffff], spilled with `store`, filled into r1 with `load`; then r1 and r0 are
// compared so that only a kept link proves the read through r9 (never initialised) dead.
std::string linked_program(std::string_view store, std::string_view load) {
  return "call 7\n"
         "r0 &= 0xffff\n" +
         std::string(store) + "\n" + std::string(load) +
         "\n"
         "if r1 != 0 goto +3\n"
         "if r0 == 0 goto +2\n"
         "r0 = *(u64 *)(r9 +0)\n"
         "exit\n"
         "r0 = 0\n"
         "exit\n";
}

TEST(NarrowSpill, SameSizeFillKeepsTheLink) {
  for (auto [st, ld] : {std::pair{"*(u32 *)(r10 -8) = r0", "r1 = *(u32 *)(r10 -8)"},
                        std::pair{"*(u16 *)(r10 -8) = r0", "r1 = *(u16 *)(r10 -8)"},
                        std::pair{"*(u64 *)(r10 -8) = r0", "r1 = *(u32 *)(r10 -8)"}}) {
    Report r = verify(assemble_prog(linked_program(st, ld)), {});
    EXPECT_TRUE(r.accepted) << st << " / " << ld << ": " << r.error;
  }
}

TEST(NarrowSpill, ValueThatDoesNotFitLosesTheLink) {
  // 0xffff does not fit in one byte: the u8 fill is only the low byte, not r0.
  Report r =
      verify(assemble_prog(linked_program("*(u8 *)(r10 -8) = r0", "r1 = *(u8 *)(r10 -8)")), {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R9 !read_ok");
}

TEST(NarrowSpill, WiderFillIsUnknownAndNeedsEveryByte) {
  // A 4-byte spill read back with 8 bytes: the upper 4 were never written.
  Program p = assemble_prog(
      "r0 = 7\n"
      "*(u32 *)(r10 -8) = r0\n"
      "r1 = *(u64 *)(r10 -8)\n"
      "r0 = 0\n"
      "exit\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "invalid read from stack off -8+4 size 8");
  // With the upper half written, the fill is an unknown scalar (not the constant 7).
  Program q = assemble_prog(
      "r0 = 7\n"
      "*(u32 *)(r10 -4) = r0\n"
      "*(u32 *)(r10 -8) = r0\n"
      "r1 = *(u64 *)(r10 -8)\n"
      "if r1 == 7 goto +1\n"
      "r0 = *(u64 *)(r9 +0)\n"
      "r0 = 0\n"
      "exit\n");
  r = verify(q, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R9 !read_ok");
}

TEST(NarrowSpill, ImmediateStoreIsAConstantSpill) {
  Program p = assemble_prog(
      "*(u32 *)(r10 -8) = 5\n"
      "r1 = *(u32 *)(r10 -8)\n"
      "if r1 == 5 goto +1\n"
      "r0 = *(u64 *)(r9 +0)\n"
      "r0 = 0\n"
      "exit\n");
  Report r = verify(p, {});
  EXPECT_TRUE(r.accepted) << r.error;
}

TEST(NarrowSpill, PointersAndOverwrites) {
  Report r = verify(assemble_prog("*(u32 *)(r10 -8) = r1\nr0 = 0\nexit\n"), {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "invalid size of register spill");
  // Overwriting one byte of the spilled value ends the spill: the fill is unknown.
  Program p = assemble_prog(
      "*(u32 *)(r10 -8) = 5\n"
      "*(u8 *)(r10 -7) = 1\n"
      "r1 = *(u32 *)(r10 -8)\n"
      "if r1 == 5 goto +1\n"
      "r0 = *(u64 *)(r9 +0)\n"
      "r0 = 0\n"
      "exit\n");
  r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R9 !read_ok");
}

}  // namespace
}  // namespace bombus::verifier
