// The JIT's direct x86-64 encoder (jit/x64/raw_encoder.h) against asmjit: every form, every
// register pair of the JIT's register map (plus rsp/r12 bases), edge immediates and
// displacements must give exactly the bytes asmjit gives for the same instruction.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "jit/x64/raw_encoder.h"

namespace bombus::jit {
namespace {

namespace ax = asmjit::x86;
using Bytes = std::vector<uint8_t>;

Bytes with_asmjit(const std::function<void(ax::Assembler&)>& f) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  ax::Assembler a(&code);
  f(a);
  code.flatten();
  const auto& buf = code.textSection()->buffer();
  return Bytes(buf.data(), buf.data() + buf.size());
}

Bytes with_raw(const std::function<void(uint8_t*&)>& f) {
  uint8_t tmp[32];
  uint8_t* p = tmp;
  f(p);
  return Bytes(tmp, p);
}

ax::Gp gp(int code, bool w) {
  return w ? ax::Gp(ax::gpq(static_cast<uint32_t>(code)))
           : ax::Gp(ax::gpd(static_cast<uint32_t>(code)));
}

const int kRegs[] = {0, 1, 2, 3, 5, 6, 7, 8, 11, 13, 14, 15};
const int kBases[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15};
const int32_t kImms[] = {0, 1, -1, 127, -128, 128, -129, 0x7fffffff, INT32_MIN, 0x12345678};
const int32_t kDisps[] = {0, 8, -8, 127, -128, 128, -32768, 32767};

TEST(RawEncoder, AluRegReg) {
  using raw::Alu;
  const Alu ops[] = {Alu::kAdd, Alu::kOr,  Alu::kAnd, Alu::kSub,
                     Alu::kXor, Alu::kCmp, Alu::kMov, Alu::kTest};
  int n = 0;
  for (Alu op : ops)
    for (bool w : {false, true})
      for (int d : kRegs)
        for (int s : kRegs) {
          Bytes want = with_asmjit([&](ax::Assembler& a) {
            const ax::Gp D = gp(d, w), S = gp(s, w);
            switch (op) {
              case Alu::kAdd:
                a.add(D, S);
                break;
              case Alu::kOr:
                a.or_(D, S);
                break;
              case Alu::kAnd:
                a.and_(D, S);
                break;
              case Alu::kSub:
                a.sub(D, S);
                break;
              case Alu::kXor:
                a.xor_(D, S);
                break;
              case Alu::kCmp:
                a.cmp(D, S);
                break;
              case Alu::kMov:
                a.mov(D, S);
                break;
              case Alu::kTest:
                a.test(D, S);
                break;
            }
          });
          EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::alu_rr(p, op, w, d, s); }), want)
              << int(op) << " w=" << w << " d=" << d << " s=" << s;
          ++n;
        }
  EXPECT_GT(n, 2000);
}

TEST(RawEncoder, AluRegImmAndImul) {
  using raw::Alu;
  for (Alu op : {Alu::kAdd, Alu::kOr, Alu::kAnd, Alu::kSub, Alu::kXor, Alu::kCmp})
    for (bool w : {false, true})
      for (int d : kRegs)
        for (int32_t imm : kImms) {
          Bytes raw_bytes = with_raw([&](uint8_t*& p) { raw::alu_ri(p, op, w, d, imm); });
          // asmjit prefers the one-byte-shorter accumulator form (op eax, imm32) for rax when
          // the immediate needs 32 bits; both mean the same, so compare against the ModRM form
          // only where asmjit emits it.
          Bytes want = with_asmjit([&](ax::Assembler& a) {
            const ax::Gp D = gp(d, w);
            switch (op) {
              case Alu::kAdd:
                a.add(D, imm);
                break;
              case Alu::kOr:
                a.or_(D, imm);
                break;
              case Alu::kAnd:
                a.and_(D, imm);
                break;
              case Alu::kSub:
                a.sub(D, imm);
                break;
              case Alu::kXor:
                a.xor_(D, imm);
                break;
              default:
                a.cmp(D, imm);
                break;
            }
          });
          if (d == 0 && !raw::fits_i8(imm) && want.size() + 1 == raw_bytes.size()) continue;
          EXPECT_EQ(raw_bytes, want) << int(op) << " w=" << w << " d=" << d << " imm=" << imm;
        }
  for (bool w : {false, true})
    for (int d : kRegs) {
      for (int s : kRegs)
        EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::imul_rr(p, w, d, s); }),
                  with_asmjit([&](ax::Assembler& a) { a.imul(gp(d, w), gp(s, w)); }));
      for (int32_t imm : kImms)
        EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::imul_ri(p, w, d, imm); }),
                  with_asmjit([&](ax::Assembler& a) { a.imul(gp(d, w), gp(d, w), imm); }))
            << "imul d=" << d << " imm=" << imm;
    }
}

