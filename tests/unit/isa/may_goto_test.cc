// may_goto (BPF_JMP | BPF_JCOND, opcode 0xe5) through the ISA layer: the opcode table entry,
// the verifier-log text, both assembler dialects, validation (reserved fields, target range)
// and the control-flow helpers (a conditional branch: both successors).
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "isa/disasm.h"
#include "isa/flow.h"
#include "isa/validate.h"

using namespace bombus::isa;

namespace {
Insn I(uint8_t op, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}
}  // namespace

TEST(MayGoto, OpcodeTable) {
  const OpInfo& info = op_info(0xe5);
  EXPECT_EQ(info.kind, OpKind::MayGoto);
  EXPECT_EQ(info.mnemonic, "may_goto");
  EXPECT_EQ(kOpMayGoto, 0xe5);
  EXPECT_EQ(kMaxLoops, 8u * 1024 * 1024);
  // Only the JMP class with BPF_K has it.
  EXPECT_EQ(op_info(0xe6).kind, OpKind::kInvalid);
  EXPECT_EQ(op_info(0xed).kind, OpKind::kInvalid);
}

TEST(MayGoto, DisassemblesInKernelSpelling) {
  std::vector<Insn> p{I(0xe5, 0, 0, 3), I(0xe5, 0, 0, -2)};
  EXPECT_EQ(disasm_insn(p, 0), "may_goto pc+3");
  EXPECT_EQ(disasm_insn(p, 1), "may_goto pc-2");
  EXPECT_EQ(disassemble(p), "   0: (e5) may_goto pc+3\n   1: (e5) may_goto pc-2\n");
}

TEST(MayGoto, AssemblesInBothDialects) {
  auto k = assemble(
      "r0 = 0\n"
      "loop: may_goto pc+2\n"
      "r0 += 1\n"
      "goto loop\n"
      "exit\n");
  ASSERT_TRUE(k.ok()) << k.error().format();
  ASSERT_EQ(k->size(), 5u);
  EXPECT_EQ((*k)[1], I(0xe5, 0, 0, 2));
  EXPECT_EQ((*k)[3], I(0x05, 0, 0, -3));

  auto c = assemble(
      "mov %r0, 0\n"
      "loop:\n"
      "may_goto out\n"
      "add %r0, 1\n"
      "ja loop\n"
      "out:\n"
      "exit\n");
  ASSERT_TRUE(c.ok()) << c.error().format();
  ASSERT_EQ(c->size(), 5u);
  EXPECT_EQ((*c)[1], I(0xe5, 0, 0, 2));

  auto back = assemble(disassemble(*k));
  ASSERT_TRUE(back.ok()) << back.error().format();
  EXPECT_EQ(*back, *k);
  EXPECT_FALSE(assemble("may_goto r1\nexit\n").ok());
  EXPECT_FALSE(assemble("may_goto nowhere\nexit\n").ok());
}

TEST(MayGoto, Validation) {
  const std::vector<Insn> good{I(0xb7), I(0xe5, 0, 0, 2), I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -3),
                               I(0x95)};
  EXPECT_TRUE(validate(good).ok()) << validate(good).error().format();

  auto bad = good;
  bad[1].imm = 7;
  auto st = validate(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().where.insn, 1);
  EXPECT_EQ(st.error().message, "invalid may_goto imm 7");
  bad = good;
  bad[1].src = 1;
  EXPECT_FALSE(validate(bad).ok());
  bad = good;
  bad[1].dst = 2;
  EXPECT_FALSE(validate(bad).ok());

  bad = good;
  bad[1].off = 10;
  st = validate(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "jump out of range from insn 1 to 12");

  // A function may not end in may_goto: it can fall through.
  const std::vector<Insn> tail{I(0xb7), I(0xe5, 0, 0, -2)};
  st = validate(tail);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "last insn is not an exit or jmp");
}

TEST(MayGoto, FlowTreatsItAsConditional) {
  // 0 r0 = 0; 1 may_goto +2 (-> 4); 2 r0 += 1; 3 goto 1; 4 exit
  const std::vector<Insn> p{I(0xb7), I(0xe5, 0, 0, 2), I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -3),
                            I(0x95)};
  EXPECT_EQ(jump_target(p, 1), 4);
  auto seen = reachable(p);
  EXPECT_EQ(seen, std::vector<bool>(5, true));
  // Both successors: the fall-through (2) and the target (4) are reached only through it.
  const std::vector<Insn> q{I(0xe5, 0, 0, 1), I(0x95), I(0x95)};
  EXPECT_EQ(reachable(q), std::vector<bool>(3, true));
}
