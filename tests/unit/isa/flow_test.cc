// Control-flow helper tests (flow.h): jump targets, callees, lddw second halves, function entries.
#include "isa/flow.h"

#include <gtest/gtest.h>

#include "isa/asm.h"

using namespace bombus::isa;

TEST(Flow, TargetsAndEntries) {
  // Slots: 0-1 lddw (callee 7); 2 if (-> 4); 3 call f (callee 8); 4 gotol (-> 6, which is the
  // second half of the lddw at 5-6: jump_target() reports it, validate() rejects it); 7-9 exits.
  auto prog = assemble(
      "r1 = subprog[+6]\n"
      "if r1 > 3 goto l\n"
      "call f\n"
      "l: gotol pc+1\n"
      "r0 = 1 ll\n"
      "exit\n"
      "f: exit\n"
      "exit\n");
  ASSERT_TRUE(prog.ok()) << prog.error().format();
  ASSERT_EQ(prog->size(), 10u);
  EXPECT_EQ(jump_target(*prog, 2), 4);
  EXPECT_EQ(jump_target(*prog, 4), 6);
  EXPECT_EQ(jump_target(*prog, 3), std::nullopt);
  EXPECT_EQ(jump_target(*prog, 99), std::nullopt);
  EXPECT_EQ(callee(*prog, 3), 8);
  EXPECT_EQ(callee(*prog, 0), 7);
  EXPECT_EQ(callee(*prog, 2), std::nullopt);
  auto halves = lddw_second_halves(*prog);
  std::vector<bool> want(10, false);
  want[1] = want[6] = true;
  EXPECT_EQ(halves, want);
  EXPECT_EQ(function_entries(*prog), (std::vector<size_t>{0, 7, 8}));
}

TEST(Flow, OutOfRangeCalleesAreNotEntries) {
  std::vector<Insn> prog(2);
  prog[0].opcode = 0x85;
  prog[0].src = kPseudoCall;
  prog[0].imm = 50;
  prog[1].opcode = 0x95;
  EXPECT_EQ(callee(prog, 0), 51);
  EXPECT_EQ(function_entries(prog), (std::vector<size_t>{0}));
  EXPECT_TRUE(lddw_second_halves({}).empty());
}

TEST(Flow, Reachable) {
  // 0 call f; 1 exit; 2 dead; 3-4 lddw subprog[] -> 7 (dead itself); 5 f: if -> 8; 6 exit;
  // 7 callback (reached only through the dead lddw: stays unreachable); 8 exit.
  auto prog = assemble(
      "call f\n"
      "exit\n"
      "r0 = 1\n"
      "r1 = subprog[+3]\n"
      "f: if r1 == 0 goto out\n"
      "exit\n"
      "r0 = 2\n"
      "out: exit\n");
  ASSERT_TRUE(prog.ok()) << prog.error().format();
  ASSERT_EQ(prog->size(), 9u);
  auto seen = reachable(*prog);
  EXPECT_EQ(seen, (std::vector<bool>{true, true, false, false, false, true, true, false, true}));
  // Jumping over the dead part makes the lddw, and through it the callback, reachable.
  (*prog)[1].opcode = 0xb7;  // exit -> "r0 = 0": falls into insn 2
  seen = reachable(*prog);
  EXPECT_EQ(seen, (std::vector<bool>{true, true, true, true, false, true, true, true, true}));
}
