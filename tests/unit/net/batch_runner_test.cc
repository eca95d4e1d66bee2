// The batched runner: outputs and counts are the same on 1 and on several threads (packets stay
// in capture order, each worker has its own program instance), packets the program rewrites or
// resizes are written as rewritten, a damaged capture is processed up to the damage, and the
// progress callback sees the totals. hook_program builds XDP and skb contexts around the frame.
#include "net/batch_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>

#include "net/hook_program.h"
#include "net/traffic.h"
#include "platform/ctx_structs.h"
#include "test_util.h"

namespace bombus::net {
namespace {

std::vector<Packet> sample(size_t n) {
  TrafficOptions o;
  o.seed = 9;
  o.count = n;
  return generate_traffic(o);
}

// Verdict from the bytes; pass/tx packets get rewritten (byte 0 = thread-independent hash,
// passes lose 2 bytes of tail) so outputs show whether the right bytes were written.
Verdict rewrite(PacketBuffer& p) {
  if (p.size() < 24) return Verdict::kAborted;
  const auto v = static_cast<Verdict>(p.data()[20] % kNumVerdicts);
  if (v == Verdict::kTx) p.data()[0] ^= 0x5a;
  if (v == Verdict::kPass) p.adjust_tail(-2);
  return v;
}

struct Outcome {
  RunnerStats stats;
  std::array<std::vector<Packet>, kNumVerdicts> outs;
  std::set<unsigned> threads_seen;
};

Outcome run(const std::vector<Packet>& pkts, unsigned threads, size_t batch) {
  Outcome r;
  std::vector<std::unique_ptr<PacketSink>> sinks;
  RunnerOutputs o;
  for (size_t i = 0; i < kNumVerdicts; ++i) {
    sinks.push_back(vector_sink(&r.outs[i]));
    o.by_verdict[i] = sinks.back().get();
  }
  auto src = memory_source(pkts);
  std::mutex mu;
  BatchRunOptions opts;
  opts.threads = threads;
  opts.batch = batch;
  auto make = [&](unsigned t) -> Result<PacketProgram> {
    return PacketProgram([&, t](PacketBuffer& p) {
      {
        std::lock_guard<std::mutex> lock(mu);
        r.threads_seen.insert(t);
      }
      return rewrite(p);
    });
  };
  auto st = run_packets_batched(*src, make, o, opts);
  EXPECT_TRUE(st.ok()) << st.error().format();
  if (st.ok()) r.stats = *st;
  return r;
}

TEST(BatchRunner, ThreadsGiveTheSameOutputsInOrder) {
  auto pkts = sample(1000);
  Outcome one = run(pkts, 1, 64);
  Outcome four = run(pkts, 4, 64);
  Outcome odd = run(pkts, 3, 1000);
  EXPECT_EQ(one.stats.packets, 1000u);
  EXPECT_EQ(one.threads_seen.size(), 1u);
  EXPECT_EQ(four.threads_seen.size(), 4u);
  for (size_t v = 0; v < kNumVerdicts; ++v) {
    EXPECT_EQ(one.stats.per_verdict[v], four.stats.per_verdict[v]);
    EXPECT_EQ(one.stats.per_verdict[v], odd.stats.per_verdict[v]);
    ASSERT_EQ(one.outs[v].size(), four.outs[v].size());
    for (size_t i = 0; i < one.outs[v].size(); ++i) {
      EXPECT_EQ(one.outs[v][i].data, four.outs[v][i].data);
      EXPECT_EQ(one.outs[v][i].ts_ns, four.outs[v][i].ts_ns);
      EXPECT_EQ(one.outs[v][i].data, odd.outs[v][i].data);
    }
  }
  EXPECT_EQ(one.stats.bytes, four.stats.bytes);
  // The rewrites reached the outputs, in capture order.
  std::vector<const Packet*> want_tx;
  for (const Packet& p : pkts)
    if (p.data.size() >= 24 && p.data[20] % kNumVerdicts == 3) want_tx.push_back(&p);
  ASSERT_EQ(four.outs[3].size(), want_tx.size());
  for (size_t i = 0; i < want_tx.size(); ++i) {
    EXPECT_EQ(four.outs[3][i].data[0], want_tx[i]->data[0] ^ 0x5a);
    EXPECT_EQ(four.outs[3][i].ts_ns, want_tx[i]->ts_ns);
  }
  for (const Packet& p : four.outs[2]) EXPECT_GE(p.data.size(), 22u);
}

TEST(BatchRunner, MaxPacketsAndProgress) {
  auto pkts = sample(300);
  auto src = memory_source(pkts);
  BatchRunOptions o;
  o.batch = 50;
  o.max_packets = 120;
  std::vector<uint64_t> seen;
  o.progress = [&](const RunnerStats& st, std::pair<uint64_t, uint64_t>) {
    seen.push_back(st.packets);
  };
  auto make = [](unsigned) -> Result<PacketProgram> {
    return PacketProgram([](PacketBuffer&) { return Verdict::kPass; });
  };
  auto st = run_packets_batched(*src, make, {}, o);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->packets, 120u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{50, 100, 120}));
}

