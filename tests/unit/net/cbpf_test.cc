// The classic BPF checker follows the kernel's acceptance rules; each rejection names the
// instruction. Also decoding, text parsing and disassembly.
#include "net/cbpf.h"

#include <gtest/gtest.h>

namespace bombus::net {
namespace {

using namespace cbpf;

CbpfInsn I(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
  return CbpfInsn{code, jt, jf, k};
}
CbpfInsn Ret(uint32_t k) {
  return I(kRet | kK, 0, 0, k);
}

void expect_reject(std::vector<CbpfInsn> p, int64_t insn, const std::string& words,
                   CbpfMode mode = CbpfMode::kSocket) {
  Status s = check_cbpf(p, mode);
  ASSERT_FALSE(s.ok()) << disasm_cbpf(p);
  EXPECT_EQ(s.error().where.insn, insn) << s.error().format();
  EXPECT_NE(s.error().message.find(words), std::string::npos) << s.error().format();
}

TEST(CbpfCheck, AcceptsMinimalAndTypicalPrograms) {
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{Ret(0)}).ok());
  std::vector<CbpfInsn> p = {I(kLd | kH | kAbs, 0, 0, 12), I(kJmp | kJeq | kK, 0, 1, 0x800),
                             Ret(0xffff), Ret(0)};
  EXPECT_TRUE(check_cbpf(p).ok());
}

TEST(CbpfCheck, RejectsEmptyAndTooLong) {
  EXPECT_FALSE(check_cbpf(std::vector<CbpfInsn>{}).ok());
  std::vector<CbpfInsn> p(kMaxInsns + 1, I(kLd | kImm, 0, 0, 1));
  p.back() = Ret(0);
  Status s = check_cbpf(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kTooBig);
  p.resize(kMaxInsns);
  p.back() = Ret(0);
  EXPECT_TRUE(check_cbpf(p).ok());
}

TEST(CbpfCheck, RejectsUnknownOpcodes) {
  expect_reject({I(kLd | kH | kImm, 0, 0, 0), Ret(0)}, 0, "invalid instruction code");
  expect_reject({I(kLdx | kW | kAbs, 0, 0, 0), Ret(0)}, 0, "invalid instruction code");
  expect_reject({I(kRet | kX, 0, 0, 0)}, 0, "invalid instruction code");
  expect_reject({I(kLd | kImm, 0, 0, 0), I(0xffff, 0, 0, 0), Ret(0)}, 1, "invalid");
  expect_reject({I(kJmp | 0x50, 0, 0, 0), Ret(0)}, 0, "invalid");
}

TEST(CbpfCheck, JumpsMustLandInside) {
  expect_reject({I(kJmp | kJa, 0, 0, 1), Ret(0)}, 0, "outside");
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{I(kJmp | kJa, 0, 0, 1), Ret(0), Ret(1)}).ok());
  expect_reject({I(kJmp | kJeq | kK, 0, 1, 0), Ret(0)}, 0, "outside");
  expect_reject({I(kJmp | kJgt | kX, 2, 0, 0), Ret(0), Ret(1)}, 0, "outside");
  // A huge JA offset must not wrap around.
  expect_reject({I(kJmp | kJa, 0, 0, 0xffffffff), Ret(0)}, 0, "outside");
}

TEST(CbpfCheck, BackwardJumpsOnlyUnderLibpcapRules) {
  // ld #3; loop: sub #1; jeq #0 -> out; ja loop; out: ret a
  std::vector<CbpfInsn> p = {I(kLd | kImm, 0, 0, 3), I(kAlu | kSub | kK, 0, 0, 1),
                             I(kJmp | kJeq | kK, 1, 0, 0),
                             I(kJmp | kJa, 0, 0, static_cast<uint32_t>(-3)), I(kRet | kA, 0, 0, 0)};
  expect_reject(p, 3, "outside");
  EXPECT_TRUE(check_cbpf(p, CbpfMode::kLibpcap).ok());
  EXPECT_EQ(run_cbpf(p, {}, 0, {}, CbpfMode::kLibpcap), 0u);
  p[0].k = 1000;  // still terminates, A counts down to 0
  EXPECT_EQ(run_cbpf(p, {}, 0, {}, CbpfMode::kLibpcap), 0u);
  // A jump onto itself or before the start is refused even so.
  p[3].k = static_cast<uint32_t>(-1);
  EXPECT_FALSE(check_cbpf(p, CbpfMode::kLibpcap).ok());
  p[3].k = static_cast<uint32_t>(-10);
  EXPECT_FALSE(check_cbpf(p, CbpfMode::kLibpcap).ok());
}

