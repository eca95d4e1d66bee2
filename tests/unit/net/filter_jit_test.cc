// The lean batch JIT for converted filters: per packet it gives libpcap's bpf_filter answer on a
// battery of tcpdump expressions (batch and single calls), it agrees with the net evaluator on
// random ALU/jump programs (32/64-bit, division and modulo by zero, shifts, byte swaps), it
// refuses what is outside its subset, and the factory falls back to the interpreter then.
#include "net/filter_jit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "net/cbpf_to_ebpf.h"
#include "net/ebpf_eval.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

isa::Insn mk(uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  isa::Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

TEST(FilterJit, AgreesWithLibpcapOnTcpdumpExpressions) {
  TrafficOptions o;
  o.seed = 3;
  o.count = 1500;
  auto pkts = generate_traffic(o);
  std::vector<CbpfSkbCtx> ctxs;
  for (const Packet& p : pkts) {
    CbpfSkbCtx c = make_skb_ctx(p.data, p.wire_len);
    if (p.data.size() >= 14) c.meta.protocol = (p.data[12] << 8) | p.data[13];
    ctxs.push_back(c);
  }
  const char* exprs[] = {"",
                         "tcp port 80 or tcp port 443",
                         "ip6 and udp",
                         "vlan and ip and udp dst port 53",
                         "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and net 10.0.0.0/16",
                         "host 10.0.0.1 or host 192.168.1.2",
                         "icmp or icmp6",
                         "ip[6:2] & 0x1fff != 0",
                         "len > 600 and len < 1200",
                         "ip[2:2] / 4 > 100",
                         "ip[8] / ip[1] = 0",
                         "ip[0] % 3 = 1",
                         "tcp[13] >> 1 & 1 = 1",
                         "(ip[2:2] * 3) - 7 > 500",
                         "(ip[2:2] ^ 5) & 0xff != 0",
                         "ip[9] << 2 = 68",
                         "ether[0] & 1 = 1",
                         "ip6 and ip6[6] = 58",
                         "udp and udp[8:4] = 0"};
  for (const char* e : exprs) {
    auto cbpf = compile_tcpdump(e);
    ASSERT_TRUE(cbpf.ok()) << e;
    auto ebpf = convert_cbpf(*cbpf);
    ASSERT_TRUE(ebpf.ok()) << e;
    auto jit = FilterJit::compile(*ebpf);
    ASSERT_TRUE(jit.ok()) << e << ": " << jit.error().format();
    std::vector<uint32_t> out(ctxs.size(), 0xdeadbeef);
    (*jit)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), out.data());
    size_t matched = 0;
    for (size_t i = 0; i < ctxs.size(); ++i) {
      const uint32_t want = libpcap_bpf_filter(*cbpf, pkts[i].data, pkts[i].wire_len);
      ASSERT_EQ(out[i], want) << e << ", packet " << i;
      ASSERT_EQ((*jit)->run(&ctxs[i]), want) << e << ", packet " << i;
      matched += want != 0;
    }
    if (*e == 0) EXPECT_EQ(matched, ctxs.size());
  }
}