TEST(BatchRunner, DamagedCaptureIsProcessedUpToTheDamage) {
  testing::TempDir dir;
  auto pkts = sample(40);
  auto bytes = capture_to_bytes(pkts);
  ASSERT_TRUE(bytes.ok());
  // Cut the capture in the middle of packet 31's record.
  size_t at = 24;
  for (size_t i = 0; i < 30; ++i) at += 16 + pkts[i].data.size();
  bytes->resize(at + 20);
  testing::write_file(dir.file("cut.pcap"), *bytes);
  auto src = open_pcap_source(dir.file("cut.pcap"));
  ASSERT_TRUE(src.ok());
  std::vector<Packet> passed;
  auto sink = vector_sink(&passed);
  RunnerOutputs o;
  o[Verdict::kPass] = sink.get();
  BatchRunOptions opts;
  opts.batch = 8;
  opts.threads = 2;
  auto make = [](unsigned) -> Result<PacketProgram> {
    return PacketProgram([](PacketBuffer&) { return Verdict::kPass; });
  };
  auto st = run_packets_batched(**src, make, o, opts);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("packet 31"), std::string::npos) << st.error().format();
  EXPECT_NE(st.error().message.find("30 earlier packets"), std::string::npos);
  EXPECT_EQ(passed.size(), 30u);
}

TEST(BatchRunner, FactoryErrorsStopTheRun) {
  auto pkts = sample(10);
  auto src = memory_source(pkts);
  BatchRunOptions o;
  o.threads = 2;
  auto make = [](unsigned t) -> Result<PacketProgram> {
    if (t == 1) return make_error(Errc::kInvalid, "no program for thread 1");
    return PacketProgram([](PacketBuffer&) { return Verdict::kPass; });
  };
  auto st = run_packets_batched(*src, make, {}, o);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("thread 1"), std::string::npos);
}

Packet frame(size_t n, uint16_t ethertype) {
  Packet p;
  p.data.resize(n);
  for (size_t i = 0; i < n; ++i) p.data[i] = static_cast<uint8_t>(i);
  p.data[12] = static_cast<uint8_t>(ethertype >> 8);
  p.data[13] = static_cast<uint8_t>(ethertype);
  p.wire_len = static_cast<uint32_t>(n);
  return p;
}