TEST(CbpfCheck, MustEndInRet) {
  expect_reject({I(kLd | kImm, 0, 0, 0)}, 0, "RET");
  expect_reject({Ret(0), I(kMisc | kTax, 0, 0, 0)}, 1, "RET");
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{I(kRet | kA, 0, 0, 0)}).ok());
}

TEST(CbpfCheck, DivisionByConstantZeroAndWideShifts) {
  expect_reject({I(kAlu | kDiv | kK, 0, 0, 0), Ret(0)}, 0, "division by constant zero");
  expect_reject({I(kAlu | kMod | kK, 0, 0, 0), Ret(0)}, 0, "division by constant zero");
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{I(kAlu | kDiv | kX, 0, 0, 0), Ret(0)}).ok());
  expect_reject({I(kAlu | kLsh | kK, 0, 0, 32), Ret(0)}, 0, "shift");
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{I(kAlu | kRsh | kK, 0, 0, 31), Ret(0)}).ok());
}

TEST(CbpfCheck, ScratchMemoryIndexAndInitialisation) {
  expect_reject({I(kSt, 0, 0, 16), Ret(0)}, 0, "scratch memory index 16");
  expect_reject({I(kLdx | kMem, 0, 0, 20), Ret(0)}, 0, "scratch memory index");
  expect_reject({I(kLd | kMem, 0, 0, 3), Ret(0)}, 0, "before any store");
  EXPECT_TRUE(
      check_cbpf(std::vector<CbpfInsn>{I(kSt, 0, 0, 3), I(kLd | kMem, 0, 0, 3), Ret(0)}).ok());
  // Stored on only one path into the load: rejected at the load.
  expect_reject({I(kJmp | kJeq | kK, 0, 1, 0), I(kSt, 0, 0, 5), I(kLd | kMem, 0, 0, 5), Ret(0)}, 2,
                "M[5]");
  // Stored on both paths: accepted.
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{I(kSt, 0, 0, 5), I(kJmp | kJeq | kK, 0, 1, 0),
                                               I(kSt, 0, 0, 5), I(kLd | kMem, 0, 0, 5), Ret(0)})
                  .ok());
}

TEST(CbpfCheck, AncillaryLoads) {
  EXPECT_TRUE(
      check_cbpf(std::vector<CbpfInsn>{I(kLd | kW | kAbs, 0, 0, kAdOff + kAdProtocol), Ret(0)})
          .ok());
  expect_reject({I(kLd | kW | kAbs, 0, 0, kAdOff + kAdMax), Ret(0)}, 0, "ancillary");
  expect_reject({I(kLd | kB | kAbs, 0, 0, kAdOff + 2), Ret(0)}, 0, "ancillary");
}

