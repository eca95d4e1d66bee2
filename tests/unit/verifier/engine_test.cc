// verify() end to end on small assembled programs: the log's shape (line info above the
// instructions, states at branch points, the stats line), hints, per-insn facts, the rewrites
// built on them, and the dot rendering of the control flow.
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/cfg_dot.h"
#include "verifier/rewrite.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

Program assemble_prog(std::string_view text, platform::ProgType type = platform::ProgType::kXdp) {
  Program p;
  auto insns = isa::assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
  if (insns.ok()) p.insns = *insns;
  p.type = type;
  return p;
}

TEST(Verify, LogHasSourceLinesStatesAndStats) {
  Program p = assemble_prog(
      "r2 = *(u32 *)(r1 +0)\n"
      "r3 = *(u32 *)(r1 +4)\n"
      "r4 = r2\n"
      "r4 += 14\n"
      "if r4 > r3 goto +2\n"
      "r0 = *(u8 *)(r2 +0)\n"
      "exit\n"
      "r0 = 2\n"
      "exit\n");
  p.lines = {{0, "prog.c", 10, 5, "void *data = (void *)(long)ctx->data;"},
             {4, "prog.c", 12, 3, "if (data + 14 > data_end)"},
             {7, "prog.c", 13, 3, "return XDP_PASS;"}};
  Options o;
  o.log_level = 1;
  Report r = verify(p, o);
  ASSERT_TRUE(r.accepted) << r.error << "\n" << r.log;
  EXPECT_NE(
      r.log.find(
          "; void *data = (void *)(long)ctx->data; @ prog.c:10\n0: (61) r2 = *(u32 *)(r1 +0)"),
      std::string::npos)
      << r.log;
  EXPECT_NE(r.log.find("; return XDP_PASS; @ prog.c:13"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("from 4 to 7: "), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("R2=pkt(r=14)"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("processed 9 insns (limit 1000000) max_states_per_insn"), std::string::npos)
      << r.log;
  EXPECT_EQ(r.insns_processed, 9u);
}

TEST(Verify, ErrorCarriesInsnAndHint) {
  Program p = assemble_prog("r0 = *(u32 *)(r1 +4)\nr0 = *(u8 *)(r0 +0)\nexit\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "R0 invalid mem access 'pkt_end'");
  EXPECT_EQ(r.error_insn, 1);
  Program q = assemble_prog("r2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nexit\n");
  Report rq = verify(q, {});
  EXPECT_FALSE(rq.accepted);
  EXPECT_EQ(rq.error, "invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)");
  EXPECT_NE(rq.hint.find("data_end"), std::string::npos);
  EXPECT_TRUE(rq.log.empty());  // log level 0
}

TEST(Verify, InstructionLimit) {
  Program p = assemble_prog("r1 = 0\nloop:\nr1 += 1\nif r1 < 100000 goto loop\nr0 = 0\nexit\n");
  Options o;
  o.insn_limit = 1000;
  Report r = verify(p, o);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("BPF program is too large"), std::string::npos);
}

TEST(Verify, StackDepthPerFunction) {
  Program p = assemble_prog(
      "*(u64 *)(r10 -16) = 0\ncall pc+2\nr0 = 0\nexit\n*(u32 *)(r10 -40) = 0\nr0 = 0\nexit\n");
  Report r = verify(p, {});
  ASSERT_TRUE(r.accepted) << r.error;
  ASSERT_EQ(r.stack_depth.size(), 2u);
  EXPECT_EQ(r.stack_depth[0], 16u);
  EXPECT_EQ(r.stack_depth[1], 40u);
}

TEST(Verify, CombinedStackTooLarge) {
  Program p = assemble_prog(
      "*(u64 *)(r10 -400) = 0\ncall pc+2\nr0 = 0\nexit\n*(u64 *)(r10 -400) = 0\nr0 = 0\nexit\n");
  Report r = verify(p, {});
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("combined stack size of 2 calls is"), std::string::npos) << r.error;
}

TEST(Rewrite, FoldsConstantBranchesAndDropsDeadCode) {
  // r1 is the constant 1, so "if r1 == 2" is never taken and its target is dead.
  Program p = assemble_prog("r1 = 1\nif r1 == 2 goto +2\nr0 = 2\nexit\nr0 = 1\nexit\n");
  Report r = verify(p, {});
  ASSERT_TRUE(r.accepted) << r.error;
  EXPECT_EQ(r.facts[1].branch, 0);
  EXPECT_FALSE(r.facts[4].reachable);
  auto rw = apply_rewrites(p, r);
  ASSERT_TRUE(rw.ok());
  EXPECT_EQ(rw->insns.size(), 3u);  // r1 = 1; r0 = 2; exit
  EXPECT_EQ(rw->removed, 3u);
  EXPECT_EQ(rw->old_to_new[2], 1);
  EXPECT_EQ(rw->old_to_new[4], -1);
}

TEST(Rewrite, KeepsJumpTargetsAfterRemoval) {
  Program p = assemble_prog(
      "r1 = 1\nif r1 == 1 goto +1\nr2 = *(u32 *)(r1 +0)\n"  // insn 2 would fault but is dead
      "call 7\nif r0 > 5 goto +1\nr0 = 0\nexit\n");
  Report r = verify(p, {});
  ASSERT_TRUE(r.accepted) << r.error;
  auto rw = apply_rewrites(p, r);
  ASSERT_TRUE(rw.ok());
  EXPECT_EQ(rw->insns[1].opcode, 0x05);  // folded to goto
  EXPECT_EQ(rw->old_to_new[2], -1);
  // The remaining conditional jump still skips exactly "r0 = 0".
  const auto& j = rw->insns[rw->old_to_new[4]];
  EXPECT_EQ(j.opcode, 0x25);
  EXPECT_EQ(rw->old_to_new[4] + 1 + j.off, rw->old_to_new[6]);
}

TEST(Dot, BlocksAndEdges) {
  Program p = assemble_prog("r0 = 1\nif r1 == 0 goto +1\nr0 = 2\nexit\n");
  std::string d = cfg_dot(p);
  EXPECT_NE(d.find("digraph"), std::string::npos);
  EXPECT_NE(d.find("fn_0_bb_0 -> fn_0_bb_2"), std::string::npos) << d;  // the jump
  EXPECT_NE(d.find("fn_0_bb_0 -> fn_0_bb_1"), std::string::npos) << d;  // fall-through
  EXPECT_NE(d.find("1: if r1 == 0x0 goto pc+1"), std::string::npos) << d;
  std::string ds = cfg_dot_with_states(p);
  EXPECT_NE(ds.find("R1=ctx()"), std::string::npos) << ds;
}

}  // namespace
}  // namespace bombus::verifier
