// may_goto (opcode 0xe5) in the verifier: both successors are explored, loops whose only exit is
// may_goto converge at the may_goto (states of different depth), pointer arithmetic inside such a
// loop is still checked on every iteration the abstract state can tell apart, and the rewrites
// keep the instruction's offset right.
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/rewrite.h"
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

TEST(MayGoto, EndlessLoopBoundedByMayGotoIsAccepted) {
  // while (1) { may_goto out; r0 += 1; }  -- without may_goto this is an infinite loop.
  Program p = assemble_prog(
      "r0 = 0\n"
      "loop:\n"
      "may_goto out\n"
      "r0 += 1\n"
      "goto loop\n"
      "out:\n"
      "r0 = 2\n"
      "exit\n");
  Options o;
  o.log_level = 1;
  Report r = verify(p, o);
  EXPECT_TRUE(r.accepted) << r.error << "\n" << r.log;
  EXPECT_LT(r.insns_processed, 50u) << r.log;
  EXPECT_NE(r.log.find("(e5) may_goto pc+2"), std::string::npos) << r.log;
}

TEST(MayGoto, SameLoopWithoutMayGotoIsAnInfiniteLoop) {
  Program p = assemble_prog(
      "r0 = 0\n"
      "loop:\n"
      "r1 = 0\n"
      "goto loop\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("infinite loop detected", 0), 0u) << r.error;
}

TEST(MayGoto, LoopThroughTheJumpEdgeIsInfinite) {
  // Once the budget is spent may_goto always jumps: back to insn 0 here, forever. The state at
  // the loop head differs from the first visit only in r0, which is written before any read.
  Program p = assemble_prog(
      "loop:\n"
      "r0 = 1\n"
      "may_goto loop\n"
      "if r0 > 10 goto loop\n"
      "r0 = 0\n"
      "exit\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("infinite loop detected", 0), 0u) << r.error;
}

TEST(MayGoto, PointerWalkingOffTheStackIsRejected) {
  // Each iteration moves r2 8 bytes further down the stack and stores through it: some
  // iteration the run-time budget allows writes below r10-512.
  Program p = assemble_prog(
      "r2 = r10\n"
      "loop:\n"
      "may_goto out\n"
      "r2 += -8\n"
      "*(u64 *)(r2 +0) = 0\n"
      "goto loop\n"
      "out:\n"
      "r0 = 2\n"
      "exit\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("invalid write to stack"), std::string::npos) << r.error;
}

TEST(MayGoto, BothSuccessorsAreChecked) {
  // The fall-through (another iteration) reads an uninitialised register.
  Program p = assemble_prog(
      "may_goto +2\n"
      "r0 = r5\n"
      "exit\n"
      "r0 = 2\n"
      "exit\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R5 !read_ok");
}

TEST(MayGoto, ReservedFieldsAreRejected) {
  Program p = assemble_prog("may_goto +0\nr0 = 2\nexit\n");
  p.insns[0].imm = 1;
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "invalid may_goto imm 1");
}

TEST(MayGoto, RewriteKeepsTheTargetAndNeverFoldsIt) {
  // insn 1 is a branch the verifier decides (r1 == 0 always), so its dead arm goes away and the
  // may_goto's offset must be recomputed.
  Program p = assemble_prog(
      "r1 = 0\n"
      "if r1 != 0 goto +1\n"
      "r0 = 0\n"
      "loop:\n"
      "may_goto out\n"
      "r1 += 1\n"
      "goto loop\n"
      "out:\n"
      "exit\n");
  Report r = verify(p, {});
  ASSERT_TRUE(r.accepted) << r.error;
  auto w = apply_rewrites(p, r);
  ASSERT_TRUE(w.ok());
  int may = -1;
  for (size_t i = 0; i < w->insns.size(); ++i)
    if (w->insns[i].opcode == 0xe5) may = static_cast<int>(i);
  ASSERT_GE(may, 0);
  int target = may + 1 + w->insns[may].off;
  ASSERT_LT(target, static_cast<int>(w->insns.size()));
  EXPECT_EQ(w->insns[target].opcode, 0x95);  // still lands on the exit
}

}  // namespace
}  // namespace bombus::verifier
