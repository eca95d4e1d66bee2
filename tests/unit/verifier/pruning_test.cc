// State pruning with register liveness and precision by backtracking: a register that differs
// between paths but is dead at the join does not keep the paths apart; a may_goto-bounded loop
// over a million iterations converges because the values that change are imprecise; a value
// that decides safety is still marked precise back to where it came from, so a path that differs
// in it is not pruned (the kernel rejects these programs, and so must we).
#include <gtest/gtest.h>

#include <string>

#include "isa/asm.h"
#include "verifier/engine.h"
#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

Program assemble_prog(const std::string& text,
                      platform::ProgType type = platform::ProgType::kKprobe) {
  return test_support::assemble_program(type, text);
}

Report run_engine(const Program& p, bool liveness) {
  Options o;
  Report rep;
  Engine e(p, o, rep);
  e.set_liveness(liveness);
  e.run();
  return rep;
}

// `n` diamonds, diamond i leaving a stack pointer or a number in r(6 + i % 4) depending on a
// random value; `tail` runs before the exit.
std::string diamonds(int n, const std::string& tail) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    const std::string j = "j" + std::to_string(i), e = "e" + std::to_string(i);
    const std::string r = "r" + std::to_string(6 + i % 4);
    s += "call 7\n"
         "if r0 > 100 goto " +
         e + "\n" + r +
         " = r10\n"
         "goto " +
         j + "\n" + e + ":\n" + r + " = 0\n" + j + ":\n";
  }
  return s + tail + "r0 = 0\nexit\n";
}

TEST(Pruning, DeadRegisterDifferingBetweenPathsIsPruned) {
  // r6..r9 are never read: at every join the paths differ only in dead registers.
  const Program p = assemble_prog(diamonds(12, ""));
  const Report with = run_engine(p, true);
  const Report without = run_engine(p, false);
  ASSERT_TRUE(with.accepted) << with.error;
  ASSERT_TRUE(without.accepted) << without.error;
  // With liveness each join keeps one state; without it every combination of the four
  // registers' pointer-or-number is a different state.
  EXPECT_LE(with.total_states, 40u);
  EXPECT_GT(without.total_states, 3 * with.total_states);
  EXPECT_GT(without.insns_processed, 3 * with.insns_processed);
}

TEST(Pruning, RegistersReadAtTheEndKeepPathsApart) {
  // The same diamonds, but the registers are stored before the exit: they are live at every
  // join, so liveness must not merge the paths.
  const std::string spills =
      "*(u64 *)(r10 -8) = r6\n*(u64 *)(r10 -16) = r7\n"
      "*(u64 *)(r10 -24) = r8\n*(u64 *)(r10 -32) = r9\n";
  const Report dead = run_engine(assemble_prog(diamonds(12, "")), true);
  const Report read = run_engine(assemble_prog(diamonds(12, spills)), true);
  ASSERT_TRUE(read.accepted) << read.error;
  EXPECT_GT(read.total_states, 2 * dead.total_states);
}

TEST(Pruning, CondBreakLoopOverAMillionConverges) {
  // for (i = random; i < 1000000; cond_break, i++) sum += i;  -- the kernel's cond_break1. i and
  // sum never decide anything, so the loop head's state is the same on every iteration.
  const Program p = assemble_prog(
      "call 7\n"
      "r6 = r0\n"
      "r7 = 0\n"
      "loop:\n"
      "if r6 >= 1000000 goto out\n"
      "r7 += r6\n"
      "may_goto out\n"
      "r6 += 1\n"
      "goto loop\n"
      "out:\n"
      "r0 = r7\n"
      "exit\n");
  const Report r = verify(p, {});
  ASSERT_TRUE(r.accepted) << r.error;
  EXPECT_LT(r.insns_processed, 1000u);
}

TEST(Pruning, CondBreakLoopIndexingAnArrayStaysChecked) {
  // The index becomes precise (pointer arithmetic), the sum does not: the loop still converges,
  // and an index that can leave the 64-byte buffer is still caught.
  auto prog = [](const char* bound) {
    return assemble_prog(std::string("call 7\n"
                                     "r6 = r0\n"
                                     "r6 &= 7\n"
                                     "r7 = 0\n"
                                     "*(u64 *)(r10 -64) = 0\n*(u64 *)(r10 -56) = 0\n"
                                     "*(u64 *)(r10 -48) = 0\n*(u64 *)(r10 -40) = 0\n"
                                     "*(u64 *)(r10 -32) = 0\n*(u64 *)(r10 -24) = 0\n"
                                     "*(u64 *)(r10 -16) = 0\n*(u64 *)(r10 -8) = 0\n"
                                     "loop:\n") +
                         "if r6 >= " + bound +
                         " goto out\n"
                         "r1 = r10\n"
                         "r1 += -64\n"
                         "r1 += r6\n"
                         "r2 = *(u8 *)(r1 +0)\n"
                         "r7 += r2\n"
                         "may_goto out\n"
                         "r6 += 1\n"
                         "goto loop\n"
                         "out:\n"
                         "r0 = r7\n"
                         "exit\n");
  };
  const Report ok = verify(prog("64"), {});
  EXPECT_TRUE(ok.accepted) << ok.error;
  EXPECT_LT(ok.insns_processed, 100000u);
  const Report bad = verify(prog("65"), {});
  EXPECT_FALSE(bad.accepted);
  EXPECT_NE(bad.error.find("invalid"), std::string::npos) << bad.error;
}

