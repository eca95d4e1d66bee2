// bpf_redirect and bpf_redirect_map through the runner, on the interpreter and on the JIT, with
// 1 and 3 worker threads: progs/net_redirect.bpf.c reads the map, key and flags from each
// packet, the test fills the devmaps, and every packet must come out with the targets the
// kernel's rules give (a devmap entry's ifindex, the miss action from the low flag bits, every
// device of the map for BPF_F_BROADCAST minus the ingress one with BPF_F_EXCLUDE_INGRESS,
// XDP_ABORTED for flags a map type does not take), and reach exactly its targets' outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "bombus/bombus.h"
#include "jit/engine/jit_engine.h"
#include "net/batch_runner.h"
#include "net/hook_program.h"
#include "runtime/engine.h"
#include "runtime/object_impl.h"

namespace bombus::net {
namespace {

constexpr uint64_t kBroadcast = 1 << 3, kExcludeIngress = 1 << 4;
constexpr uint32_t kIngress = 1;  // HookOptions' default ingress ifindex

// A frame carrying the program's arguments after the Ethernet header (see net_redirect.bpf.c).
Packet args_packet(uint8_t map, uint32_t key, uint64_t flags, uint8_t tag) {
  Packet p;
  p.data.assign(60, tag);
  std::memset(p.data.data(), 0x02, 12);
  p.data[12] = 0x88, p.data[13] = 0xb5;  // local experimental ethertype
  p.data[14] = map;
  std::memcpy(&p.data[15], &key, 4);
  std::memcpy(&p.data[19], &flags, 8);
  p.wire_len = 60;
  return p;
}

struct Case {
  uint8_t map;
  uint32_t key;
  uint64_t flags;
  Verdict verdict;
  std::vector<uint32_t> targets;  // ifindexes (sorted for DEVMAP_HASH broadcasts)
};

// ports (DEVMAP): 0 -> 5, 2 -> 7, 3 -> 1 (the ingress); ports_hash: 100 -> 9, 7 -> 11.
std::vector<Case> cases() {
  return {
      {0, 0, 0, Verdict::kRedirect, {5}},
      {0, 2, 0, Verdict::kRedirect, {7}},
      {0, 1, 1, Verdict::kDrop, {}},  // empty entry: the miss action XDP_DROP
      {0, 1, 2, Verdict::kPass, {}},  // ... XDP_PASS
      {0, 9, 3, Verdict::kTx, {}},    // past max_entries: XDP_TX
      {1, 100, 0, Verdict::kRedirect, {9}},
      {1, 5, 2, Verdict::kPass, {}},
      {0, 6, kBroadcast, Verdict::kRedirect, {5, 7, 1}},  // a miss does not matter
      {0, 0, kBroadcast | kExcludeIngress, Verdict::kRedirect, {5, 7}},
      {1, 0, kBroadcast | 2, Verdict::kRedirect, {9, 11}},
      {0, 0, 1 << 2, Verdict::kAborted, {}},  // not a devmap flag
      {0, 0, 1 << 5, Verdict::kAborted, {}},
  };
}

void put(bombus::Map* m, uint32_t key, uint32_t ifindex) {
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> v(m->value_size(), 0);
  std::memcpy(v.data(), &ifindex, 4);
  const auto* k = reinterpret_cast<const uint8_t*>(&key);
  ASSERT_TRUE(m->update({k, 4}, v).ok());
}

std::unique_ptr<bombus::Object> load(bombus::Engine engine) {
  jit::register_jit_engine();
  if (!std::filesystem::exists(NET_REDIRECT_OBJ)) return nullptr;
  ObjectOptions o;
  o.engine = engine;
  o.ncpus = 4;
  auto obj = bombus::Object::open_file(NET_REDIRECT_OBJ, o);
  EXPECT_TRUE(obj.ok()) << obj.error().format();
  if (!obj.ok()) return nullptr;
  Status s = (*obj)->load();
  EXPECT_TRUE(s.ok()) << s.error().format();
  if (!s.ok()) return nullptr;
  put((*obj)->find_map("ports"), 0, 5);
  put((*obj)->find_map("ports"), 2, 7);
  put((*obj)->find_map("ports"), 3, kIngress);
  put((*obj)->find_map("ports_hash"), 100, 9);
  put((*obj)->find_map("ports_hash"), 7, 11);
  return std::move(*obj);
}

// One worker: its own HelperEnv copy whose helpers record into its own RedirectRecord.
struct Worker {
  vm::HelperEnv env;
  vm::RedirectRecord record;
};

PacketProgramFactory factory(bombus::Program& prog, HookKind kind,
                             std::vector<std::unique_ptr<Worker>>& workers) {
  return [&prog, kind, &workers](unsigned t) -> Result<PacketProgram> {
    workers.push_back(std::make_unique<Worker>(Worker{prog.impl()->env, {}}));
    Worker* w = workers.back().get();
    w->env.redirect = &w->record;
    const runtime::EngineImage* image = prog.impl()->image.get();
    RawRunFn run = [image, w, t](void* ctx, size_t len,
                                 const vm::MemRegion& frame) -> std::optional<uint64_t> {
      runtime::EngineRunArgs a;
      a.runtime = &w->env;
      a.cpu = t;
      a.regions = std::span<const vm::MemRegion>(&frame, 1);
      auto r = image->run(ctx, len, a);
      if (!r.ok()) return std::nullopt;
      return *r;
    };
    HookOptions o;
    o.redirect = &w->record;
    return hook_program(kind, std::move(run), o);
  };
}

class Redirect : public ::testing::TestWithParam<std::tuple<bombus::Engine, unsigned>> {};

TEST_P(Redirect, DevmapTargetsReachTheirOutputs) {
  auto [engine, threads] = GetParam();
  auto obj = load(engine);
  if (!obj) GTEST_SKIP() << NET_REDIRECT_OBJ << " not built";
  bombus::Program* prog = obj->find_program("xdp_redirect_pkt");
  ASSERT_NE(prog, nullptr);

  // Every case many times over, shuffled deterministically, each packet tagged with its case.
  const std::vector<Case> all = cases();
  std::vector<Packet> pkts;
  std::vector<size_t> which;
  uint32_t seed = 7;
  for (size_t i = 0; i < 600; ++i) {
    seed = seed * 1103515245u + 12345u;
    const size_t c = (seed >> 16) % all.size();
    pkts.push_back(args_packet(all[c].map, all[c].key, all[c].flags, static_cast<uint8_t>(i)));
    which.push_back(c);
  }
  std::map<uint32_t, std::vector<Packet>> got;
  std::vector<Packet> redirected;
  std::vector<std::unique_ptr<PacketSink>> sinks;
  RunnerOutputs outs;
  for (uint32_t ifindex : {1u, 5u, 7u, 9u, 11u}) {
    sinks.push_back(vector_sink(&got[ifindex]));
    outs.by_target.push_back({{RedirectKind::kIfindex, ifindex}, sinks.back().get()});
  }
  sinks.push_back(vector_sink(&redirected));
  outs[Verdict::kRedirect] = sinks.back().get();

  std::vector<std::unique_ptr<Worker>> workers;
  auto src = memory_source(pkts);
  BatchRunOptions bo;
  bo.threads = threads;
  bo.batch = 64;
  bo.min_frame = kXdpFrameSize;
  auto st = run_packets_batched(*src, factory(*prog, HookKind::kXdp, workers), outs, bo);
  ASSERT_TRUE(st.ok()) << st.error().format();

  std::map<uint32_t, std::vector<Packet>> want;
  std::array<uint64_t, kNumVerdicts> verdicts{};
  size_t want_redirected = 0;
  for (size_t i = 0; i < pkts.size(); ++i) {
    const Case& c = all[which[i]];
    ++verdicts[static_cast<size_t>(c.verdict)];
    want_redirected += c.verdict == Verdict::kRedirect;
    for (uint32_t t : c.targets) want[t].push_back(pkts[i]);
  }
  EXPECT_EQ(st->per_verdict, verdicts);
  EXPECT_EQ(redirected.size(), want_redirected);
  EXPECT_EQ(st->redirect_unknown, 0u);
  for (uint32_t ifindex : {1u, 5u, 7u, 9u, 11u}) {
    ASSERT_EQ(got[ifindex].size(), want[ifindex].size()) << "ifindex " << ifindex;
    EXPECT_EQ((st->per_target[{RedirectKind::kIfindex, ifindex}]), want[ifindex].size());
    for (size_t i = 0; i < want[ifindex].size(); ++i)
      EXPECT_EQ(got[ifindex][i].data, want[ifindex][i].data) << "ifindex " << ifindex << " #" << i;
  }
  EXPECT_EQ(st->per_target.size(), 5u);
}

TEST_P(Redirect, RedirectToIfindexAndTheLastCallWins) {
  auto [engine, threads] = GetParam();
  auto obj = load(engine);
  if (!obj) GTEST_SKIP() << NET_REDIRECT_OBJ << " not built";
  std::vector<std::unique_ptr<Worker>> workers;
  auto make = factory(*obj->find_program("xdp_redirect_ifindex"), HookKind::kXdp, workers);
  auto xdp = make(0);
  ASSERT_TRUE(xdp.ok());
  PacketBuffer b;
  b.set_min_frame(kXdpFrameSize);
  const Packet to42 = args_packet(0, 42, 0, 1);
  b.assign(to42.data, to42.wire_len, 0);
  EXPECT_EQ((*xdp)(b), Verdict::kRedirect);
  ASSERT_EQ(b.redirect_to.size(), 1u);
  EXPECT_EQ(b.redirect_to[0], (RedirectTarget{RedirectKind::kIfindex, 42}));
  const Packet bad = args_packet(0, 42, 1, 1);  // XDP's bpf_redirect takes no flags
  b.assign(bad.data, bad.wire_len, 0);
  EXPECT_EQ((*xdp)(b), Verdict::kAborted);
  EXPECT_TRUE(b.redirect_to.empty());

  // The last redirect call of a run decides: a redirect_map miss after bpf_redirect leaves no
  // target (XDP_REDIRECT then goes nowhere), a hit replaces the ifindex.
  auto twice = factory(*obj->find_program("xdp_redirect_twice"), HookKind::kXdp, workers)(1);
  ASSERT_TRUE(twice.ok());
  const Packet hit = args_packet(0, 0, 0, 2), miss = args_packet(0, 1, 0, 2);
  b.assign(hit.data, hit.wire_len, 0);
  EXPECT_EQ((*twice)(b), Verdict::kRedirect);
  ASSERT_EQ(b.redirect_to.size(), 1u);
  EXPECT_EQ(b.redirect_to[0], (RedirectTarget{RedirectKind::kIfindex, 5}));
  b.assign(miss.data, miss.wire_len, 0);
  EXPECT_EQ((*twice)(b), Verdict::kRedirect);
  EXPECT_TRUE(b.redirect_to.empty());

  // tc: BPF_F_INGRESS makes an ingress target; any other flag is TC_ACT_SHOT.
  auto tc = factory(*obj->find_program("tc_redirect"), HookKind::kTc, workers)(2);
  ASSERT_TRUE(tc.ok());
  const Packet in = args_packet(0, 6, 1, 3), out = args_packet(0, 6, 0, 3),
               shot = args_packet(0, 6, 2, 3);
  b.assign(in.data, in.wire_len, 0);
  EXPECT_EQ((*tc)(b), Verdict::kRedirect);
  ASSERT_EQ(b.redirect_to.size(), 1u);
  EXPECT_EQ(b.redirect_to[0], (RedirectTarget{RedirectKind::kIngress, 6}));
  b.assign(out.data, out.wire_len, 0);
  EXPECT_EQ((*tc)(b), Verdict::kRedirect);
  ASSERT_EQ(b.redirect_to.size(), 1u);
  EXPECT_EQ(b.redirect_to[0], (RedirectTarget{RedirectKind::kIfindex, 6}));
  b.assign(shot.data, shot.wire_len, 0);
  EXPECT_EQ((*tc)(b), Verdict::kDrop);
  EXPECT_TRUE(b.redirect_to.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Engines, Redirect,
    ::testing::Combine(::testing::Values(bombus::Engine::kInterp, bombus::Engine::kJit),
                       ::testing::Values(1u, 3u)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == bombus::Engine::kJit ? "Jit" : "Interp") +
             "Threads" + std::to_string(std::get<1>(info.param));
    });

TEST(RedirectRoute, UnknownTargetsAndStatsFormat) {
  // A REDIRECT without a target counts as unknown; JSON and text show per-target counts.
  PacketBuffer a, b;
  const Packet p = args_packet(0, 0, 0, 0);
  a.assign(p.data, p.wire_len, 0);
  b.assign(p.data, p.wire_len, 0);
  b.redirect_to = {{RedirectKind::kIfindex, 3}, {RedirectKind::kCpu, 1}};
  RunnerStats st;
  RunnerOutputs outs;
  ASSERT_TRUE(route_packet(outs, st, Verdict::kRedirect, a).ok());
  ASSERT_TRUE(route_packet(outs, st, Verdict::kRedirect, b).ok());
  EXPECT_EQ(st.redirect_unknown, 1u);
  EXPECT_EQ(st.count(Verdict::kRedirect), 2u);
  const std::string json = format_runner_stats(st, true);
  EXPECT_NE(json.find("\"redirect_targets\":[{\"ifindex\":3,\"packets\":1},{\"cpu\":1,"
                      "\"packets\":1}],\"redirect_unknown\":1"),
            std::string::npos)
      << json;
  const std::string text = format_runner_stats(st, false);
  EXPECT_NE(text.find("(redirected to ifindex 3: 1, cpu 1: 1, unknown: 1)"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace bombus::net
