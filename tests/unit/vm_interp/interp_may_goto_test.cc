// may_goto in the interpreter (fast and checked): it falls through while the function's loop budget
// (isa::kMaxLoops) lasts and jumps once it is exhausted; as in the kernel, every function call
// (main, each subprogram call) has a budget of its own.
#include <gtest/gtest.h>

#include "insn_build.h"

namespace bombus::vm::test {
namespace {

Insn may_goto(int off) {
  return ins(isa::kOpMayGoto, 0, 0, off, 0);
}

// r0 counts iterations of an otherwise endless loop; may_goto ends it.
Prog counting_loop() {
  return {mov64k(0, 0), may_goto(2), alu64k(kAdd, 0, 1), ja(-3), exit_insn()};
}

TEST(InterpMayGoto, LoopExitsAfterTheBudget) {
  EXPECT_EQ(run_both(counting_loop()), isa::kMaxLoops);
}

TEST(InterpMayGoto, BudgetIsPerRun) {
  auto ip = Interpreter::create(counting_loop());
  ASSERT_TRUE(ip.ok());
  for (int k = 0; k < 2; ++k) {
    auto r = ip->run(nullptr, 0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, isa::kMaxLoops) << "run " << k;
  }
}

TEST(InterpMayGoto, FallsThroughWhileBudgetLasts) {
  // Loop 1000 times by its own condition; may_goto never jumps (the jump target sets r0 = -1).
  Prog p{mov64k(0, 0), may_goto(4), alu64k(kAdd, 0, 1), jk(kJeq, 0, 1000, 1),
         ja(-4),       exit_insn(), mov64k(0, -1),      exit_insn()};
  EXPECT_EQ(run_both(p), 1000u);
}

TEST(InterpMayGoto, EachSubprogramCallHasItsOwnBudget) {
  // main: r6 = f(); r0 = f(); r0 += r6 ... f counts its own loop iterations. The kernel keeps
  // the counter in each function's frame (tests/unit/may_goto checks it on the kernel).
  Prog p{call_local(4), mov64x(6, 0), call_local(2), alu64x(kAdd, 0, 6), exit_insn(),
         // f:
         mov64k(0, 0), may_goto(2), alu64k(kAdd, 0, 1), ja(-3), exit_insn()};
  EXPECT_EQ(run_both(p), 2 * isa::kMaxLoops);
}

TEST(InterpMayGoto, ReservedFieldsAreRejected) {
  Prog p = counting_loop();
  p[1].imm = 1;
  auto ip = Interpreter::create(p);
  ASSERT_FALSE(ip.ok());
  EXPECT_EQ(ip.error().where.insn, 1);
  p = counting_loop();
  p[1].off = 9;
  EXPECT_FALSE(Interpreter::create(p).ok());
}

}  // namespace
}  // namespace bombus::vm::test
