// The facade end to end on the tests/progs corpus: open, load, test_run with the kernel's
// conventions, map reads/updates, trace_printk, ring buffers, tail calls, global data.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "bombus/bombus.h"
#include "bombus_progs.h"
#include "packets.h"
#include "platform/ctx_structs.h"
#include "vm/maps/map.h"

namespace bombus {
namespace {

std::unique_ptr<Object> load(const std::string& name, ObjectOptions o = {}) {
  auto obj = Object::open_file(progs::path(name), o);
  EXPECT_TRUE(obj.ok()) << (obj.ok() ? "" : obj.error().format());
  if (!obj.ok()) return nullptr;
  auto st = (*obj)->load();
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().format());
  if (!st.ok()) return nullptr;
  return std::move(obj).value();
}

uint64_t u64_at(const std::vector<uint8_t>& v, size_t off = 0) {
  uint64_t x;
  std::memcpy(&x, v.data() + off, 8);
  return x;
}

TEST(Runtime, XdpFirewallDropsBlockedSourcesAndCounts) {
  auto obj = load("xdp_fw");
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("xdp_fw");
  ASSERT_NE(p, nullptr);
  Map* block = obj->find_map("blocklist");
  ASSERT_NE(block, nullptr);
  uint8_t key[4] = {192, 168, 1, 7};
  uint64_t zero = 0;
  ASSERT_TRUE(block->update(key, {reinterpret_cast<uint8_t*>(&zero), 8}).ok());
  auto pkt = testing::udp4(192, 168, 1, 7);
  TestRun in;
  in.data_in = pkt;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 1u);  // XDP_DROP
  EXPECT_EQ(r->data_out, pkt);
  auto other = testing::udp4(10, 0, 0, 1);
  in.data_in = other;
  in.repeat = 5;
  r = p->test_run(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->retval, 2u);  // XDP_PASS
  Map* verdicts = obj->find_map("verdicts");
  EXPECT_EQ(u64_at(*verdicts->lookup_u32(1)), 1u);
  EXPECT_EQ(u64_at(*verdicts->lookup_u32(2)), 5u);
  EXPECT_EQ(u64_at(*block->lookup(key)), 1u);
  // Too short for an Ethernet header: the kernel's -EINVAL.
  uint8_t tiny[10] = {};
  in.data_in = tiny;
  r = p->test_run(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().neg_errno(), -22);
}

TEST(Runtime, XdpCtxInOutAndMetadata) {
  auto obj = load("xdp_fw");
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("xdp_fw");
  auto pkt = testing::udp4(10, 0, 0, 1);
  std::vector<uint8_t> data(8, 0xaa);  // 8 bytes of metadata, then the packet
  data.insert(data.end(), pkt.begin(), pkt.end());
  uint32_t md[6] = {8, static_cast<uint32_t>(data.size()), 0, 0, 0, 0};
  TestRun in;
  in.data_in = data;
  in.ctx_in = {reinterpret_cast<uint8_t*>(md), sizeof md};
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 2u);
  EXPECT_EQ(r->data_out, data);  // metadata included, as the kernel returns it
  ASSERT_EQ(r->ctx_out.size(), 24u);
  uint32_t out[6];
  std::memcpy(out, r->ctx_out.data(), 24);
  EXPECT_EQ(out[0], 8u);
  EXPECT_EQ(out[1], data.size());
  EXPECT_EQ(out[3], 0u);  // echoed from ctx_in, as the kernel does
  md[5] = 3;              // egress_ifindex is refused
  EXPECT_FALSE(p->test_run(in).ok());
}

TEST(Runtime, TcProgramSeesSkbFieldsAndWritesMark) {
  auto obj = load("tc_prog");
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("tc_mark");
  auto pkt = testing::udp4(10, 0, 0, 1, 1200);
  std::vector<uint8_t> ctx(platform::kSkBuffSize, 0);
  TestRun in;
  in.data_in = pkt;
  in.ctx_in = ctx;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 0u);
  uint32_t mark;
  std::memcpy(&mark, r->ctx_out.data() + platform::skb_off::kMark, 4);
  EXPECT_EQ(mark, 2u);
  uint32_t ifindex;
  std::memcpy(&ifindex, r->ctx_out.data() + platform::skb_off::kIfindex, 4);
  EXPECT_EQ(ifindex, 1u);
  // protocol & 0xff == 0x08 for IPv4 (network byte order in the low 16 bits).
  Map* m = obj->find_map("bytes_by_proto");
  auto v = m->lookup_u32(8);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(u64_at(*v), pkt.size());  // per-CPU copy of slot 0
  // ctx_in may not set len.
  ctx[0] = 1;
  in.ctx_in = ctx;
  EXPECT_FALSE(p->test_run(in).ok());
}

