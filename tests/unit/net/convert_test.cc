// cBPF -> eBPF conversion: the converted program, run on vm's interpreter and on the lean
// filter JIT, returns exactly what the classic reference interpreter and libpcap's own
// bpf_filter() return, for every packet of a generated capture and a battery of tcpdump
// expressions, plus hand-written programs that reach the corners (scratch memory, LD IND, MSH,
// division by X == 0, LEN).
#include <gtest/gtest.h>

#include <cstring>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"
#include "net/filter.h"
#include "net/filter_jit.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

using namespace cbpf;

CbpfInsn I(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
  return CbpfInsn{code, jt, jf, k};
}

uint32_t run_converted(const std::vector<isa::Insn>& prog, std::span<const uint8_t> data,
                       uint32_t wire_len, const SkbMeta& meta = {}) {
  CbpfSkbCtx ctx = make_skb_ctx(data, wire_len, meta);
  auto run = interp_ebpf_engine()(prog);
  EXPECT_TRUE(run.ok()) << run.error().format();
  return run.ok() ? static_cast<uint32_t>((*run)(&ctx)) : ~0u;
}

const std::vector<Packet>& traffic() {
  static const std::vector<Packet> pkts = [] {
    TrafficOptions o;
    o.seed = 7;
    o.count = 600;
    o.malformed_percent = 8;
    o.truncated_percent = 8;
    o.vlan_percent = 15;
    return generate_traffic(o);
  }();
  return pkts;
}

const std::vector<std::string> kExpressions = {
    "",
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "host 10.0.0.1",
    "src host 192.168.1.1 and dst host 8.8.8.8",
    "net 10.0.0.0/16",
    "net 192.168.0.0/16 or net 172.16.0.0/12",
    "port 53",
    "tcp port 80 or tcp port 443",
    "udp dst port 123",
    "portrange 30000-40000",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)",
    "tcp[tcpflags] & tcp-rst != 0",
    "vlan",
    "vlan 100",
    "vlan and ip and udp",
    "vlan and tcp port 22",
    "ip6 and tcp",
    "ip6 host fd00:0:0:1::1",
    "ip6 net 2001:db8::/32",
    "ip6 and udp port 53",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0",
    "ip[8] < 5",
    "ip[0] & 0xf != 5",
    "len > 1000",
    "len <= 64",
    "greater 200",
    "less 100",
    "ether broadcast",
    "ether host 02:00:00:00:00:01",
    "ip proto 17 and not port 53",
    "icmp[icmptype] == icmp-echo",
    "tcp[13] = 0x12",
    "udp[4:2] > 512",
    "ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) != 0",
    "ip[2:2] / 4 > 100",
    "ip[2:2] % 7 == 3",
    "ether[0] & 1 = 0 and ip[16] >= 224",
    "not ip and not ip6",
    "ip6 and ip6[6] == 58",
};

