// `bombus net run ... redirect [TARGET] FILE` as a command: per-target pcap outputs hold exactly
// the packets the program sent to each target (checked from the packet bytes), `redirect FILE`
// keeps every redirected packet, -j has per-target counts, and outputs do not depend on the
// thread count; a devmap broadcast (map filled through the store, like bpftool) writes every
// frame to each device of the map but the ingress one; bad targets give clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "net/pcap_io.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

namespace fs = std::filesystem;
using cli_test::Ran;
using cli_test::run;
using cli_test::slurp;

class NetCliRedirect : public cli_test::CaptureDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(NET_REDIRECT_OBJ)) GTEST_SKIP() << NET_REDIRECT_OBJ << " not built";
    make_capture("bombus-net-redirect-", 23, 2000);
  }
};

// xdp_redirect_dst's target for a frame: IPv4 goes to 10 + (last destination byte & 3).
int dst_target(const Packet& p) {
  const auto& d = p.data;
  if (d.size() < 34 || d[12] != 0x08 || d[13] != 0x00) return 0;
  return 10 + (d[33] & 3);
}

TEST_F(NetCliRedirect, PerTargetOutputsHoldExactlyTheirPackets) {
  std::map<int, std::vector<Packet>> want;
  size_t redirected = 0;
  for (const Packet& p : pkts_) {
    if (int t = dst_target(p)) {
      want[t].push_back(p);
      ++redirected;
    }
  }
  ASSERT_GE(want.size(), 2u);
  std::vector<int> with_output;  // every target but the last gets an output of its own
  for (const auto& [t, list] : want)
    if (t != want.rbegin()->first) with_output.push_back(t);
  for (unsigned threads : {1u, 3u}) {
    const std::string tag = std::to_string(threads);
    std::string args = std::string("-j net run ") + NET_REDIRECT_OBJ +
                       " prog xdp_redirect_dst pcap " + in() + " redirect " +
                       file("all" + tag + ".pcap") + " threads " + tag;
    for (int t : with_output)
      args += " redirect ifindex " + std::to_string(t) + " " +
              file("r" + std::to_string(t) + "_" + tag + ".pcap");
    Ran r = run(args);
    ASSERT_EQ(r.status, 0) << r.out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j["verdicts"]["redirect"], redirected);
    EXPECT_EQ(j["redirect_unknown"], 0);
    ASSERT_EQ(j["redirect_targets"].size(), want.size()) << j.dump();
    for (const auto& e : j["redirect_targets"])
      EXPECT_EQ(e["packets"], want[e["ifindex"].get<int>()].size()) << e.dump();
    EXPECT_EQ(packets("all" + tag + ".pcap").size(), redirected);
    for (int t : with_output) {
      const auto got = packets("r" + std::to_string(t) + "_" + tag + ".pcap");
      ASSERT_EQ(got.size(), want[t].size()) << "ifindex " << t;
      for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, want[t][i].data) << i;
    }
  }
  for (int t : with_output)
    EXPECT_EQ(slurp(file("r" + std::to_string(t) + "_1.pcap")),
              slurp(file("r" + std::to_string(t) + "_3.pcap")));
}

TEST_F(NetCliRedirect, BroadcastThroughAStoreDevmap) {
  const std::string env = "BOMBUS_ROOT=" + file("store") + " ";
  fs::create_directories(dir_ / "pins");
  Ran load = run(std::string("prog loadall ") + NET_REDIRECT_OBJ + " " + file("pins/p") +
                     " pinmaps " + file("pins/maps"),
                 env);
  ASSERT_EQ(load.status, 0) << load.out;
  // ports: 0 -> 5, 1 -> 1 (the ingress device of a capture run: excluded), 4 -> 7.
  for (const char* kv :
       {"key 0 0 0 0 value 5 0 0 0", "key 1 0 0 0 value 1 0 0 0", "key 4 0 0 0 value 7 0 0 0"}) {
    Ran u = run("map update pinned " + file("pins/maps/ports") + " " + kv, env);
    ASSERT_EQ(u.status, 0) << u.out;
  }
  Ran r = run("-j net run pinned " + file("pins/p/xdp_broadcast") + " pcap " + in() +
                  " redirect ifindex 5 " + file("b5.pcap") + " redirect ifindex 7 " +
                  file("b7.pcap") + " redirect ifindex 1 " + file("b1.pcap"),
              env);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  std::vector<Packet> frames;  // runts never reach XDP (aborted)
  for (const Packet& p : pkts_)
    if (p.data.size() >= 14) frames.push_back(p);
  EXPECT_EQ(j["verdicts"]["redirect"], frames.size());
  EXPECT_EQ(j["redirect_targets"],
            nlohmann::json::parse("[{\"ifindex\":5,\"packets\":" + std::to_string(frames.size()) +
                                  "},{\"ifindex\":7,\"packets\":" + std::to_string(frames.size()) +
                                  "}]"));
  for (const char* f : {"b5.pcap", "b7.pcap"}) {
    const auto got = packets(f);
    ASSERT_EQ(got.size(), frames.size()) << f;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, frames[i].data) << f << i;
  }
  EXPECT_TRUE(packets("b1.pcap").empty());
}

TEST_F(NetCliRedirect, BadTargetsAreClearErrors) {
  const std::string base =
      std::string("net run ") + NET_REDIRECT_OBJ + " prog xdp_redirect_dst pcap " + in();
  Ran no_n = run(base + " redirect ifindex");
  EXPECT_NE(no_n.status, 0);
  EXPECT_NE(no_n.out.find("ifindex"), std::string::npos) << no_n.out;
  Ran big = run(base + " redirect cpu 4294967296 x.pcap");
  EXPECT_NE(big.status, 0);
  EXPECT_NE(big.out.find("32 bits"), std::string::npos) << big.out;
  Ran no_file = run(base + " redirect xsk 3");
  EXPECT_NE(no_file.status, 0);
  EXPECT_NE(no_file.out.find("output file"), std::string::npos) << no_file.out;
}

}  // namespace
}  // namespace bombus::net