TEST(Runtime, SocketFilterStartsAtNetworkHeader) {
  auto obj = load("socket_filter");
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("udp_only");
  auto udp = testing::udp4(10, 0, 0, 1, 18, 17);
  TestRun in;
  in.data_in = udp;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  // skb->data is the IP header here, so the program's ETH_HLEN + 9 lands in the UDP header
  // (byte 23 = 0, not UDP): 0, which is also what the kernel answers for this object.
  EXPECT_EQ(r->retval, 0u);
  std::vector<uint8_t> want = udp;
  std::fill(want.begin(), want.begin() + 14, 0);  // L2 comes back zeroed
  EXPECT_EQ(r->data_out, want);
  // With protocol 17 at offset 14 + 9 of the IP header's view (byte 23 of the IP packet), the
  // filter accepts and returns skb->len (without L2).
  auto crafted = testing::udp4(10, 0, 0, 1, 18, 17);
  crafted[14 + 23] = 17;
  in.data_in = crafted;
  EXPECT_EQ(p->test_run(in)->retval, crafted.size() - 14);
}

TEST(Runtime, GlobalDataAndTracePrintk) {
  std::vector<std::string> lines;
  ObjectOptions o;
  // Verified (the default): `ctx->data_end - ctx->data` is a pointer difference, which the
  // kernel and bombus allow privileged programs.
  o.trace = [&](std::string_view s) { lines.emplace_back(s); };
  auto obj = load("global_data", o);
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("data_prog");
  auto pkt = testing::udp4(10, 0, 0, 1, 100);
  TestRun in;
  in.data_in = pkt;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 2u);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "len " + std::to_string(pkt.size()));
  Map* data = obj->find_map(".data");
  ASSERT_NE(data, nullptr);
  auto v = data->lookup_u32(0);
  ASSERT_TRUE(v.ok());
  int32_t packets;
  std::memcpy(&packets, v->data(), 4);
  EXPECT_EQ(packets, 8);
  Map* ro = obj->find_map(".rodata");
  ASSERT_NE(ro, nullptr);
  EXPECT_FALSE(
      ro->update(std::vector<uint8_t>(4, 0), std::vector<uint8_t>(ro->value_size(), 0)).ok());
}

TEST(Runtime, RingbufEventsReachTheConsumer) {
  ObjectOptions o;
  auto obj = load("ringbuf", o);  // verified, like GlobalDataAndTracePrintk
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("rb_prog");
  auto pkt = testing::udp4(10, 0, 0, 1);
  TestRun in;
  in.data_in = pkt;
  in.repeat = 3;
  ASSERT_TRUE(p->test_run(in).ok());
  RingBufferConsumer c;
  std::vector<size_t> sizes;
  ASSERT_TRUE(c.add(*obj->find_map("events"), [&](const void* d, size_t n) {
                 sizes.push_back(n);
                 if (n == 16) EXPECT_EQ(*static_cast<const uint32_t*>(d), pkt.size());
                 return 0;
               }).ok());
  auto n = c.poll(100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6);
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 4, 16, 4, 16, 4}));
}

TEST(Runtime, TailCallsThroughProgArray) {
  auto obj = load("prog_array");
  ASSERT_TRUE(obj);
  Program* d = obj->find_program("dispatcher");
  auto pkt = testing::udp4(10, 0, 0, 1);
  TestRun in;
  in.data_in = pkt;
  auto r = d->test_run(in);  // rx_queue_index 0: empty slot, falls through
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 2u);
  Map* jt = obj->find_map("jump_table");
  uint32_t a_id = obj->find_program("tail_a")->id();
  auto slot1 = jt->lookup_u32(1);
  ASSERT_TRUE(slot1.ok());
  uint32_t got;
  std::memcpy(&got, slot1->data(), 4);
  EXPECT_EQ(got, a_id);
  // Point slot 0 at tail_b: the dispatcher now returns XDP_TX.
  uint32_t b_id = obj->find_program("tail_b")->id();
  uint32_t k0 = 0;
  ASSERT_TRUE(
      jt->update({reinterpret_cast<uint8_t*>(&k0), 4}, {reinterpret_cast<uint8_t*>(&b_id), 4})
          .ok());
  EXPECT_EQ(d->test_run(in)->retval, 3u);
}

TEST(Runtime, SubprogramsAndStats) {
  ObjectOptions o;
  o.enable_stats = true;
  auto obj = load("subprogs", o);
  ASSERT_TRUE(obj);
  auto pkt = testing::udp4(10, 0, 0, 1);
  TestRun in;
  in.data_in = pkt;
  in.repeat = 4;
  Program* a = obj->find_program("prog_a");
  auto r = a->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 2u);
  EXPECT_EQ(a->stats().run_cnt, 4u);
  auto v = obj->find_map("stats")->lookup_u32(0);
  EXPECT_EQ(u64_at(*v), 4u * (1 + 9));  // ingress_ifindex 1 (lo): 1*1 + 3*3 per run
}

