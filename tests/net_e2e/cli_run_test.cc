// `bombus net run` and `bombus filter` as commands: an XDP program (per-CPU counter, drop,
// XDP_TX rewrite, adjust_tail) over a generated capture gives the same verdict counts and the
// same output files on 1 and on 3 threads, and the expected verdicts per packet; `filter` on
// the default engine matches libpcap's count; bad arguments give clear errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_util.h"
#include "net/pcap_io.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

namespace fs = std::filesystem;
using cli_test::Ran;
using cli_test::run;
using cli_test::slurp;

class NetCli : public cli_test::CaptureDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(NET_CLI_OBJ)) GTEST_SKIP() << NET_CLI_OBJ << " not built";
    make_capture("bombus-net-cli-", 11, 3000);
  }
  // Runs xdp_mix on `threads` threads into files suffixed `tag`; returns the JSON stats.
  nlohmann::json mix(unsigned threads, const std::string& tag) {
    std::string args = std::string("-j net run ") + NET_CLI_OBJ + " prog xdp_mix pcap " +
                       (dir_ / "in.pcap").string();
    for (const char* v : {"pass", "drop", "tx", "aborted"})
      args += std::string(" ") + v + " " + (dir_ / (std::string(v) + tag + ".pcap")).string();
    args += " threads " + std::to_string(threads);
    Ran r = run(args);
    EXPECT_EQ(r.status, 0) << r.out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
};

// What xdp_mix does to one frame, computed here from the bytes.
int expected_verdict(const Packet& p, size_t* out_len) {
  const auto& d = p.data;
  *out_len = d.size();
  if (d.size() < 34 || d[12] != 0x08 || d[13] != 0x00 || (d[14] & 0x0f) != 5) return 2;
  if (d[23] == 17) {
    if (d.size() < 42) return 2;
    const int dport = (d[36] << 8) | d[37];
    return dport == 53 ? 1 : dport == 123 ? 3 : 2;
  }
  if (d[23] == 6 && d.size() >= 100) *out_len = d.size() - 4;
  return 2;
}

TEST_F(NetCli, ThreadsGiveTheSameCountsAndOutputs) {
  auto one = mix(1, "1");
  auto three = mix(3, "3");
  ASSERT_TRUE(one.contains("verdicts")) << one.dump();
  EXPECT_EQ(one["packets"], pkts_.size());
  EXPECT_EQ(one["verdicts"], three["verdicts"]);
  EXPECT_EQ(three["threads"], 3);
  for (const char* v : {"pass", "drop", "tx", "aborted"}) {
    const std::string a = slurp(dir_ / (std::string(v) + "1.pcap"));
    const std::string b = slurp(dir_ / (std::string(v) + "3.pcap"));
    EXPECT_FALSE(a.empty()) << v;
    EXPECT_EQ(a, b) << v << ": outputs differ between 1 and 3 threads";
  }
  // Verdicts and output bytes as computed from the capture.
  uint64_t want[5] = {};
  std::vector<Packet> want_pass, want_tx;
  for (const Packet& p : pkts_) {
    size_t len = 0;
    const int v = expected_verdict(p, &len);
    ++want[v];
    Packet q = p;
    q.data.resize(len);
    if (v == 3) {
      std::swap_ranges(q.data.begin(), q.data.begin() + 6, q.data.begin() + 6);
      want_tx.push_back(q);
    }
    if (v == 2) want_pass.push_back(q);
  }
  // Frames shorter than an Ethernet header never reach XDP: aborted.
  uint64_t runts = 0;
  for (const Packet& p : pkts_) runts += p.data.size() < 14;
  EXPECT_EQ(one["verdicts"]["aborted"], runts);
  EXPECT_EQ(one["verdicts"]["drop"], want[1]);
  EXPECT_EQ(one["verdicts"]["tx"], want[3]);
  EXPECT_EQ(one["verdicts"]["pass"], want[2] - runts);
  ASSERT_GT(want[1], 0u);
  ASSERT_GT(want[3], 0u);
  auto tx = read_capture((dir_ / "tx1.pcap").string());
  ASSERT_TRUE(tx.ok());
  ASSERT_EQ(tx->packets.size(), want_tx.size());
  for (size_t i = 0; i < want_tx.size(); ++i) EXPECT_EQ(tx->packets[i].data, want_tx[i].data) << i;
  auto pass = read_capture((dir_ / "pass1.pcap").string());
  ASSERT_TRUE(pass.ok());
  std::vector<Packet> long_pass;
  for (const Packet& p : want_pass)
    if (p.data.size() >= 14) long_pass.push_back(p);
  ASSERT_EQ(pass->packets.size(), long_pass.size());
  for (size_t i = 0; i < long_pass.size(); ++i)
    EXPECT_EQ(pass->packets[i].data, long_pass[i].data) << i;
}

TEST_F(NetCli, EnginesAgree) {
  const std::string base = std::string("-j net run ") + NET_CLI_OBJ + " prog xdp_mix pcap " +
                           (dir_ / "in.pcap").string();
  Ran jit = run(base);
  Ran interp = run(base + " engine interp");
  ASSERT_EQ(jit.status, 0) << jit.out;
  ASSERT_EQ(interp.status, 0) << interp.out;
  auto a = nlohmann::json::parse(jit.out), b = nlohmann::json::parse(interp.out);
  EXPECT_EQ(a["verdicts"], b["verdicts"]);
}

TEST_F(NetCli, TextOutputAndErrors) {
  Ran r = run(std::string("net run ") + NET_CLI_OBJ + " prog xdp_pass pcap " +
              (dir_ / "in.pcap").string() + " count 100");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("100 packets"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ns/packet"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("packets/s"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "no progress bar in a pipe";
  Ran bad = run(std::string("net run ") + NET_CLI_OBJ + " pcap " + (dir_ / "in.pcap").string() +
                " threads 0");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("threads"), std::string::npos) << bad.out;
  Ran both = run(std::string("net run ") + NET_CLI_OBJ + " pcap x.pcap dev lo");
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.out.find("not both"), std::string::npos) << both.out;
}

TEST_F(NetCli, FilterMatchesLibpcap) {
  const std::string in = (dir_ / "in.pcap").string();
  for (const char* expr : {"tcp port 80 or tcp port 443", "ip6 and udp", "vlan and udp",
                           "ip[8] / ip[1] = 0 or len - 14 > 400"}) {
    Ran a = run(std::string("-j filter '") + expr + "' " + in);
    Ran b = run(std::string("-j filter '") + expr + "' " + in + " engine libpcap");
    ASSERT_EQ(a.status, 0) << a.out;
    ASSERT_EQ(b.status, 0) << b.out;
    EXPECT_EQ(nlohmann::json::parse(a.out), nlohmann::json::parse(b.out)) << expr;
  }
}

}  // namespace
}  // namespace bombus::net