TEST(Pruning, OffsetThatDecidesSafetyIsPrecise) {
  // The first path (r1 = 0) is safe and checkpoints the join with r1 = 0; the second arrives
  // with r1 = 8, which would write above the frame. The pointer arithmetic makes r1 precise back
  // to the join, so the second path is not pruned there and the write is refused.
  const Program p = assemble_prog(
      "call 7\n"
      "if r0 > 10 goto big\n"
      "r1 = 0\n"
      "goto join\n"
      "big:\n"
      "r1 = 8\n"
      "join:\n"
      "r2 = r10\n"
      "r2 += -8\n"
      "r2 += r1\n"
      "*(u64 *)(r2 +0) = 0\n"
      "r0 = 0\n"
      "exit\n");
  Options o;
  o.log_level = 1;
  const Report r = verify(p, o);
  EXPECT_FALSE(r.accepted) << r.log;
  EXPECT_NE(r.error.find("invalid write to stack"), std::string::npos) << r.error;
}

TEST(Pruning, PrecisionFollowsSpillsAndDecidedBranches) {
  // The number travels through the stack and decides a branch (r3 < 8 is known on the first
  // path); the second path's r3 = 20 takes the other arm, which reads uninitialised r4. The
  // join's spilled slot must be precise for the kernel's verdict (reject).
  const Program p = assemble_prog(
      "call 7\n"
      "if r0 > 10 goto big\n"
      "r1 = 1\n"
      "goto join\n"
      "big:\n"
      "r1 = 20\n"
      "join:\n"
      "*(u64 *)(r10 -8) = r1\n"
      "r0 = 0\n"
      "r3 = *(u64 *)(r10 -8)\n"
      "if r3 < 8 goto fine\n"
      "r0 = r4\n"
      "fine:\n"
      "exit\n");
  Options o;
  o.log_level = 2;
  const Report r = verify(p, o);
  EXPECT_FALSE(r.accepted) << r.log;
  EXPECT_EQ(r.error, "R4 !read_ok") << r.log;
}

TEST(Pruning, DeadStackSlotDifferingBetweenPathsIsPruned) {
  // fp-16 holds a pointer on one path and a number on the other but is never read; fp-8 is read
  // after the join (the same number on both paths). The second path is pruned at the join.
  const std::string text =
      "*(u64 *)(r10 -8) = 7\n"
      "call 7\n"
      "if r0 > 10 goto other\n"
      "*(u64 *)(r10 -16) = r10\n"
      "goto join\n"
      "other:\n"
      "*(u64 *)(r10 -16) = 0\n"
      "join:\n"
      "r1 = *(u64 *)(r10 -8)\n"
      "r0 = 0\n"
      "exit\n";
  Options o;
  o.log_level = 1;
  const Report r = verify(assemble_prog(text), o);
  ASSERT_TRUE(r.accepted) << r.error;
  EXPECT_NE(r.log.find(": safe"), std::string::npos) << r.log;
  // The read of fp-8 marked the checkpoints at the join, at the branch's fall-through and at the
  // call (fp-8 was written before the call): the stats line's mark_read is that walk.
  EXPECT_EQ(r.mark_read, 3u) << r.log;
  EXPECT_NE(r.log.find("mark_read 3"), std::string::npos) << r.log;
  // The slot that is read keeps paths apart when it differs.
  std::string live = text;
  live.replace(live.find("r1 = *(u64 *)(r10 -8)"), 21, "r1 = *(u64 *)(r10 -16)");
  const Report l = verify(assemble_prog(live), o);
  ASSERT_TRUE(l.accepted) << l.error;
  EXPECT_EQ(l.log.find(": safe"), std::string::npos) << l.log;
}

TEST(Pruning, ReadMarksOfAPrunedPathReachItsParents) {
  // Path 0 reaches y directly and reads fp-8 there; path 1 goes through x and is pruned at y, so
  // the read must still be marked at x (copied from y's checkpoint). Path 2 arrives at x with
  // a number instead of the stack pointer in fp-8: not covered, it reaches the dereference.
  const Program p = assemble_prog(
      "call 7\n"
      "r6 = r0\n"
      "*(u64 *)(r10 -8) = r10\n"
      "if r6 > 10 goto other\n"
      "if r6 > 5 goto x\n"
      "goto y\n"
      "x:\n"
      "r7 = 0\n"
      "y:\n"
      "r1 = *(u64 *)(r10 -8)\n"
      "r0 = *(u64 *)(r1 -8)\n"
      "r0 = 0\n"
      "exit\n"
      "other:\n"
      "*(u64 *)(r10 -8) = 0\n"
      "goto x\n");
  Options o;
  o.log_level = 1;
  const Report r = verify(p, o);
  EXPECT_FALSE(r.accepted) << r.log;
  EXPECT_EQ(r.error, "R1 invalid mem access 'scalar'") << r.log;
}

TEST(Pruning, ImpreciseValueAtTheJoinIsPruned) {
  // Same shape, but the number is only returned (a kprobe's return value is not range-checked),
  // so it never decides anything: the second path is pruned at the join.
  const Program p = assemble_prog(
      "call 7\n"
      "if r0 > 10 goto big\n"
      "r1 = 1\n"
      "goto join\n"
      "big:\n"
      "r1 = 20\n"
      "join:\n"
      "r0 = r1\n"
      "r0 += 3\n"
      "exit\n");
  Options o;
  o.log_level = 1;
  const Report r = verify(p, o);
  ASSERT_TRUE(r.accepted) << r.error;
  EXPECT_NE(r.log.find(": safe"), std::string::npos) << r.log;
}

}  // namespace
}  // namespace bombus::verifier
