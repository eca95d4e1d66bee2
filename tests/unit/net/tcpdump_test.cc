// `bombus filter` semantics against tcpdump itself: for a battery of expressions over a
// generated capture, run_filter's match count equals the number of packets tcpdump selects
// (tcpdump -r IN -w OUT EXPR, OUT counted), and the packets written are the same ones.
#include <gtest/gtest.h>

#include "net/filter.h"
#include "net/traffic.h"
#include "test_util.h"

namespace bombus::net {
namespace {

TEST(Tcpdump, MatchCountsEqualTcpdumps) {
  if (!testing::have_program("tcpdump")) GTEST_SKIP() << "tcpdump is not installed";
  testing::TempDir dir;
  TrafficOptions o;
  o.seed = 11;
  o.count = 400;
  o.malformed_percent = 6;
  o.truncated_percent = 6;
  o.vlan_percent = 15;
  const std::string in = dir.file("in.pcap");
  ASSERT_TRUE(write_traffic(in, o).ok());
  const std::vector<std::string> exprs = {"ip",
                                          "ip6",
                                          "arp",
                                          "tcp",
                                          "udp",
                                          "icmp",
                                          "icmp6",
                                          "host 10.0.0.1",
                                          "net 10.0.0.0/16",
                                          "src net 192.168.0.0/16 and dst port 53",
                                          "tcp port 80 or tcp port 443",
                                          "portrange 30000-40000",
                                          "tcp[tcpflags] & tcp-syn != 0",
                                          "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-ack",
                                          "vlan",
                                          "vlan 100",
                                          "vlan and udp",
                                          "ip6 and tcp",
                                          "ip6 net 2001:db8::/32",
                                          "ip6 host fe80::2",
                                          "ip[6:2] & 0x1fff != 0",
                                          "ip[8] < 5",
                                          "len > 1000",
                                          "less 100",
                                          "greater 500",
                                          "ether broadcast",
                                          "icmp[icmptype] == icmp-echo",
                                          "udp[4:2] > 512",
                                          "ip[2:2] % 7 == 3",
                                          "ip protochain 6",
                                          "ip6 protochain 17",
                                          "not ip and not ip6",
                                          "ip proto 17 and not port 53"};
  for (const std::string& expr : exprs) {
    const std::string out = dir.file("ours.pcap"), theirs = dir.file("theirs.pcap");
    auto stats = run_filter(expr, in, out);
    ASSERT_TRUE(stats.ok()) << expr << ": " << stats.error().format();
    std::string cmd = "tcpdump -r " + in + " -w " + theirs + " '" + expr + "' 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto t = read_capture(theirs);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(stats->matched, t->packets.size()) << expr;
    EXPECT_EQ(stats->packets, o.count);
    auto ours = read_capture(out);
    ASSERT_TRUE(ours.ok());
    ASSERT_EQ(ours->packets.size(), t->packets.size()) << expr;
    for (size_t i = 0; i < ours->packets.size(); ++i)
      ASSERT_EQ(ours->packets[i].data, t->packets[i].data) << expr << " match " << i;
  }
}

TEST(Tcpdump, EnginesAgreeAndDamagedInputReportsAfterWriting) {
  testing::TempDir dir;
  TrafficOptions o;
  o.count = 50;
  auto pkts = generate_traffic(o);
  auto bytes = *capture_to_bytes(pkts);
  size_t cut = 24;
  for (size_t i = 0; i < 30; ++i) cut += 16 + pkts[i].data.size();
  bytes.resize(cut + 10);  // damage packet 31
  const std::string in = dir.file("cut.pcap"), out = dir.file("out.pcap");
  testing::write_file(in, bytes);
  FilterOptions f;
  f.expr = "";
  f.input = in;
  f.write_out = out;
  auto r = run_filter(f);
  ASSERT_FALSE(r.ok());
  std::string msg = r.error().format();
  EXPECT_NE(msg.find("packet 31"), std::string::npos) << msg;
  EXPECT_EQ(r.error().where.byte_offset, static_cast<int64_t>(cut)) << msg;
  auto written = read_capture(out);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->packets.size(), 30u);

  ASSERT_TRUE(write_capture(in, pkts).ok());
  for (FilterEngine e : {FilterEngine::kEbpf, FilterEngine::kClassic, FilterEngine::kLibpcap}) {
    f.engine = e;
    f.expr = "udp or icmp6";
    f.write_out.reset();
    auto s = run_filter(f);
    ASSERT_TRUE(s.ok());
    auto ref = run_filter(f.expr, in, std::nullopt);
    EXPECT_EQ(s->matched, ref->matched);
    EXPECT_GT(s->matched, 0u);
    EXPECT_LT(s->matched, 50u);
  }
  EXPECT_NE(format_filter_stats(FilterStats{10, 3}, true).find("\"matched\":3"), std::string::npos);
}

}  // namespace
}  // namespace bombus::net
