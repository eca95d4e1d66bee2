// Soundness and precision of the scalar domain: tnum operations and bounds checked against
// concrete values drawn from each abstract operand (a failure prints the operands).
#include "verifier/scalar.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace bombus::verifier {
namespace {

TEST(Tnum, RangeAndConst) {
  Tnum t = Tnum::range(0, 255);
  EXPECT_EQ(t.value, 0u);
  EXPECT_EQ(t.mask, 0xffu);
  EXPECT_TRUE(Tnum::constant(5).is_const());
  EXPECT_EQ(Tnum::range(16, 17).value, 16u);
  EXPECT_EQ(Tnum::range(16, 17).mask, 1u);
  EXPECT_TRUE(Tnum::range(0, ~0ull).is_unknown());
  EXPECT_EQ(Tnum::range(0, 255).str(), "(0x0; 0xff)");
}

TEST(Tnum, ContainsAndArithmetic) {
  Tnum a{0x10, 0x3};  // 16..19
  EXPECT_TRUE(a.contains_value(0x12));
  EXPECT_FALSE(a.contains_value(0x14));
  EXPECT_TRUE(Tnum::unknown().contains(a));
  EXPECT_FALSE(a.contains(Tnum::unknown()));
  Tnum s = a + Tnum::constant(1);
  for (uint64_t v = 16; v <= 19; ++v) EXPECT_TRUE(s.contains_value(v + 1)) << v;
  EXPECT_EQ((Tnum::constant(6) * Tnum::constant(7)).value, 42u);
  EXPECT_TRUE((Tnum::constant(6) * Tnum::constant(7)).is_const());
}

// Random tnum over small values, and a member of it.
Tnum random_tnum(std::mt19937_64& rng) {
  uint64_t mask = rng() & rng() & 0xff;
  if (rng() % 4 == 0) mask |= rng() & 0xffffffff00000000ull;
  uint64_t value = (rng() % 3 == 0 ? rng() : rng() & 0xffff) & ~mask;
  return {value, mask};
}
uint64_t member(const Tnum& t, std::mt19937_64& rng) {
  return t.value | (rng() & t.mask);
}

TEST(Tnum, OperationsAreSound) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    Tnum a = random_tnum(rng), b = random_tnum(rng);
    for (int j = 0; j < 8; ++j) {
      uint64_t x = member(a, rng), y = member(b, rng);
      ASSERT_TRUE((a + b).contains_value(x + y));
      ASSERT_TRUE((a - b).contains_value(x - y));
      ASSERT_TRUE((a & b).contains_value(x & y));
      ASSERT_TRUE((a | b).contains_value(x | y));
      ASSERT_TRUE((a ^ b).contains_value(x ^ y));
      ASSERT_TRUE((a * b).contains_value(x * y)) << a.str() << b.str();
      ASSERT_TRUE(
          a.arshift(3, 64).contains_value(static_cast<uint64_t>(static_cast<int64_t>(x) >> 3)));
      ASSERT_TRUE(a.union_with(b).contains_value(x));
      ASSERT_TRUE(a.union_with(b).contains_value(y));
    }
  }
}

TEST(Scalar, ConstantHasAllViewsEqual) {
  Scalar s = Scalar::constant(static_cast<uint64_t>(-5));
  EXPECT_EQ(s.smin, -5);
  EXPECT_EQ(s.smax, -5);
  EXPECT_EQ(s.umin, static_cast<uint64_t>(-5));
  EXPECT_EQ(s.s32_min, -5);
  EXPECT_EQ(s.u32_max, static_cast<uint32_t>(-5));
  EXPECT_TRUE(s.is_const());
}

TEST(Scalar, SyncDerivesAcrossViews) {
  Scalar s = Scalar::unknown_bytes(1);
  EXPECT_EQ(s.umax, 255u);
  EXPECT_EQ(s.smin, 0);
  EXPECT_EQ(s.smax, 255);
  EXPECT_EQ(s.u32_max, 255u);
  EXPECT_EQ(s.var.mask, 0xffu);
  // Signed non-negative range implies the unsigned one and the tnum.
  Scalar r = Scalar::from_srange(0, 1000);
  EXPECT_EQ(r.umax, 1000u);
  EXPECT_EQ(r.var.mask, 1023u);
  EXPECT_EQ(r.u32_max, 1000u);
  EXPECT_EQ(r.bounds_str(), "smin=smin32=0,smax=umax=smax32=umax32=1000,var_off=(0x0; 0x3ff)");
}

TEST(Scalar, AluAndMasks) {
  Scalar s = Scalar::unknown();
  scalar_alu(s, Scalar::constant(0xff), AluOp::kAnd, false);
  EXPECT_EQ(s.umax, 255u);
  EXPECT_EQ(s.smin, 0);
  scalar_alu(s, Scalar::constant(10), AluOp::kAdd, false);
  EXPECT_EQ(s.umin, 10u);
  EXPECT_EQ(s.umax, 265u);
  scalar_alu(s, Scalar::constant(2), AluOp::kLsh, false);
  EXPECT_EQ(s.umin, 40u);
  EXPECT_EQ(s.umax, 1060u);
  scalar_alu(s, Scalar::constant(3), AluOp::kRsh, false);
  EXPECT_EQ(s.umin, 5u);
  EXPECT_EQ(s.umax, 132u);
}