TEST(RawEncoder, ShiftByConstant) {
  for (bool w : {false, true})
    for (int d : kRegs)
      for (int count : {1, 2, 5, 31, 32, 63}) {
        if (!w && count > 31) continue;
        const ax::Gp D = gp(d, w);
        EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::shift_ri(p, 4, w, d, count); }),
                  with_asmjit([&](ax::Assembler& a) { a.shl(D, count); }));
        EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::shift_ri(p, 5, w, d, count); }),
                  with_asmjit([&](ax::Assembler& a) { a.shr(D, count); }));
        EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::shift_ri(p, 7, w, d, count); }),
                  with_asmjit([&](ax::Assembler& a) { a.sar(D, count); }))
            << "sar w=" << w << " d=" << d << " count=" << count;
      }
}

TEST(RawEncoder, MovImmediate) {
  for (int d : kRegs)
    for (int32_t imm : kImms) {
      EXPECT_EQ(
          with_raw([&](uint8_t*& p) { raw::mov_r32_imm(p, d, static_cast<uint32_t>(imm)); }),
          with_asmjit([&](ax::Assembler& a) { a.mov(gp(d, false), static_cast<uint32_t>(imm)); }));
      if (imm < 0) {
        EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::mov_r64_simm(p, d, imm); }),
                  with_asmjit([&](ax::Assembler& a) { a.mov(gp(d, true), int64_t{imm}); }))
            << "d=" << d << " imm=" << imm;
      }
    }
}

TEST(RawEncoder, LoadsAndStores) {
  for (int bytes : {1, 2, 4, 8})
    for (int r : kRegs)
      for (int b : kBases)
        for (int32_t disp : kDisps) {
          const ax::Mem m =
              ax::ptr(ax::gpq(static_cast<uint32_t>(b)), disp, static_cast<uint32_t>(bytes));
          const ax::Gp R = ax::gpq(static_cast<uint32_t>(r));
          for (bool sign : {false, true}) {
            if (sign && bytes == 8) continue;
            Bytes want = with_asmjit([&](ax::Assembler& a) {
              if (bytes == 8)
                a.mov(R, m);
              else if (bytes == 4)
                sign ? a.movsxd(R, m) : a.mov(R.r32(), m);
              else
                sign ? a.movsx(R, m) : a.movzx(R.r32(), m);
            });
            EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::load(p, bytes, sign, r, b, disp); }), want)
                << "load " << bytes << " sign=" << sign << " r=" << r << " b=" << b
                << " disp=" << disp;
          }
          Bytes want = with_asmjit([&](ax::Assembler& a) {
            const ax::Gp S = bytes == 1   ? ax::Gp(R.r8())
                             : bytes == 2 ? ax::Gp(R.r16())
                             : bytes == 4 ? ax::Gp(R.r32())
                                          : R;
            a.mov(m, S);
          });
          EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::store(p, bytes, r, b, disp); }), want)
              << "store " << bytes << " r=" << r << " b=" << b << " disp=" << disp;
        }
  for (int bytes : {1, 2, 4, 8})
    for (int b : kBases)
      for (int32_t disp : kDisps)
        for (int32_t imm : kImms) {
          const ax::Mem m =
              ax::ptr(ax::gpq(static_cast<uint32_t>(b)), disp, static_cast<uint32_t>(bytes));
          Bytes want = with_asmjit([&](ax::Assembler& a) {
            if (bytes == 1)
              a.mov(m, static_cast<int8_t>(imm));
            else if (bytes == 2)
              a.mov(m, static_cast<int16_t>(imm));
            else
              a.mov(m, imm);
          });
          EXPECT_EQ(with_raw([&](uint8_t*& p) { raw::store_imm(p, bytes, b, disp, imm); }), want)
              << "store imm " << bytes << " b=" << b << " disp=" << disp << " imm=" << imm;
        }
}

}  // namespace
}  // namespace bombus::jit
