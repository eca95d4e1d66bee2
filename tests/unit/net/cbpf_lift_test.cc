// lift_converted (cbpf_to_ebpf.h): the classic program read back from convert_cbpf's output
// passes the kernel's checker and gives libpcap's answer of the original on every packet, for the
// tcpdump battery and more expressions (arithmetic, lengths, byte tests, negation); the vector
// JIT compiles it; eBPF that is not the converter's and conversions of ancillary loads are
// refused with the instruction named.
#include <gtest/gtest.h>

#include "net/cbpf_to_ebpf.h"
#include "net/filter.h"
#include "net/filter_vec.h"
#include "net/traffic.h"
#include "test_util.h"

namespace bombus::net {
namespace {

TEST(CbpfLift, ReadsBackWhatTheConverterWroteForTcpdumpExpressions) {
  TrafficOptions o;
  o.seed = 31;
  o.count = 800;
  o.truncated_percent = 20;
  o.malformed_percent = 10;
  o.vlan_percent = 30;
  const auto pkts = generate_traffic(o);
  std::vector<std::string> exprs(std::begin(testing::kFilterExprs),
                                 std::end(testing::kFilterExprs));
  for (const char* e :
       {"ip[2:2] / 4 > 100", "len > 100 and len < 600", "ether[0] & 1 != 0", "tcp[13] = 2",
        "not ip", "icmp or arp", "ip[0] & 0xf > 5", "udp[8:4] % 7 = 3", "ip6 and tcp port 22"})
    exprs.push_back(e);
  for (const std::string& e : exprs) {
    auto cbpf = compile_tcpdump(e);
    ASSERT_TRUE(cbpf.ok()) << e;
    auto ebpf = convert_cbpf(*cbpf);
    ASSERT_TRUE(ebpf.ok()) << e;
    auto lifted = lift_converted(*ebpf);
    ASSERT_TRUE(lifted.ok()) << e << ": " << lifted.error().format();
    EXPECT_TRUE(check_cbpf(*lifted).ok()) << e;
    EXPECT_LE(lifted->size(), cbpf->size() + 1) << e;  // + the converter's shared `return 0`
    for (const Packet& p : pkts)
      ASSERT_EQ(libpcap_bpf_filter(*lifted, p.data, p.wire_len),
                libpcap_bpf_filter(*cbpf, p.data, p.wire_len))
          << e;
    if (FilterVec::cpu_supported()) EXPECT_TRUE(FilterVec::compile(*lifted).ok()) << e;
  }
}

TEST(CbpfLift, RefusesOtherEbpfAndAncillaryLoads) {
  isa::Insn mov{}, exit{};
  mov.opcode = 0xb7;  // r0 = 1
  mov.imm = 1;
  exit.opcode = 0x95;
  const std::vector<isa::Insn> other = {mov, exit};
  auto r = lift_converted(other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnsupported);
  EXPECT_NE(r.error().format().find("prologue"), std::string::npos) << r.error().format();
  // ld #proto (SKF_AD_PROTOCOL) reads the context's metadata: no classic load of packet bytes.
  const std::vector<CbpfInsn> proto = {
      {static_cast<uint16_t>(cbpf::kLd | cbpf::kH | cbpf::kAbs), 0, 0, cbpf::kAdOff},
      {static_cast<uint16_t>(cbpf::kRet | cbpf::kA), 0, 0, 0}};
  auto ebpf = convert_cbpf(proto);
  ASSERT_TRUE(ebpf.ok()) << ebpf.error().format();
  auto l = lift_converted(*ebpf);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::kUnsupported);
  EXPECT_EQ(l.error().where.insn, 5);  // the first instruction after the prologue
  EXPECT_NE(l.error().format().find("ancillary"), std::string::npos) << l.error().format();
}

}  // namespace
}  // namespace bombus::net
