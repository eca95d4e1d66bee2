// The runner routes every packet to its verdict's output and counts per verdict; socket filter
// programs drop on 0 and trim to the returned length; a damaged capture is processed up to the
// damage; the parallel runner counts the same verdicts per thread as the sequential one.
#include "net/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "net/traffic.h"
#include "test_util.h"

namespace bombus::net {
namespace {

std::vector<Packet> sample(size_t n) {
  TrafficOptions o;
  o.seed = 5;
  o.count = n;
  return generate_traffic(o);
}

// Verdict chosen from the packet's own bytes, so the routing is checkable from outside.
Verdict by_byte(const uint8_t* d, size_t n) {
  return static_cast<Verdict>((n > 20 ? d[20] : n) % kNumVerdicts);
}

TEST(Runner, RoutesByVerdict) {
  auto pkts = sample(200);
  std::array<std::vector<Packet>, kNumVerdicts> outs;
  std::vector<std::unique_ptr<PacketSink>> sinks;
  RunnerOutputs o;
  for (size_t i = 0; i < kNumVerdicts; ++i) {
    sinks.push_back(vector_sink(&outs[i]));
    o.by_verdict[i] = sinks.back().get();
  }
  auto src = memory_source(pkts);
  auto st = run_packets(
      *src, [](PacketBuffer& p) { return by_byte(p.data(), p.size()); }, o);
  ASSERT_TRUE(st.ok()) << st.error().format();
  EXPECT_EQ(st->packets, 200u);
  std::array<std::vector<Packet>, kNumVerdicts> want;
  for (const Packet& p : pkts)
    want[static_cast<size_t>(by_byte(p.data.data(), p.data.size()))].push_back(p);
  for (size_t v = 0; v < kNumVerdicts; ++v) {
    EXPECT_EQ(st->per_verdict[v], want[v].size()) << verdict_name(static_cast<Verdict>(v));
    ASSERT_EQ(outs[v].size(), want[v].size());
    for (size_t i = 0; i < want[v].size(); ++i) EXPECT_EQ(outs[v][i].data, want[v][i].data);
  }
  EXPECT_GT(st->count(Verdict::kTx), 0u);
  EXPECT_NE(format_runner_stats(*st, true).find("\"redirect\":"), std::string::npos);
}

TEST(Runner, RewritesReachTheOutput) {
  auto pkts = sample(10);
  std::vector<Packet> tx;
  auto sink = vector_sink(&tx);
  RunnerOutputs o;
  o[Verdict::kTx] = sink.get();
  auto src = memory_source(pkts, 3);
  auto st = run_packets(
      *src,
      [](PacketBuffer& p) {
        std::swap_ranges(p.data(), p.data() + 6, p.data() + 6);  // swap MACs, like an XDP reflector
        EXPECT_TRUE(p.adjust_head(-4));                          // and push 4 bytes
        std::memset(p.data(), 0xab, 4);
        return Verdict::kTx;
      },
      o);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(tx.size(), 30u);
  for (size_t i = 0; i < tx.size(); ++i) {
    const Packet& in = pkts[i % 10];
    ASSERT_EQ(tx[i].data.size(), in.data.size() + 4);
    EXPECT_EQ(tx[i].data[0], 0xab);
    EXPECT_TRUE(std::equal(in.data.begin(), in.data.begin() + 6, tx[i].data.begin() + 10));
    EXPECT_EQ(tx[i].wire_len, in.wire_len + 4);
  }
}

TEST(Runner, SocketFilterFromTcpdumpExpression) {
  auto pkts = sample(300);
  auto prog = tcpdump_filter_program("udp");
  ASSERT_TRUE(prog.ok());
  auto src = memory_source(pkts);
  auto st = run_packets(*src, *prog);
  ASSERT_TRUE(st.ok());
  auto cbpf = compile_tcpdump("udp");
  uint64_t want = 0;
  for (const Packet& p : pkts) want += libpcap_bpf_filter(*cbpf, p.data, p.wire_len) != 0;
  EXPECT_EQ(st->count(Verdict::kPass), want);
  EXPECT_EQ(st->count(Verdict::kDrop), 300 - want);
  // A filter returning 20 keeps 20 bytes of every packet.
  auto trim = socket_filter_program([](const void*) -> uint64_t { return 20; });
  PacketBuffer b;
  b.assign(pkts[0].data, pkts[0].wire_len, 0);
  EXPECT_EQ(trim(b), Verdict::kPass);
  EXPECT_EQ(b.size(), 20u);
  EXPECT_EQ(b.wire_len, 20u);
}

TEST(Runner, DamagedCaptureProcessesEverythingBefore) {
  testing::TempDir dir;
  auto pkts = sample(20);
  auto bytes = *capture_to_bytes(pkts);
  size_t at = 24;
  for (size_t i = 0; i < 12; ++i) at += 16 + pkts[i].data.size();
  bytes.resize(at + 20);
  testing::write_file(dir.file("cut.pcap"), bytes);
  auto src = open_pcap_source(dir.file("cut.pcap"));
  ASSERT_TRUE(src.ok());
  auto sink = open_pcap_sink(dir.file("pass.pcap"));
  ASSERT_TRUE(sink.ok());
  RunnerOutputs o;
  o[Verdict::kPass] = sink->get();
  auto st = run_packets(
      **src, [](PacketBuffer&) { return Verdict::kPass; }, o);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("packet 13"), std::string::npos) << st.error().format();
  EXPECT_EQ(st.error().where.byte_offset, static_cast<int64_t>(at));
  auto written = read_capture(dir.file("pass.pcap"));
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->packets.size(), 12u);
}

TEST(Runner, ParallelCountsMatchSequential) {
  auto pkts = sample(100);
  auto make = []() -> Result<PacketProgram> {
    return PacketProgram([](PacketBuffer& p) { return by_byte(p.data(), p.size()); });
  };
  auto par = run_packets_parallel(pkts, make, 2, 3);
  ASSERT_TRUE(par.ok());
  auto src = memory_source(pkts);
  auto seq = run_packets(*src, *make());
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(par->packets, 600u);
  for (size_t v = 0; v < kNumVerdicts; ++v) EXPECT_EQ(par->per_verdict[v], seq->per_verdict[v] * 6);
}

TEST(Runner, VerdictMappings) {
  EXPECT_EQ(verdict_from_xdp(2), Verdict::kPass);
  EXPECT_EQ(verdict_from_xdp(4), Verdict::kRedirect);
  EXPECT_EQ(verdict_from_xdp(99), Verdict::kAborted);
  EXPECT_EQ(verdict_from_tc(2), Verdict::kDrop);
  EXPECT_EQ(verdict_from_tc(-1), Verdict::kPass);
  EXPECT_EQ(verdict_from_tc(7), Verdict::kRedirect);
}

}  // namespace
}  // namespace bombus::net