TEST(Runtime, CallbacksRunThroughTheEngine) {
  ObjectOptions o;
  auto obj = load("callbacks", o);  // verified: the callbacks run inside the verifier too
  ASSERT_TRUE(obj);
  Map* values = obj->find_map("values");
  uint64_t big = 200;
  uint32_t k = 3;
  auto pkt = testing::udp4(10, 0, 0, 1);
  TestRun in;
  in.data_in = pkt;
  Program* p = obj->find_program("loop_prog");
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 2u);  // 0+1+...+9 = 45 <= 100
  ASSERT_TRUE(
      values->update({reinterpret_cast<uint8_t*>(&k), 4}, {reinterpret_cast<uint8_t*>(&big), 8})
          .ok());
  EXPECT_EQ(p->test_run(in)->retval, 1u);  // 45 + 200 > 100: XDP_DROP
}

TEST(Runtime, MapInMapLookupsReachInnerMaps) {
  ObjectOptions o;  // verified: lookups of an inner map give its own value size
  auto obj = load("map_in_map", o);
  ASSERT_TRUE(obj);
  auto pkt = testing::udp4(10, 0, 0, 1);
  TestRun in;
  in.data_in = pkt;
  in.repeat = 2;
  auto r = obj->find_program("mim_prog")->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  auto v = obj->find_map("inner_a")->lookup_u32(0);
  ASSERT_TRUE(v.ok());
  uint32_t n;
  std::memcpy(&n, v->data(), 4);
  EXPECT_EQ(n, 2u);
}

TEST(Runtime, ManyThreadsRunOneProgramOnTheirOwnSlots) {
  ObjectOptions o;
  o.ncpus = 4;
  auto obj = load("tc_prog", o);
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("tc_mark");
  auto pkt = testing::udp4(10, 0, 0, 1, 100);
  constexpr int kThreads = 4, kRuns = 500;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      TestRun in;
      in.data_in = pkt;
      in.cpu = static_cast<uint32_t>(t);
      for (int i = 0; i < kRuns; ++i) ASSERT_TRUE(p->test_run(in).ok());
    });
  for (auto& t : ts) t.join();
  auto v = obj->find_map("bytes_by_proto")->lookup_u32(8);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 4u * 8);
  for (int c = 0; c < kThreads; ++c)  // each slot counted only its own thread's packets
    EXPECT_EQ(u64_at(*v, c * 8), uint64_t{kRuns} * pkt.size()) << c;
}

TEST(Runtime, ConcurrentRunsLoseNoAtomicUpdates) {
  auto obj = load("xdp_fw");
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("xdp_fw");
  auto pkt = testing::udp4(10, 0, 0, 1);
  constexpr int kThreads = 4, kRuns = 2000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&] {
      TestRun in;
      in.data_in = pkt;
      in.repeat = kRuns;
      ASSERT_TRUE(p->test_run(in).ok());
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(u64_at(*obj->find_map("verdicts")->lookup_u32(2)), uint64_t{kThreads} * kRuns);
}

TEST(Runtime, MapsLiveInFilesOthersCanOpen) {
  char dir[] = "/tmp/bombus-rt-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ObjectOptions o;
  o.map_dir = dir;
  {
    auto obj = load("xdp_fw", o);
    ASSERT_TRUE(obj);
    Map* v = obj->find_map("verdicts");
    ASSERT_FALSE(v->path().empty());
    auto pkt = testing::udp4(10, 0, 0, 1);
    TestRun in;
    in.data_in = pkt;
    ASSERT_TRUE(obj->find_program("xdp_fw")->test_run(in).ok());
    auto other = vm::Map::open(v->path());
    ASSERT_TRUE(other.ok());
    uint32_t k = 2;
    EXPECT_EQ(*static_cast<uint64_t*>((*other)->lookup(&k)), 1u);
    for (auto& m : obj->maps()) unlink(m.path().c_str());
  }
  rmdir(dir);
}

TEST(Runtime, ErrorsNameTheProblem) {
  auto obj = Object::open_file("/nonexistent.bpf.o");
  ASSERT_FALSE(obj.ok());
  auto ok = load("xdp_fw");
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->load().ok());  // twice
  auto r = ok->find_map("verdicts")->lookup(std::vector<uint8_t>(3, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("key_size"), std::string::npos);
}

}  // namespace
}  // namespace bombus
