// `bombus net run` with CPUMAP and XSKMAP redirects and the capture's ingress keywords, as
// commands: a cpumap filled through the store (like bpftool) sends each IPv4 frame to the CPU
// its destination picks, a CPU without an entry falls back to XDP_PASS; `redirect xsk N FILE`
// binds a socket for queue N into the program's xskmap for the run only, so an AF_XDP program
// (lookup, queue_id check, redirect) sends frames of `queue N` to FILE; `ifindex N` is the
// ingress device XDP and tc programs see; bad values are clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "net/pcap_io.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

namespace fs = std::filesystem;
using cli_test::Ran;
using cli_test::run;

class NetCliRedirectMaps : public cli_test::CaptureDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(NET_REDIRECT_OBJ)) GTEST_SKIP() << NET_REDIRECT_OBJ << " not built";
    make_capture("bombus-net-rmaps-", 31, 1500);
    for (const Packet& p : pkts_)
      if (p.data.size() >= 14) frames_.push_back(p);
  }
  nlohmann::json run_json(const std::string& args, const std::string& env = "") const {
    Ran r = run("-j " + args, env);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  std::string store_env() const { return "BOMBUS_ROOT=" + file("store") + " "; }
  void load_pinned() {
    fs::create_directories(dir_ / "pins");
    Ran load = run(std::string("prog loadall ") + NET_REDIRECT_OBJ + " " + file("pins/p") +
                       " pinmaps " + file("pins/maps"),
                   store_env());
    ASSERT_EQ(load.status, 0) << load.out;
  }
  std::vector<Packet> frames_;  // runts never reach the programs (aborted)
};

// xdp_cpu_spread's CPU for an IPv4 frame (last destination byte & 1), -1 for other frames.
int cpu_of(const Packet& p) {
  const auto& d = p.data;
  if (d.size() < 34 || d[12] != 0x08 || d[13] != 0x00) return -1;
  return d[33] & 1;
}

TEST_F(NetCliRedirectMaps, CpumapEntriesFromTheStoreDecideTheTargets) {
  load_pinned();
  // CPU 0 gets a queue of 64 frames; CPU 1 has no entry.
  Ran u = run("map update pinned " + file("pins/maps/cpus") + " key 0 0 0 0 value 64 0 0 0 0 0 0 0",
              store_env());
  ASSERT_EQ(u.status, 0) << u.out;
  std::vector<Packet> to0;
  for (const Packet& p : frames_)
    if (cpu_of(p) == 0) to0.push_back(p);
  ASSERT_FALSE(to0.empty());
  auto j = run_json("net run pinned " + file("pins/p/xdp_cpu_spread") + " pcap " + in() +
                        " redirect cpu 0 " + file("c0.pcap") + " redirect cpu 1 " +
                        file("c1.pcap") + " pass " + file("pass.pcap"),
                    store_env());
  EXPECT_EQ(j["verdicts"]["redirect"], to0.size()) << j.dump();
  EXPECT_EQ(j["verdicts"]["pass"], frames_.size() - to0.size()) << j.dump();
  EXPECT_EQ(j["redirect_targets"],
            nlohmann::json::parse("[{\"cpu\":0,\"packets\":" + std::to_string(to0.size()) + "}]"))
      << j.dump();
  const auto got = packets("c0.pcap");
  ASSERT_EQ(got.size(), to0.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, to0[i].data) << i;
  EXPECT_TRUE(packets("c1.pcap").empty());
  // A bad cpumap value is the kernel's error: qsize over 16384.
  Ran big = run(
      "map update pinned " + file("pins/maps/cpus") + " key 1 0 0 0 value 0x01 0x40 0 0 0 0 0 0",
      store_env());
  EXPECT_NE(big.status, 0) << big.out;
}

TEST_F(NetCliRedirectMaps, XskOutputIsTheSocketOfItsQueue) {
  const std::string base =
      std::string("net run ") + NET_REDIRECT_OBJ + " prog xdp_sock_queue pcap " + in();
  // Frames arrive on queue 2, where the socket is: every frame goes to it.
  auto on2 = run_json(base + " queue 2 redirect xsk 2 " + file("x2.pcap"));
  EXPECT_EQ(on2["verdicts"]["redirect"], frames_.size()) << on2.dump();
  EXPECT_EQ(
      on2["redirect_targets"],
      nlohmann::json::parse("[{\"xsk\":2,\"packets\":" + std::to_string(frames_.size()) + "}]"))
      << on2.dump();
  const auto got = packets("x2.pcap");
  ASSERT_EQ(got.size(), frames_.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, frames_[i].data) << i;
  // Queue 0 (the default) has no socket: the program passes them.
  auto on0 = run_json(base + " redirect xsk 2 " + file("x2b.pcap"));
  EXPECT_EQ(on0["verdicts"]["pass"], frames_.size()) << on0.dump();
  EXPECT_TRUE(packets("x2b.pcap").empty());
  // An index past the xskmap is a clear error.
  Ran over = run(base + " queue 8 redirect xsk 8 " + file("x8.pcap"));
  EXPECT_NE(over.status, 0);
  EXPECT_NE(over.out.find("xskmap 'xsks' has only 8 entries"), std::string::npos) << over.out;
}

TEST_F(NetCliRedirectMaps, XskSocketsLeaveAStoreMapWhenTheRunEnds) {
  load_pinned();
  const std::string base =
      "net run pinned " + file("pins/p/xdp_sock_queue") + " pcap " + in() + " queue 3";
  auto bound = run_json(base + " redirect xsk 3 " + file("x3.pcap"), store_env());
  EXPECT_EQ(bound["verdicts"]["redirect"], frames_.size()) << bound.dump();
  auto after = run_json(base, store_env());
  EXPECT_EQ(after["verdicts"]["pass"], frames_.size()) << after.dump();
  EXPECT_EQ(after["verdicts"]["redirect"], 0) << after.dump();
}

TEST_F(NetCliRedirectMaps, IngressIfindexKeyword) {
  for (const char* prog : {"xdp_sock_queue", "tc_ifindex"}) {
    const std::string base =
        std::string("net run ") + NET_REDIRECT_OBJ + " prog " + prog + " pcap " + in();
    auto on9 = run_json(base + " ifindex 9");
    EXPECT_EQ(on9["verdicts"]["drop"], frames_.size()) << prog << on9.dump();
    auto on1 = run_json(base);  // the default ingress device is 1
    EXPECT_EQ(on1["verdicts"]["pass"], frames_.size()) << prog << on1.dump();
    EXPECT_EQ(on1["verdicts"]["drop"], 0) << prog;
  }
  const std::string base =
      std::string("net run ") + NET_REDIRECT_OBJ + " prog xdp_sock_queue pcap " + in();
  Ran zero = run(base + " ifindex 0");
  EXPECT_NE(zero.status, 0);
  EXPECT_NE(zero.out.find("ifindex must be 1.."), std::string::npos) << zero.out;
  Ran big = run(base + " queue 4294967296");
  EXPECT_NE(big.status, 0);
  EXPECT_NE(big.out.find("queue must fit in 32 bits"), std::string::npos) << big.out;
  Ran live = run(std::string("net run ") + NET_REDIRECT_OBJ + " dev lo ifindex 5");
  EXPECT_NE(live.status, 0);
  EXPECT_NE(live.out.find("ifindex applies to captures"), std::string::npos) << live.out;
}

}  // namespace
}  // namespace bombus::net
