// Interpreter ALU, byte-order and jump semantics (RFC 9669), each run in both modes.
#include <climits>

#include "insn_build.h"

namespace bombus::vm::test {
namespace {

constexpr uint64_t kIntMin64 = uint64_t{1} << 63;

TEST(InterpAlu, SumLoop) {
  // r0 = sum(1..1000)
  Prog p{mov64k(0, 0),       mov64k(1, 1),          alu64x(kAdd, 0, 1),
         alu64k(kAdd, 1, 1), jk(kJle, 1, 1000, -3), exit_insn()};
  EXPECT_EQ(run_both(p), 500500u);
}

TEST(InterpAlu, Alu32ZeroExtends) {
  Prog p{mov64k(0, -1), alu32k(kAdd, 0, 1), exit_insn()};
  EXPECT_EQ(run_both(p), 0u);
  Prog q{mov64k(0, -1), alu32k(kMov, 0, -2), exit_insn()};
  EXPECT_EQ(run_both(q), 0xfffffffeu);
  Prog r{mov64k(1, -1), alu32x(kMov, 0, 1), exit_insn()};
  EXPECT_EQ(run_both(r), 0xffffffffu);
  Prog s{mov64k(0, 3), alu32k(kNeg, 0, 0), exit_insn()};
  EXPECT_EQ(run_both(s), 0xfffffffdu);
  Prog t{mov64k(0, 3), alu64k(kNeg, 0, 0), exit_insn()};
  EXPECT_EQ(run_both(t), static_cast<uint64_t>(-3));
}

TEST(InterpAlu, ImmediateSignExtendsFor64Bit) {
  Prog p{mov64k(0, 0), alu64k(kOr, 0, -16), exit_insn()};
  EXPECT_EQ(run_both(p), 0xfffffffffffffff0u);
  // Unsigned division by a negative immediate divides by the sign-extended 64-bit value.
  Prog q{mov64k(0, -1), alu64k(kDiv, 0, -1), exit_insn()};
  EXPECT_EQ(run_both(q), 1u);
}

TEST(InterpAlu, DivisionAndModuloByZero) {
  for (bool x : {false, true}) {
    auto div64 = x ? alu64x(kDiv, 0, 1) : alu64k(kDiv, 0, 0);
    auto mod64 = x ? alu64x(kMod, 0, 1) : alu64k(kMod, 0, 0);
    auto div32 = x ? alu32x(kDiv, 0, 1) : alu32k(kDiv, 0, 0);
    auto mod32 = x ? alu32x(kMod, 0, 1) : alu32k(kMod, 0, 0);
    auto sdiv64 = x ? alu64x(kDiv, 0, 1, 1) : alu64k(kDiv, 0, 0, 1);
    auto smod32 = x ? alu32x(kMod, 0, 1, 1) : alu32k(kMod, 0, 0, 1);
    Prog p{mov64k(1, 0), mov64k(0, -7)};
    EXPECT_EQ(run_both({p[0], p[1], div64, exit_insn()}), 0u);
    EXPECT_EQ(run_both({p[0], p[1], mod64, exit_insn()}), static_cast<uint64_t>(-7));
    EXPECT_EQ(run_both({p[0], p[1], div32, exit_insn()}), 0u);
    EXPECT_EQ(run_both({p[0], p[1], mod32, exit_insn()}), 0xfffffff9u);  // zero-extended
    EXPECT_EQ(run_both({p[0], p[1], sdiv64, exit_insn()}), 0u);
    EXPECT_EQ(run_both({p[0], p[1], smod32, exit_insn()}), 0xfffffff9u);
  }
}

TEST(InterpAlu, SignedDivisionEdgeCases) {
  for (bool x : {false, true}) {
    Prog base;
    lddw(base, 0, kIntMin64);
    base.push_back(mov64k(1, -1));
    auto with = [&](Insn op) {
      Prog p = base;
      p.push_back(op);
      p.push_back(exit_insn());
      return run_both(p);
    };
    EXPECT_EQ(with(x ? alu64x(kDiv, 0, 1, 1) : alu64k(kDiv, 0, -1, 1)), kIntMin64);
    EXPECT_EQ(with(x ? alu64x(kMod, 0, 1, 1) : alu64k(kMod, 0, -1, 1)), 0u);
  }
  // 32-bit: INT_MIN / -1 = INT_MIN (zero-extended), INT_MIN % -1 = 0.
  for (bool x : {false, true}) {
    Prog p{alu32k(kMov, 0, INT_MIN), mov64k(1, -1),
           x ? alu32x(kDiv, 0, 1, 1) : alu32k(kDiv, 0, -1, 1), exit_insn()};
    EXPECT_EQ(run_both(p), 0x80000000u);
    Prog q{alu32k(kMov, 0, INT_MIN), mov64k(1, -1),
           x ? alu32x(kMod, 0, 1, 1) : alu32k(kMod, 0, -1, 1), exit_insn()};
    EXPECT_EQ(run_both(q), 0u);
  }
  // Ordinary signed results truncate toward zero; smod takes the dividend's sign.
  EXPECT_EQ(run_both({mov64k(0, -7), alu64k(kDiv, 0, 2, 1), exit_insn()}),
            static_cast<uint64_t>(-3));
  EXPECT_EQ(run_both({mov64k(0, -7), alu64k(kMod, 0, 2, 1), exit_insn()}),
            static_cast<uint64_t>(-1));
  EXPECT_EQ(run_both({mov64k(0, -7), mov64k(1, -2), alu32x(kDiv, 0, 1, 1), exit_insn()}), 3u);
  EXPECT_EQ(run_both({mov64k(0, 7), alu32k(kMod, 0, -2, 1), exit_insn()}), 1u);
}

TEST(InterpAlu, ShiftsAreMasked) {
  EXPECT_EQ(run_both({mov64k(0, 1), alu64k(kLsh, 0, 65), exit_insn()}), 2u);
  EXPECT_EQ(run_both({mov64k(0, 1), alu32k(kLsh, 0, 33), exit_insn()}), 2u);
  EXPECT_EQ(run_both({mov64k(0, 1), mov64k(1, 67), alu64x(kLsh, 0, 1), exit_insn()}), 8u);
  EXPECT_EQ(run_both({mov64k(0, -1), alu32k(kRsh, 0, 36), exit_insn()}), 0x0fffffffu);
  EXPECT_EQ(run_both({mov64k(0, -16), alu64k(kArsh, 0, 2), exit_insn()}),
            static_cast<uint64_t>(-4));
  EXPECT_EQ(run_both({mov64k(0, -16), alu32k(kArsh, 0, 2), exit_insn()}), 0xfffffffcu);
  EXPECT_EQ(run_both({mov64k(0, -16), mov64k(1, 66), alu64x(kArsh, 0, 1), exit_insn()}),
            static_cast<uint64_t>(-4));
}

TEST(InterpAlu, MovSignExtend) {
  EXPECT_EQ(run_both({mov64k(1, 0x80), alu64x(kMov, 0, 1, 8), exit_insn()}),
            static_cast<uint64_t>(-128));
  EXPECT_EQ(run_both({mov64k(1, 0x8000), alu64x(kMov, 0, 1, 16), exit_insn()}),
            static_cast<uint64_t>(-32768));
  EXPECT_EQ(run_both({mov64k(1, INT_MIN), alu64x(kMov, 0, 1, 32), exit_insn()}),
            static_cast<uint64_t>(static_cast<int64_t>(INT_MIN)));
  EXPECT_EQ(run_both({mov64k(1, 0x80), alu32x(kMov, 0, 1, 8), exit_insn()}), 0xffffff80u);
  EXPECT_EQ(run_both({mov64k(1, 0x8000), alu32x(kMov, 0, 1, 16), exit_insn()}), 0xffff8000u);
}

TEST(InterpAlu, ByteOrder) {
  Prog base;
  lddw(base, 0, 0x0102030405060708ull);
  auto with = [&](Insn op) {
    Prog p = base;
    p.push_back(op);
    p.push_back(exit_insn());
    return run_both(p);
  };
  EXPECT_EQ(with(ins(0xdc, 0, 0, 0, 16)), 0x0807u);  // be16
  EXPECT_EQ(with(ins(0xdc, 0, 0, 0, 32)), 0x08070605u);
  EXPECT_EQ(with(ins(0xdc, 0, 0, 0, 64)), 0x0807060504030201ull);
  EXPECT_EQ(with(ins(0xd4, 0, 0, 0, 16)), 0x0708u);  // le16 on a little-endian host
  EXPECT_EQ(with(ins(0xd4, 0, 0, 0, 32)), 0x05060708u);
  EXPECT_EQ(with(ins(0xd4, 0, 0, 0, 64)), 0x0102030405060708ull);
  EXPECT_EQ(with(ins(0xd7, 0, 0, 0, 16)), 0x0807u);  // bswap16
  EXPECT_EQ(with(ins(0xd7, 0, 0, 0, 32)), 0x08070605u);
  EXPECT_EQ(with(ins(0xd7, 0, 0, 0, 64)), 0x0807060504030201ull);
}

TEST(InterpAlu, Jumps) {
  // jmp32 compares the low 32 bits only.
  Prog p;
  lddw(p, 1, 0x100000005ull);
  p.push_back(mov64k(0, 0));
  p.push_back(j32k(kJeq, 1, 5, 1));
  p.push_back(exit_insn());
  p.push_back(mov64k(0, 1));
  p.push_back(exit_insn());
  EXPECT_EQ(run_both(p), 1u);
  // Signed vs unsigned comparisons.
  EXPECT_EQ(run_both({mov64k(1, -1), mov64k(0, 0), jk(kJsgt, 1, 0, 1), mov64k(0, 2), exit_insn()}),
            2u);
  EXPECT_EQ(run_both({mov64k(1, -1), mov64k(0, 0), jk(kJgt, 1, 0, 1), mov64k(0, 2), exit_insn()}),
            0u);
  EXPECT_EQ(run_both({mov64k(1, -1), mov64k(2, 1), mov64k(0, 0), j32x(kJslt, 1, 2, 1), mov64k(0, 2),
                      exit_insn()}),
            0u);
  EXPECT_EQ(run_both({mov64k(1, 6), mov64k(0, 0), jk(kJset, 1, 2, 1), mov64k(0, 2), exit_insn()}),
            0u);
  // gotol (JMP32|JA) takes its offset from imm; ja from off.
  EXPECT_EQ(run_both({mov64k(0, 1), gotol(1), mov64k(0, 2), ja(1), mov64k(0, 3), exit_insn()}), 1u);
}

TEST(InterpAlu, Lddw) {
  Prog p;
  lddw(p, 0, 0xfedcba9876543210ull);
  p.push_back(exit_insn());
  EXPECT_EQ(run_both(p), 0xfedcba9876543210ull);
}

}  // namespace
}  // namespace bombus::vm::test