TEST(CbpfCheck, SeccompRestrictions) {
  std::vector<CbpfInsn> ok = {I(kLd | kW | kAbs, 0, 0, 0), I(kJmp | kJeq | kK, 0, 1, 59),
                              Ret(0x00050001), Ret(0x7fff0000)};
  EXPECT_TRUE(check_cbpf(ok, CbpfMode::kSeccomp).ok());
  expect_reject({I(kLd | kW | kAbs, 0, 0, 64), Ret(0)}, 0, "seccomp_data", CbpfMode::kSeccomp);
  expect_reject({I(kLd | kW | kAbs, 0, 0, 2), Ret(0)}, 0, "aligned", CbpfMode::kSeccomp);
  expect_reject({I(kLd | kH | kAbs, 0, 0, 0), Ret(0)}, 0, "not allowed", CbpfMode::kSeccomp);
  expect_reject({I(kLd | kW | kInd, 0, 0, 0), Ret(0)}, 0, "not allowed", CbpfMode::kSeccomp);
  expect_reject({I(kLdx | kB | kMsh, 0, 0, 0), Ret(0)}, 0, "not allowed", CbpfMode::kSeccomp);
  // The same instructions are fine in a socket filter.
  EXPECT_TRUE(check_cbpf(std::vector<CbpfInsn>{I(kLdx | kB | kMsh, 0, 0, 14), Ret(0)}).ok());
}

TEST(CbpfDecode, BytesRoundTripAndBadLength) {
  std::vector<CbpfInsn> p = {I(kLd | kH | kAbs, 0, 0, 12), Ret(65535)};
  auto bytes = encode_cbpf(p);
  ASSERT_EQ(bytes.size(), 16u);
  auto back = decode_cbpf(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  bytes.push_back(0);
  auto bad = decode_cbpf(bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("multiple of 8"), std::string::npos);
}

TEST(CbpfDecode, ParsesTcpdumpDddAndDdText) {
  auto a = parse_cbpf_text("2\n40 0 0 12\n6 0 0 262144\n");
  ASSERT_TRUE(a.ok()) << a.error().format();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0], I(0x28, 0, 0, 12));
  auto b = parse_cbpf_text("{ 0x28, 0, 0, 0x0000000c },\n{ 0x6, 0, 0, 0x00040000 },\n");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  auto c = parse_cbpf_text("3\n40 0 0 12\n6 0 0 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().where.line, 1);
  auto d = parse_cbpf_text("40 0 0 12\n6 0 zz 1\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().where.line, 2);
}

TEST(CbpfDisasm, ReadableLines) {
  EXPECT_EQ(disasm_cbpf(I(kLd | kH | kAbs, 0, 0, 12), 0), "ldh [12]");
  EXPECT_EQ(disasm_cbpf(I(kJmp | kJeq | kK, 0, 3, 0x800), 1), "jeq #0x800 jt 2 jf 5");
  EXPECT_EQ(disasm_cbpf(I(kLdx | kB | kMsh, 0, 0, 14), 0), "ldxb 4*([14]&0xf)");
  EXPECT_EQ(disasm_cbpf(Ret(0), 0), "ret #0");
}

TEST(CbpfRun, ClassicSemantics) {
  std::vector<uint8_t> pkt = {0x12, 0x34, 0x56, 0x78, 0x0f};
  // ld [0] -> big-endian word
  EXPECT_EQ(
      run_cbpf(std::vector<CbpfInsn>{I(kLd | kW | kAbs, 0, 0, 0), I(kRet | kA, 0, 0, 0)}, pkt, 5),
      0x12345678u);
  // out-of-bounds load ends with 0
  EXPECT_EQ(run_cbpf(std::vector<CbpfInsn>{I(kLd | kW | kAbs, 0, 0, 2), Ret(7)}, pkt, 5), 0u);
  // division by X == 0 ends with 0
  EXPECT_EQ(
      run_cbpf(std::vector<CbpfInsn>{I(kLd | kImm, 0, 0, 9), I(kAlu | kDiv | kX, 0, 0, 0), Ret(7)},
               pkt, 5),
      0u);
  // msh, len
  EXPECT_EQ(run_cbpf(std::vector<CbpfInsn>{I(kLdx | kB | kMsh, 0, 0, 4), I(kMisc | kTxa, 0, 0, 0),
                                           I(kRet | kA, 0, 0, 0)},
                     pkt, 5),
            60u);
  EXPECT_EQ(run_cbpf(std::vector<CbpfInsn>{I(kLd | kW | kLen, 0, 0, 0), I(kRet | kA, 0, 0, 0)}, pkt,
                     1500),
            1500u);
}

}  // namespace
}  // namespace bombus::net