// Random straight-line programs with forward jumps over every ALU operation, compared with the
// net's own evaluator.
TEST(FilterJit, AgreesWithTheEvaluatorOnRandomPrograms) {
  std::mt19937_64 rng(42);
  const uint8_t alu_ops[] = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
                             0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0};
  const uint8_t jmp_ops[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
  const int32_t imms[] = {0, 1, 2, 3, 7, 31, 32, 63, -1, -2, 0x7fffffff, INT32_MIN, 0x1234, 255};
  uint8_t ctx[64] = {};
  for (int round = 0; round < 3000; ++round) {
    std::vector<isa::Insn> p = {mk(0x7a, 10, 0, -8, static_cast<int32_t>(rng()))};  // no junk reads
    for (uint8_t r = 0; r <= 9; ++r) {
      if (r == 1) continue;
      p.push_back(mk(0xb7, r, 0, 0, static_cast<int32_t>(rng())));
      p.push_back(mk(0x67, r, 0, 0, static_cast<int32_t>(rng() % 40)));
      p.push_back(mk(0x47, r, 0, 0, static_cast<int32_t>(rng())));
    }
    const int body = 4 + static_cast<int>(rng() % 12);
    for (int k = 0; k < body; ++k) {
      const uint8_t dst = static_cast<uint8_t>(rng() % 10), src = static_cast<uint8_t>(rng() % 10);
      const int32_t imm = imms[rng() % std::size(imms)];
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 6) {
        const uint8_t cls = rng() % 2 ? isa::kClassAlu64 : isa::kClassAlu;
        const uint8_t op = alu_ops[rng() % std::size(alu_ops)];
        const bool x = rng() % 2;
        if (dst == 1) continue;
        p.push_back(mk(cls | op | (x ? 8 : 0), dst, src, 0, imm));
      } else if (kind < 7) {
        const int32_t widths[] = {16, 32, 64};
        const uint8_t op = rng() % 2 ? 0xdc : 0xd4;
        if (dst == 1) continue;
        p.push_back(mk(op, dst, 0, 0, widths[rng() % 3]));
      } else if (kind < 8) {  // store then load through the stack
        p.push_back(mk(0x7b, 10, src, -8, 0));
        const uint8_t sizes[] = {0x61, 0x69, 0x71, 0x79};
        const uint8_t ld = sizes[rng() % 4];
        const int16_t at = ld == 0x79 ? -8 : static_cast<int16_t>(-8 + rng() % 4);
        if (dst != 1) p.push_back(mk(ld, dst, 10, at, 0));
      } else {
        const uint8_t cls = rng() % 2 ? isa::kClassJmp : isa::kClassJmp32;
        const uint8_t op = jmp_ops[rng() % std::size(jmp_ops)];
        p.push_back(
            mk(cls | op | (rng() % 2 ? 8 : 0), dst, src, static_cast<int16_t>(rng() % 3), imm));
      }
    }
    // Fold every register into r0 so any wrong register shows.
    for (uint8_t r = 2; r <= 9; ++r) p.push_back(mk(0xaf, 0, r, 0, 0));
    p.push_back(mk(0x95, 0, 0, 0, 0));
    p.push_back(mk(0x95, 0, 0, 0, 0));
    p.push_back(mk(0x95, 0, 0, 0, 0));
    auto jit = FilterJit::compile(p);
    ASSERT_TRUE(jit.ok()) << jit.error().format();
    const uint32_t want = static_cast<uint32_t>(eval_ebpf_subset(p, ctx));
    if ((*jit)->run(ctx) != want) {
      std::string dump;
      for (const isa::Insn& i : p)
        dump +=
            fmt::format("{:02x} r{} r{} {} {}\n", i.opcode, int(i.dst), int(i.src), i.off, i.imm);
      FAIL() << "round " << round << ": jit " << (*jit)->run(ctx) << ", evaluator " << want << "\n"
             << dump;
    }
  }
}

TEST(FilterJit, RefusesWhatItDoesNotCompileAndTheFactoryFallsBack) {
  std::vector<isa::Insn> call = {mk(0x85, 0, 0, 0, 1), mk(0x95, 0, 0, 0, 0)};
  auto j = FilterJit::compile(call);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, Errc::kUnsupported);
  EXPECT_EQ(j.error().where.insn, 0);
  std::vector<isa::Insn> off_end = {mk(0xb7, 0, 0, 0, 1)};
  EXPECT_FALSE(filter_jit_supports(off_end));
  std::vector<isa::Insn> bad_jump = {mk(0x05, 0, 0, 5, 0), mk(0x95, 0, 0, 0, 0)};
  EXPECT_FALSE(filter_jit_supports(bad_jump));
  // sdiv (off = 1) is outside the subset: the factory hands it to the interpreter.
  std::vector<isa::Insn> sdiv = {mk(0xb7, 0, 0, 0, -6), mk(0x37, 0, 0, 1, 3), mk(0x95, 0, 0, 0, 0)};
  EXPECT_FALSE(filter_jit_supports(sdiv));
  auto r = lean_jit_ebpf_engine()(sdiv);
  ASSERT_TRUE(r.ok()) << r.error().format();
  uint8_t ctx[64] = {};
  EXPECT_EQ(static_cast<int64_t>((*r)(ctx)), -2);
}

}  // namespace
}  // namespace bombus::net
