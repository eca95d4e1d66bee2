// ALU/ALU64 on the JIT against a small reference model written from RFC 9669 in this file,
// over edge values and over register pairs that hit the x86 special cases (rax/rdx for div,
// rcx for shifts, the same register as source and destination).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "insn_builder.h"
#include "jit/jit.h"

namespace bombus::jit {
namespace {

using test::I;

uint64_t ref_alu(uint8_t opcode, int16_t off, uint64_t d, uint64_t s) {
  const bool is64 = (opcode & 7) == isa::kClassAlu64;
  const int op = opcode & 0xf0;
  if (!is64) {
    const uint32_t a = static_cast<uint32_t>(d), b = static_cast<uint32_t>(s);
    const int32_t sa = static_cast<int32_t>(a), sb = static_cast<int32_t>(b);
    switch (op) {
      case 0x00:
        return uint32_t(a + b);
      case 0x10:
        return uint32_t(a - b);
      case 0x20:
        return uint32_t(a * b);
      case 0x30:
        if (b == 0) return 0;
        if (off == 1)
          return (sa == INT32_MIN && sb == -1) ? uint32_t(INT32_MIN) : uint32_t(sa / sb);
        return a / b;
      case 0x40:
        return a | b;
      case 0x50:
        return a & b;
      case 0x60:
        return uint32_t(a << (b & 31));
      case 0x70:
        return a >> (b & 31);
      case 0x80:
        return uint32_t(-a);
      case 0x90:
        if (b == 0) return a;
        if (off == 1) return (sb == -1) ? 0 : uint32_t(sa % sb);
        return a % b;
      case 0xa0:
        return a ^ b;
      case 0xb0:
        if (off == 8) return uint32_t(int32_t(int8_t(b)));
        if (off == 16) return uint32_t(int32_t(int16_t(b)));
        return b;
      case 0xc0:
        return uint32_t(sa >> (b & 31));
    }
    return 0xdead;
  }
  const int64_t sd = static_cast<int64_t>(d), ss = static_cast<int64_t>(s);
  switch (op) {
    case 0x00:
      return d + s;
    case 0x10:
      return d - s;
    case 0x20:
      return d * s;
    case 0x30:
      if (s == 0) return 0;
      if (off == 1) return (sd == INT64_MIN && ss == -1) ? uint64_t(INT64_MIN) : uint64_t(sd / ss);
      return d / s;
    case 0x40:
      return d | s;
    case 0x50:
      return d & s;
    case 0x60:
      return d << (s & 63);
    case 0x70:
      return d >> (s & 63);
    case 0x80:
      return uint64_t(0) - d;
    case 0x90:
      if (s == 0) return d;
      if (off == 1) return ss == -1 ? 0 : uint64_t(sd % ss);
      return d % s;
    case 0xa0:
      return d ^ s;
    case 0xb0:
      if (off == 8) return uint64_t(int64_t(int8_t(s)));
      if (off == 16) return uint64_t(int64_t(int16_t(s)));
      if (off == 32) return uint64_t(int64_t(int32_t(s)));
      return s;
    case 0xc0:
      return uint64_t(sd >> (s & 63));
  }
  return 0xdead;
}

vm::HelperFn no_helpers[1] = {nullptr};

struct Case {
  uint8_t opcode;
  int16_t off;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (uint8_t cls : {isa::kClassAlu, isa::kClassAlu64}) {
    for (int op = 0x00; op <= 0xc0; op += 0x10) {
      for (uint8_t srcbit : {isa::kSrcK, isa::kSrcX}) {
        if (op == 0x80 && srcbit == isa::kSrcX) continue;
        const uint8_t opcode = static_cast<uint8_t>(cls | op | srcbit);
        cases.push_back({opcode, 0});
        if (op == 0x30 || op == 0x90) cases.push_back({opcode, 1});
        if (op == 0xb0 && srcbit == isa::kSrcX) {
          cases.push_back({opcode, 8});
          cases.push_back({opcode, 16});
          if (cls == isa::kClassAlu64) cases.push_back({opcode, 32});
        }
      }
    }
  }
  return cases;
}

const uint64_t kValues[] = {0,
                            1,
                            2,
                            3,
                            7,
                            31,
                            32,
                            63,
                            64,
                            0x80,
                            0xff,
                            0x7fffffff,
                            0x80000000,
                            0xffffffff,
                            0x100000000,
                            0x123456789abcdef0,
                            0x8000000000000000,
                            0x7fffffffffffffff,
                            0xffffffffffffffff,
                            0xfffffffffffffffe,
                            0xffffffff80000000};

const int32_t kImms[] = {0, 1, -1, 2, 3, 31, 32, 63, 64, 0x7fffffff, INT32_MIN, -7, 1000};

// Registers (dst, src) chosen to hit rax/rdx (div), rcx (shifts), same-register and the
// callee-saved mapping.
const std::pair<int, int> kRegPairs[] = {{1, 2}, {0, 3}, {3, 0}, {4, 1}, {1, 4},
                                         {4, 4}, {3, 3}, {6, 9}, {0, 0}, {5, 4}};

const uint64_t kFewValues[] = {
    0, 1, 31, 0x80000000, 0xffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x123456789abcdef0};

// Param: bit 0 = constant blinding, bit 1 = no BMI2 (shift counts through cl).
class AluTest : public ::testing::TestWithParam<int> {
 protected:
  JitOptions options() const {
    JitOptions o;
    o.helpers = no_helpers;
    o.blind_constants = (GetParam() & 1) != 0;
    o.use_bmi2 = (GetParam() & 2) == 0;
    return o;
  }
};

TEST_P(AluTest, RegisterFormsMatchReference) {
  const JitOptions opts = options();
  for (const Case& c : all_cases()) {
    if ((c.opcode & isa::kSrcX) == 0 && (c.opcode & 0xf0) != 0x80) continue;
    for (auto [dr, sr] : kRegPairs) {
      const bool full = dr == 1 && sr == 2;
      for (uint64_t dv : full ? std::span<const uint64_t>(kValues) : kFewValues) {
        for (uint64_t sv : full ? std::span<const uint64_t>(kValues) : kFewValues) {
          std::vector<isa::Insn> p;
          test::lddw(p, dr, dv);
          if (sr != dr) test::lddw(p, sr, sv);
          p.push_back(I(c.opcode, dr, sr, c.off, 0));
          p.push_back(test::mov64r(0, dr));
          p.push_back(test::exit_insn());
          auto prog = compile(p, opts);
          ASSERT_TRUE(prog.ok()) << prog.error().format();
          const uint64_t s_eff = sr == dr ? dv : sv;
          const uint64_t want = ref_alu(c.opcode, c.off, dv, s_eff);
          ASSERT_EQ((*prog)->call(nullptr), want)
              << std::hex << "opcode 0x" << int(c.opcode) << " off " << std::dec << c.off << " r"
              << dr << "=0x" << std::hex << dv << " r" << std::dec << sr << "=0x" << std::hex
              << s_eff;
        }
      }
    }
  }
}

TEST_P(AluTest, ImmediateFormsMatchReference) {
  const JitOptions opts = options();
  for (const Case& c : all_cases()) {
    if ((c.opcode & isa::kSrcX) != 0) continue;
    const bool is64 = (c.opcode & 7) == isa::kClassAlu64;
    for (int dr : {0, 1, 3, 4}) {
      for (uint64_t dv : dr == 1 ? std::span<const uint64_t>(kValues) : kFewValues) {
        for (int32_t imm : kImms) {
          std::vector<isa::Insn> p;
          test::lddw(p, dr, dv);
          p.push_back(I(c.opcode, dr, 0, c.off, imm));
          p.push_back(test::mov64r(0, dr));
          p.push_back(test::exit_insn());
          auto prog = compile(p, opts);
          ASSERT_TRUE(prog.ok()) << prog.error().format();
          const uint64_t s = is64 ? uint64_t(int64_t(imm)) : uint64_t(uint32_t(imm));
          ASSERT_EQ((*prog)->call(nullptr), ref_alu(c.opcode, c.off, dv, s))
              << std::hex << "opcode 0x" << int(c.opcode) << " off " << std::dec << c.off << " r"
              << dr << "=0x" << std::hex << dv << " imm " << std::dec << imm;
        }
      }
    }
  }
}

uint64_t ref_end(uint8_t opcode, int32_t imm, uint64_t v) {
  const bool swap = opcode != 0xd4;
  switch (imm) {
    case 16:
      return swap ? __builtin_bswap16(uint16_t(v)) : uint16_t(v);
    case 32:
      return swap ? __builtin_bswap32(uint32_t(v)) : uint32_t(v);
    default:
      return swap ? __builtin_bswap64(v) : v;
  }
}

TEST_P(AluTest, ByteSwapsMatchReference) {
  const JitOptions opts = options();
  for (uint8_t opcode : {0xd4, 0xdc, 0xd7}) {
    for (int32_t imm : {16, 32, 64}) {
      for (uint64_t v : kValues) {
        std::vector<isa::Insn> p;
        test::lddw(p, 7, v);
        p.push_back(I(opcode, 7, 0, 0, imm));
        p.push_back(test::mov64r(0, 7));
        p.push_back(test::exit_insn());
        auto prog = compile(p, opts);
        ASSERT_TRUE(prog.ok()) << prog.error().format();
        EXPECT_EQ((*prog)->call(nullptr), ref_end(opcode, imm, v))
            << std::hex << int(opcode) << " " << std::dec << imm << " " << std::hex << v;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Jit, AluTest, ::testing::Values(0, 1, 2), [](const auto& info) {
  return info.param == 0 ? "Plain" : info.param == 1 ? "Blinded" : "NoBmi2";
});

}  // namespace
}  // namespace bombus::jit
