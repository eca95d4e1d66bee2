#include <gtest/gtest.h>

#include "isa/insn.h"

using namespace bombus::isa;

TEST(OpTable, KnownOpcodes) {
  EXPECT_EQ(op_info(0x07).op, Op::Alu64AddK);
  EXPECT_EQ(op_info(0x18).kind, OpKind::Lddw);
  EXPECT_EQ(op_info(0x95).kind, OpKind::Exit);
  EXPECT_EQ(op_info(0xdb).kind, OpKind::Atomic);
  EXPECT_EQ(op_info(0x8d).kind, OpKind::Callx);
  EXPECT_EQ(op_info(0xd7).kind, OpKind::Bswap);
  EXPECT_EQ(op_info(0x00).kind, OpKind::kInvalid);
  EXPECT_EQ(op_info(0xff).kind, OpKind::kInvalid);
}

TEST(OpTable, ClassBitsAgree) {
  for (int b = 0; b < 256; ++b) {
    const auto& e = op_info(static_cast<uint8_t>(b));
    if (e.kind == OpKind::kInvalid) continue;
    EXPECT_EQ(e.opcode, b);
    switch (e.kind) {
      case OpKind::Ldx:
      case OpKind::Ldxsx:
        EXPECT_EQ(insn_class(b), kClassLdx);
        break;
      case OpKind::St:
        EXPECT_EQ(insn_class(b), kClassSt);
        break;
      case OpKind::Stx:
      case OpKind::Atomic:
        EXPECT_EQ(insn_class(b), kClassStx);
        break;
      case OpKind::JccK:
      case OpKind::JccX:
        EXPECT_TRUE(insn_class(b) == kClassJmp || insn_class(b) == kClassJmp32);
        break;
      default:
        break;
    }
  }
}