TEST(Scalar, Alu32ZeroExtends) {
  Scalar s = Scalar::constant(~0ull);
  scalar_alu(s, Scalar::constant(1), AluOp::kAdd, true);
  EXPECT_TRUE(s.is_const());
  EXPECT_EQ(s.const_value(), 0u);
  Scalar u = Scalar::unknown();
  scalar_alu(u, Scalar::constant(0), AluOp::kAdd, true);
  EXPECT_EQ(u.umax, 0xffffffffu);
  EXPECT_EQ(u.smin, 0);
}

TEST(Scalar, SubtractionCanWrap) {
  Scalar s = Scalar::from_urange(0, 10);
  scalar_alu(s, Scalar::constant(5), AluOp::kSub, false);
  EXPECT_EQ(s.smin, -5);
  EXPECT_EQ(s.smax, 5);
  EXPECT_EQ(s.umin, 0u);
  EXPECT_EQ(s.umax, ~0ull);
}

TEST(Scalar, BranchRefinement) {
  Scalar a = Scalar::unknown(), k = Scalar::constant(16);
  Scalar t = a, tk = k;
  refine(t, tk, Cmp::kLt, false);
  EXPECT_EQ(t.umax, 15u);
  EXPECT_EQ(t.smin, 0);
  Scalar f = a, fk = k;
  refine(f, fk, negate(Cmp::kLt), false);
  EXPECT_EQ(f.umin, 16u);
  EXPECT_EQ(branch_taken(t, k, Cmp::kLt, false), 1);
  EXPECT_EQ(branch_taken(f, k, Cmp::kLt, false), 0);
  EXPECT_EQ(branch_taken(a, k, Cmp::kLt, false), -1);
  // Signed: x s> -1 makes it non-negative everywhere.
  Scalar s = Scalar::unknown(), m1 = Scalar::constant(static_cast<uint64_t>(-1));
  refine(s, m1, Cmp::kSgt, false);
  EXPECT_EQ(s.smin, 0);
  EXPECT_EQ(s.umax, static_cast<uint64_t>(INT64_MAX));
  // 32-bit compare narrows the subregister only.
  Scalar w = Scalar::unknown(), c = Scalar::constant(100);
  refine(w, c, Cmp::kLe, true);
  EXPECT_EQ(w.u32_max, 100u);
  EXPECT_EQ(w.umax, 0xffffffff0000007full);  // upper half free, low bits from tnum (0x7f)
  // Equality with a constant makes it constant; jset-false clears bits.
  Scalar e = Scalar::unknown_bytes(1), c7 = Scalar::constant(7);
  refine(e, c7, Cmp::kEq, false);
  EXPECT_TRUE(e.is_const());
  Scalar j = Scalar::unknown_bytes(1), bit = Scalar::constant(0x80);
  refine(j, bit, Cmp::kNset, false);
  EXPECT_EQ(j.umax, 0x7fu);
  // Infeasible: a byte can never equal 300.
  Scalar bb = Scalar::unknown_bytes(1), c300 = Scalar::constant(300);
  EXPECT_EQ(branch_taken(bb, c300, Cmp::kEq, false), 0);
}

// Abstract value from a random concrete set: track exact min/max of members, build bounds.
struct Sample {
  Scalar abs;
  std::vector<uint64_t> vals;
};
Sample random_sample(std::mt19937_64& rng) {
  Sample s;
  int kind = rng() % 4;
  if (kind == 0) {
    uint64_t c = rng() % 3 ? rng() % 512 : rng();
    s.abs = Scalar::constant(c);
    s.vals = {c};
  } else if (kind == 1) {
    uint64_t lo = rng() % 1000, hi = lo + rng() % 300;
    s.abs = Scalar::from_urange(lo, hi);
    for (int i = 0; i < 6; ++i) s.vals.push_back(lo + rng() % (hi - lo + 1));
    s.vals.push_back(lo), s.vals.push_back(hi);
  } else if (kind == 2) {
    int64_t lo = -static_cast<int64_t>(rng() % 1000), hi = lo + static_cast<int64_t>(rng() % 2000);
    s.abs = Scalar::from_srange(lo, hi);
    for (int i = 0; i < 6; ++i) s.vals.push_back(lo + static_cast<int64_t>(rng() % (hi - lo + 1)));
  } else {
    Tnum t = random_tnum(rng);
    s.abs.var = t;
    s.abs.sync();
    for (int i = 0; i < 6; ++i) s.vals.push_back(member(t, rng));
  }
  return s;
}