TEST(Convert, HandWrittenCorners) {
  std::vector<uint8_t> pkt(64);
  for (size_t i = 0; i < pkt.size(); ++i) pkt[i] = static_cast<uint8_t>(i * 7 + 3);
  pkt[14] = 0x45;
  std::vector<std::vector<CbpfInsn>> progs = {
      // scratch memory round trip and arithmetic
      {I(kLd | kW | kAbs, 0, 0, 0), I(kSt, 0, 0, 15), I(kLd | kImm, 0, 0, 3),
       I(kLdx | kMem, 0, 0, 15), I(kAlu | kAdd | kX, 0, 0, 0), I(kRet | kA, 0, 0, 0)},
      // LD IND and MSH (ip header length then the word after it)
      {I(kLdx | kB | kMsh, 0, 0, 14), I(kLd | kH | kInd, 0, 0, 14), I(kRet | kA, 0, 0, 0)},
      // LD IND out of range: returns 0
      {I(kLdx | kImm, 0, 0, 62), I(kLd | kW | kInd, 0, 0, 0), I(kRet | kK, 0, 0, 9)},
      // LD IND with X + k wrapping 32 bits
      {I(kLdx | kImm, 0, 0, 0xfffffffe), I(kLd | kB | kInd, 0, 0, 4), I(kRet | kA, 0, 0, 0)},
      // division by X == 0 returns 0, by non-zero divides
      {I(kLd | kImm, 0, 0, 100), I(kAlu | kDiv | kX, 0, 0, 0), I(kRet | kK, 0, 0, 5)},
      {I(kLd | kImm, 0, 0, 100), I(kLdx | kImm, 0, 0, 7), I(kAlu | kMod | kX, 0, 0, 0),
       I(kRet | kA, 0, 0, 0)},
      // shifts by X use X & 31; negation; unsigned compare with k >= 2^31
      {I(kLd | kImm, 0, 0, 1), I(kLdx | kImm, 0, 0, 33), I(kAlu | kLsh | kX, 0, 0, 0),
       I(kAlu | kNeg, 0, 0, 0), I(kJmp | kJgt | kK, 0, 1, 0x80000000u), I(kRet | kA, 0, 0, 0),
       I(kRet | kK, 0, 0, 1)},
      // jset with both branches not falling through, JA
      {I(kLd | kB | kAbs, 0, 0, 3), I(kJmp | kJset | kK, 1, 2, 0x10), I(kRet | kK, 0, 0, 1),
       I(kJmp | kJa, 0, 0, 1), I(kRet | kK, 0, 0, 2), I(kRet | kK, 0, 0, 3)},
      // LEN on both registers, TAX/TXA
      {I(kLd | kW | kLen, 0, 0, 0), I(kMisc | kTax, 0, 0, 0), I(kLdx | kW | kLen, 0, 0, 0),
       I(kMisc | kTxa, 0, 0, 0), I(kAlu | kSub | kK, 0, 0, 1), I(kRet | kA, 0, 0, 0)},
      // huge absolute offset never loads
      {I(kLd | kW | kAbs, 0, 0, 0x7ffffffe), I(kRet | kK, 0, 0, 4)},
      // a word load beyond 32767 (needs the add path)
      {I(kLd | kB | kAbs, 0, 0, 40000), I(kRet | kK, 0, 0, 4)},
      // ancillary: protocol, len via AD, xor_x
      {I(kLd | kH | kAbs, 0, 0, kAdOff + kAdProtocol), I(kLdx | kImm, 0, 0, 0xff),
       I(kLd | kW | kAbs, 0, 0, kAdOff + kAdAluXorX), I(kRet | kA, 0, 0, 0)},
  };
  SkbMeta meta;
  meta.protocol = 0x86dd;
  for (size_t n = 0; n < progs.size(); ++n) {
    ASSERT_TRUE(check_cbpf(progs[n]).ok()) << n << ": " << check_cbpf(progs[n]).error().format();
    auto e = convert_cbpf(progs[n]);
    ASSERT_TRUE(e.ok()) << n << ": " << e.error().format();
    for (uint32_t len : {0u, 13u, 20u, 64u}) {
      std::span<const uint8_t> d(pkt.data(), len);
      EXPECT_EQ(run_converted(*e, d, 1000 + len, meta), run_cbpf(progs[n], d, 1000 + len, meta))
          << "program " << n << " caplen " << len << "\n"
          << disasm_cbpf(progs[n]);
    }
  }
  // A few values computed by hand, so the two engines cannot be wrong together.
  auto e0 = convert_cbpf(progs[0]);
  EXPECT_EQ(run_converted(*e0, pkt, 64), 0x030a1118u + 3);
  auto e1 = convert_cbpf(progs[1]);
  EXPECT_EQ(run_converted(*e1, pkt, 64), static_cast<uint32_t>((pkt[34] << 8) | pkt[35]));
  auto e4 = convert_cbpf(progs[4]);
  EXPECT_EQ(run_converted(*e4, pkt, 64), 0u);
  auto e5 = convert_cbpf(progs[5]);
  EXPECT_EQ(run_converted(*e5, pkt, 64), 2u);
  auto e8 = convert_cbpf(progs[8]);
  EXPECT_EQ(run_converted(*e8, pkt, 64), 63u);
}