TEST(HookProgram, XdpContextAroundTheFrame) {
  PacketBuffer b;
  b.set_min_frame(kXdpFrameSize);
  Packet p = frame(60, 0x0800);
  b.assign(p.data, p.wire_len, 0);
  size_t calls = 0;
  RawRunFn fn = [&](void* ctx, size_t len, const vm::MemRegion& region) -> std::optional<uint64_t> {
    ++calls;
    auto* x = static_cast<platform::XdpCtx*>(ctx);
    EXPECT_EQ(len, sizeof(platform::XdpCtx));
    EXPECT_EQ(x->frame_size, kXdpFrameSize);
    EXPECT_EQ(x->data - reinterpret_cast<uint64_t>(x->frame), platform::kXdpHeadroom);
    EXPECT_EQ(x->data_end - x->data, 60u);
    EXPECT_EQ(x->ingress_ifindex, 7u);
    EXPECT_EQ(region.start, reinterpret_cast<uintptr_t>(x->frame));
    // Grow the head by 4 (like bpf_xdp_adjust_head(ctx, -4)), write there, trim 10 off the tail.
    x->data -= 4;
    x->data_meta = x->data;
    std::memset(reinterpret_cast<void*>(x->data), 0xee, 4);
    x->data_end -= 10;
    return 3;
  };
  HookOptions o;
  o.ifindex = 7;
  PacketProgram prog = hook_program(HookKind::kXdp, fn, o);
  EXPECT_EQ(prog(b), Verdict::kTx);
  ASSERT_EQ(b.size(), 54u);
  EXPECT_EQ(b.wire_len, 54u);
  EXPECT_EQ(b.data()[0], 0xee);
  EXPECT_EQ(b.data()[4], 0);
  EXPECT_EQ(b.data()[53], 49);
  // Runts are aborted without a run; faults are aborted.
  Packet runt = frame(14, 0x0800);
  runt.data.resize(10);
  b.assign(runt.data, 10, 0);
  EXPECT_EQ(prog(b), Verdict::kAborted);
  EXPECT_EQ(calls, 1u);
  PacketProgram faulty = hook_program(HookKind::kXdp, [](void*, size_t, const vm::MemRegion&) {
    return std::optional<uint64_t>();
  });
  b.assign(p.data, p.wire_len, 0);
  EXPECT_EQ(faulty(b), Verdict::kAborted);
}

TEST(HookProgram, SkbContextsForTcAndSocketFilters) {
  namespace off = platform::skb_off;
  PacketBuffer b;
  Packet p = frame(80, 0x86dd);
  p.data[0] = 0xff;
  std::memset(p.data.data(), 0xff, 6);  // broadcast
  b.assign(p.data, p.wire_len, 0);
  PacketProgram tc = hook_program(
      HookKind::kTc, [](void* ctx, size_t, const vm::MemRegion&) -> std::optional<uint64_t> {
        auto* s = static_cast<platform::SkbCtx*>(ctx);
        EXPECT_EQ(platform::skb_u32(*s, off::kLen), 80u);
        EXPECT_EQ(platform::skb_u32(*s, off::kPktType), 1u);
        EXPECT_EQ(platform::skb_u32(*s, off::kProtocol), 0xdd86u);  // network order, as the kernel
        EXPECT_EQ(platform::skb_u32(*s, off::kIfindex), 1u);
        return 2;  // TC_ACT_SHOT
      });
  EXPECT_EQ(tc(b), Verdict::kDrop);
  PacketProgram sf =
      hook_program(HookKind::kSocketFilter,
                   [](void* ctx, size_t, const vm::MemRegion&) -> std::optional<uint64_t> {
                     auto* s = static_cast<platform::SkbCtx*>(ctx);
                     EXPECT_EQ(platform::skb_u32(*s, off::kLen), 66u);  // from the network header
                     EXPECT_EQ(*reinterpret_cast<const uint8_t*>(s->data), 14);
                     return 40;
                   });
  EXPECT_EQ(sf(b), Verdict::kPass);
  EXPECT_EQ(b.size(), 40u);
  PacketProgram sf_drop = hook_program(
      HookKind::kSocketFilter,
      [](void*, size_t, const vm::MemRegion&) -> std::optional<uint64_t> { return 0; });
  EXPECT_EQ(sf_drop(b), Verdict::kDrop);
}

}  // namespace
}  // namespace bombus::net