uint64_t concrete(uint64_t a, uint64_t b, AluOp op, bool is32) {
  if (is32) a = static_cast<uint32_t>(a), b = static_cast<uint32_t>(b);
  uint64_t r = 0;
  int bits = is32 ? 32 : 64;
  switch (op) {
    case AluOp::kAdd:
      r = a + b;
      break;
    case AluOp::kSub:
      r = a - b;
      break;
    case AluOp::kMul:
      r = a * b;
      break;
    case AluOp::kAnd:
      r = a & b;
      break;
    case AluOp::kOr:
      r = a | b;
      break;
    case AluOp::kXor:
      r = a ^ b;
      break;
    case AluOp::kLsh:
      r = a << (b & (bits - 1));
      break;
    case AluOp::kRsh:
      r = a >> (b & (bits - 1));
      break;
    case AluOp::kArsh:
      r = is32 ? static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31))
               : static_cast<uint64_t>(static_cast<int64_t>(a) >> (b & 63));
      break;
    case AluOp::kDiv:
      r = b ? a / b : 0;
      break;
    case AluOp::kMod:
      r = b ? a % b : a;
      break;
    default:
      r = 0;
  }
  return is32 ? static_cast<uint32_t>(r) : r;
}

TEST(Scalar, AluIsSound) {
  std::mt19937_64 rng(7);
  const AluOp ops[] = {AluOp::kAdd, AluOp::kSub, AluOp::kMul,  AluOp::kAnd, AluOp::kOr, AluOp::kXor,
                       AluOp::kLsh, AluOp::kRsh, AluOp::kArsh, AluOp::kDiv, AluOp::kMod};
  for (int i = 0; i < 20000; ++i) {
    Sample a = random_sample(rng), b = random_sample(rng);
    if (rng() % 2) {  // shift amounts in range make the interesting cases
      uint64_t k = rng() % 40;
      b.abs = Scalar::constant(k);
      b.vals = {k};
    }
    for (AluOp op : ops) {
      for (bool is32 : {false, true}) {
        Scalar r = a.abs;
        scalar_alu(r, b.abs, op, is32);
        for (uint64_t x : a.vals)
          for (uint64_t y : b.vals) {
            ASSERT_TRUE(a.abs.contains_value(x));
            uint64_t z = concrete(x, y, op, is32);
            ASSERT_TRUE(r.contains_value(z))
                << "op " << static_cast<int>(op) << " is32 " << is32 << " x=" << x << " y=" << y
                << " a{" << a.abs.bounds_str() << "} b{" << b.abs.bounds_str() << "} r{"
                << r.bounds_str() << "}";
          }
      }
    }
  }
}

bool holds(uint64_t x, uint64_t y, Cmp op, bool is32) {
  if (is32) x = static_cast<uint32_t>(x), y = static_cast<uint32_t>(y);
  auto sx = is32 ? static_cast<int64_t>(static_cast<int32_t>(x)) : static_cast<int64_t>(x);
  auto sy = is32 ? static_cast<int64_t>(static_cast<int32_t>(y)) : static_cast<int64_t>(y);
  switch (op) {
    case Cmp::kEq:
      return x == y;
    case Cmp::kNe:
      return x != y;
    case Cmp::kGt:
      return x > y;
    case Cmp::kGe:
      return x >= y;
    case Cmp::kLt:
      return x < y;
    case Cmp::kLe:
      return x <= y;
    case Cmp::kSgt:
      return sx > sy;
    case Cmp::kSge:
      return sx >= sy;
    case Cmp::kSlt:
      return sx < sy;
    case Cmp::kSle:
      return sx <= sy;
    case Cmp::kSet:
      return (x & y) != 0;
    case Cmp::kNset:
      return (x & y) == 0;
  }
  return false;
}

TEST(Scalar, RefinementIsSound) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    Sample a = random_sample(rng), b = random_sample(rng);
    for (int o = 0; o <= static_cast<int>(Cmp::kNset); ++o) {
      Cmp op = static_cast<Cmp>(o);
      for (bool is32 : {false, true}) {
        Scalar ra = a.abs, rb = b.abs;
        int tk = branch_taken(ra, rb, op, is32);
        refine(ra, rb, op, is32);
        for (uint64_t x : a.vals)
          for (uint64_t y : b.vals) {
            bool h = holds(x, y, op, is32);
            if (tk == 1) {
              ASSERT_TRUE(h);
            }
            if (tk == 0) {
              ASSERT_FALSE(h);
            }
            if (!h) continue;
            ASSERT_FALSE(ra.is_empty());
            ASSERT_TRUE(ra.contains_value(x) && rb.contains_value(y))
                << "op " << o << " is32 " << is32 << " x=" << x << " y=" << y << " a{"
                << a.abs.bounds_str() << "} b{" << b.abs.bounds_str() << "} -> {" << ra.bounds_str()
                << "} {" << rb.bounds_str() << "}";
          }
      }
    }
  }
}

}  // namespace
}  // namespace bombus::verifier