TEST(Convert, RefusesHelperAncillariesAndUncheckedPrograms) {
  auto r = convert_cbpf(
      std::vector<CbpfInsn>{I(kLd | kW | kAbs, 0, 0, kAdOff + kAdRandom), I(kRet | kA, 0, 0, 0)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnsupported);
  EXPECT_EQ(r.error().where.insn, 0);
  auto bad =
      convert_cbpf(std::vector<CbpfInsn>{I(kAlu | kDiv | kK, 0, 0, 0), I(kRet | kA, 0, 0, 0)});
  ASSERT_FALSE(bad.ok());
}

TEST(Convert, SeccompModeReadsHostOrderWords) {
  std::vector<CbpfInsn> p = {I(kLd | kW | kAbs, 0, 0, 4), I(kLdx | kW | kLen, 0, 0, 0),
                             I(kAlu | kAdd | kX, 0, 0, 0), I(kRet | kA, 0, 0, 0)};
  auto e = convert_cbpf(p, CbpfMode::kSeccomp);
  ASSERT_TRUE(e.ok()) << e.error().format();
  uint8_t data[64] = {};
  uint32_t arch = 0xc000003e;
  std::memcpy(data + 4, &arch, 4);
  auto run = interp_ebpf_engine(CbpfMode::kSeccomp)(*e);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(static_cast<uint32_t>((*run)(data)), 0xc000003eu + 64);
  auto jit = FilterJit::compile(*e);
  ASSERT_TRUE(jit.ok()) << jit.error().format();
  EXPECT_EQ((*jit)->run(data), 0xc000003eu + 64);
  EXPECT_EQ(run_cbpf(p, data, 0, {}, CbpfMode::kSeccomp), 0xc000003eu + 64);
}

TEST(Convert, TcpdumpExpressionsAgreeWithLibpcapOnEveryPacket) {
  const auto& pkts = traffic();
  size_t total_matches = 0;
  for (const std::string& expr : kExpressions) {
    auto prog = compile_tcpdump(expr);
    ASSERT_TRUE(prog.ok()) << prog.error().format();
    ASSERT_TRUE(check_cbpf(*prog).ok()) << expr << ": " << check_cbpf(*prog).error().format();
    auto ebpf = convert_cbpf(*prog);
    ASSERT_TRUE(ebpf.ok()) << expr << ": " << ebpf.error().format();
    auto jit = FilterJit::compile(*ebpf);
    ASSERT_TRUE(jit.ok()) << expr << ": " << jit.error().format();
    size_t matches = 0;
    for (size_t n = 0; n < pkts.size(); ++n) {
      const Packet& p = pkts[n];
      uint32_t want = libpcap_bpf_filter(*prog, p.data, p.wire_len);
      uint32_t classic = run_cbpf(*prog, p.data, p.wire_len);
      uint32_t got = run_converted(*ebpf, p.data, p.wire_len);
      CbpfSkbCtx ctx = make_skb_ctx(p.data, p.wire_len);
      ASSERT_EQ(classic, want) << "'" << expr << "' packet " << n;
      ASSERT_EQ(got, want) << "'" << expr << "' packet " << n << "\n" << disasm_cbpf(*prog);
      ASSERT_EQ((*jit)->run(&ctx), want) << "'" << expr << "' packet " << n;
      matches += want != 0;
    }
    total_matches += matches;
  }
  EXPECT_GT(total_matches, 1000u);  // the battery really selects packets
}

TEST(Convert, InterpreterFastAndCheckedAgreeWithLibpcap) {
  const auto& pkts = traffic();
  auto fast_f = interp_ebpf_engine(CbpfMode::kSocket, false);
  auto checked_f = interp_ebpf_engine(CbpfMode::kSocket, true);
  for (const std::string& expr : kExpressions) {
    auto prog = compile_tcpdump(expr);
    ASSERT_TRUE(prog.ok());
    auto ebpf = convert_cbpf(*prog);
    ASSERT_TRUE(ebpf.ok());
    auto fast = fast_f(*ebpf);
    ASSERT_TRUE(fast.ok()) << expr << ": " << fast.error().format();
    auto checked = checked_f(*ebpf);
    ASSERT_TRUE(checked.ok()) << checked.error().format();
    for (size_t n = 0; n < pkts.size(); ++n) {
      const Packet& p = pkts[n];
      uint32_t want = libpcap_bpf_filter(*prog, p.data, p.wire_len);
      CbpfSkbCtx ctx = make_skb_ctx(p.data, p.wire_len);
      ASSERT_EQ(static_cast<uint32_t>((*fast)(&ctx)), want) << "'" << expr << "' packet " << n;
      ASSERT_EQ(static_cast<uint32_t>((*checked)(&ctx)), want) << "'" << expr << "' packet " << n;
    }
  }
}

TEST(Convert, ProtochainNeedsLibpcapRulesAndStillAgrees) {
  const auto& pkts = traffic();
  for (const char* expr : {"ip protochain 6", "ip6 protochain 17", "ip6 protochain 58"}) {
    auto prog = compile_tcpdump(expr);
    ASSERT_TRUE(prog.ok());
    Status kernel = check_cbpf(*prog, CbpfMode::kSocket);
    ASSERT_FALSE(kernel.ok()) << expr;  // the kernel refuses backward jumps
    EXPECT_NE(kernel.error().message.find("outside"), std::string::npos);
    auto mode = filter_mode(*prog);
    ASSERT_TRUE(mode.ok());
    EXPECT_EQ(*mode, CbpfMode::kLibpcap);
    auto ebpf = convert_cbpf(*prog, CbpfMode::kLibpcap);
    ASSERT_TRUE(ebpf.ok()) << ebpf.error().format();
    auto run = interp_ebpf_engine(CbpfMode::kLibpcap, true)(*ebpf);
    ASSERT_TRUE(run.ok());
    auto jit = FilterJit::compile(*ebpf);
    ASSERT_TRUE(jit.ok()) << jit.error().format();
    size_t matches = 0;
    for (size_t n = 0; n < pkts.size(); ++n) {
      const Packet& p = pkts[n];
      uint32_t want = libpcap_bpf_filter(*prog, p.data, p.wire_len);
      CbpfSkbCtx ctx = make_skb_ctx(p.data, p.wire_len);
      ASSERT_EQ(run_cbpf(*prog, p.data, p.wire_len), want) << expr << " packet " << n;
      ASSERT_EQ(static_cast<uint32_t>((*run)(&ctx)), want) << expr << " packet " << n;
      ASSERT_EQ((*jit)->run(&ctx), want) << expr << " " << n;  // backward jumps in the JIT
      matches += want != 0;
    }
    EXPECT_GT(matches, 0u) << expr;
  }
}

TEST(Convert, CompileErrorsCarryLibpcapText) {
  auto r = compile_tcpdump("tcp port nonsense-port-name");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nonsense-port-name"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace bombus::net
