// Callbacks under the JIT (vm::EngineHooks::call_function): bpf_loop (sums, early stop, nested,
// a callback calling a subprogram), bpf_for_each_map_elem over an array map,
// bpf_user_ringbuf_drain over user-produced samples read with bpf_dynptr_read, depth and bad
// target faults, the callbacks corpus object through the runtime, and a bpf_timer callback
// fired by the manual clock with no JIT run on the stack. Every program runs on the
// interpreter and the JIT (plain and blinded) with equal r0 and memory.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "bombus_progs.h"
#include "insn_builder.h"
#include "jit/engine/jit_engine.h"
#include "jit/jit.h"
#include "vm/helpers/helpers.h"
#include "vm/helpers/timers.h"
#include "vm/interp.h"
#include "vm/maps/map.h"
#include "vm/maps/ringbuf.h"

namespace bombus::jit {
namespace {

using isa::Insn;
using test::I;

constexpr int32_t kLoop = 181, kForEach = 164;

// main: *(u64*)(r10-8) = 0; r0 = bpf_loop(nr, cb, r10-8, 0); return r0 + 1000 * ctx.
std::vector<Insn> loop_main(int32_t nr) {
  std::vector<Insn> p = {I(0x7a, 10, 0, -8, 0), test::mov64(1, nr)};
  test::lddw(p, 2, 12);
  p.insert(p.end(),
           {test::mov64r(3, 10), I(0x07, 3, 0, 0, -8), test::mov64(4, 0), I(0x85, 0, 0, 0, kLoop),
            I(0x79, 6, 10, -8), I(0x27, 6, 0, 0, 1000), I(0x0f, 0, 6), test::exit_insn()});
  return p;  // the callback starts at 12
}

// Callback (12): ctx += index; returns 1 (stop) when index == stop.
std::vector<Insn> sum_loop(int32_t nr, int32_t stop) {
  auto p = loop_main(nr);
  p.insert(p.end(), {I(0x79, 3, 2, 0), I(0x0f, 3, 1), I(0x7b, 2, 3, 0), test::mov64(0, 0),
                     I(0x55, 1, 0, 1, stop), test::mov64(0, 1), test::exit_insn()});
  return p;
}

// Outer callback (12) runs bpf_loop(3, inner, ctx) itself and returns its index (so index 1
// stops the outer loop); inner (21): ctx += j + 100.
std::vector<Insn> nested_loop() {
  auto p = loop_main(4);
  p.insert(p.end(), {test::mov64r(6, 1), test::mov64r(3, 2), test::mov64(1, 3)});
  test::lddw(p, 2, 21);
  p.insert(p.end(), {test::mov64(4, 0), I(0x85, 0, 0, 0, kLoop), test::mov64r(0, 6),
                     test::exit_insn(), I(0x79, 3, 2, 0), I(0x0f, 3, 1), I(0x07, 3, 0, 0, 100),
                     I(0x7b, 2, 3, 0), test::mov64(0, 0), test::exit_insn()});
  return p;
}

// Callback (12) calls a subprogram (19) returning index * index and adds it to ctx.
std::vector<Insn> loop_with_subprogram() {
  auto p = loop_main(10);
  p.insert(p.end(), {test::mov64r(6, 2), I(0x85, 0, isa::kPseudoCall, 0, 5), I(0x79, 3, 6, 0),
                     I(0x0f, 3, 0), I(0x7b, 6, 3, 0), test::mov64(0, 0), test::exit_insn(),
                     test::mov64r(0, 1), I(0x2f, 0, 1), test::exit_insn()});
  return p;
}

// Callback (12) runs bpf_loop(1, itself): nests until a depth limit ends the run.
std::vector<Insn> endless_nesting() {
  auto p = loop_main(1);
  p.push_back(test::mov64r(3, 2));
  p.push_back(test::mov64(1, 1));
  test::lddw(p, 2, 12);
  p.insert(p.end(), {test::mov64(4, 0), I(0x85, 0, 0, 0, kLoop), test::exit_insn()});
  return p;
}

// bpf_for_each_map_elem(map, cb, r10-8, 0); the callback (13) sets value = value * 2 + key and
// adds the new value to ctx.
std::vector<Insn> for_each(vm::Map* map) {
  std::vector<Insn> p = {I(0x7a, 10, 0, -8, 0)};
  test::lddw(p, 1, reinterpret_cast<uint64_t>(map));
  test::lddw(p, 2, 13);
  p.insert(p.end(), {test::mov64r(3, 10), I(0x07, 3, 0, 0, -8), test::mov64(4, 0),
                     I(0x85, 0, 0, 0, kForEach), I(0x79, 6, 10, -8), I(0x27, 6, 0, 0, 1000),
                     I(0x0f, 0, 6), test::exit_insn(), I(0x61, 5, 2, 0), I(0x79, 0, 3, 0),
                     I(0x27, 0, 0, 0, 2), I(0x0f, 0, 5), I(0x7b, 3, 0, 0), I(0x79, 1, 4, 0),
                     I(0x0f, 1, 0), I(0x7b, 4, 1, 0), test::mov64(0, 0), test::exit_insn()});
  return p;
}

Result<uint64_t> run_interp(const std::vector<Insn>& p) {
  vm::InterpOptions o;
  o.helpers = vm::helper_table();
  BOMBUS_ASSIGN_OR_RETURN(auto ip, vm::Interpreter::create(p, o));
  return ip.run(nullptr, 0);
}

Result<uint64_t> run_jit(const std::vector<Insn>& p, bool blind) {
  JitOptions o;
  o.helpers = vm::helper_table();
  o.blind_constants = blind;
  BOMBUS_ASSIGN_OR_RETURN(auto jp, compile(p, o));
  return jp->run(nullptr, 0);
}

void expect_same(const std::vector<Insn>& p, uint64_t want, const char* what) {
  auto ri = run_interp(p);
  ASSERT_TRUE(ri.ok()) << what << ": " << ri.error().format();
  EXPECT_EQ(*ri, want) << what << " (interpreter)";
  for (bool blind : {false, true}) {
    auto rj = run_jit(p, blind);
    ASSERT_TRUE(rj.ok()) << what << ": " << rj.error().format();
    EXPECT_EQ(*rj, *ri) << what << (blind ? " blinded" : "");
  }
}

TEST(JitCallbacks, BpfLoopMatchesInterpreter) {
  expect_same(sum_loop(10, -1), 45 * 1000 + 10, "sum of indices 0..9");
  expect_same(sum_loop(10, 4), 10 * 1000 + 5, "stop when the callback returns 1 at index 4");
  expect_same(sum_loop(0, -1), 0, "zero iterations");
  expect_same(nested_loop(), 2 * 303 * 1000 + 2, "bpf_loop inside a callback");
  expect_same(loop_with_subprogram(), 285 * 1000 + 10, "callback calling a subprogram");
}

std::unique_ptr<vm::Map> array_map() {
  vm::MapSpec s;
  s.type = platform::MapType::kArray;
  s.key_size = 4;
  s.value_size = 8;
  s.max_entries = 5;
  s.name = "cb_array";
  auto m = std::move(vm::Map::create(s)).value();
  for (uint32_t k = 0; k < 5; ++k) {
    const uint64_t v = k * 7 + 1;
    EXPECT_EQ(m->update(&k, &v, 0), 0);
  }
  return m;
}

std::vector<uint64_t> contents(vm::Map& m) {
  std::vector<uint64_t> out;
  for (uint32_t k = 0; k < 5; ++k) {
    uint64_t v;
    std::memcpy(&v, m.lookup(&k), 8);
    out.push_back(v);
  }
  return out;
}

TEST(JitCallbacks, ForEachMapElemMatchesInterpreter) {
  auto mi = array_map();
  auto ri = run_interp(for_each(mi.get()));
  ASSERT_TRUE(ri.ok()) << ri.error().format();
  // values 1, 8, 15, 22, 29 become 2, 17, 32, 47, 62 (sum 160); 5 elements visited.
  EXPECT_EQ(contents(*mi), (std::vector<uint64_t>{2, 17, 32, 47, 62}));
  EXPECT_EQ(*ri, 160u * 1000 + 5);
  for (bool blind : {false, true}) {
    auto mj = array_map();
    auto rj = run_jit(for_each(mj.get()), blind);
    ASSERT_TRUE(rj.ok()) << rj.error().format();
    EXPECT_EQ(*rj, *ri);
    EXPECT_EQ(contents(*mj), contents(*mi));
  }
}

TEST(JitCallbacks, FaultsInsideCallbacksAreReported) {
  auto ri = run_interp(endless_nesting());
  EXPECT_FALSE(ri.ok());
  auto rj = run_jit(endless_nesting(), false);
  ASSERT_FALSE(rj.ok());
  EXPECT_NE(rj.error().message.find("in a callback"), std::string::npos) << rj.error().format();
  EXPECT_NE(rj.error().message.find("8 frames"), std::string::npos) << rj.error().format();
  // A callback address that is no instruction of the program.
  auto bad = sum_loop(3, -1);
  bad[2].imm = 5000;
  EXPECT_FALSE(run_interp(bad).ok());
  auto rb = run_jit(bad, false);
  ASSERT_FALSE(rb.ok());
  EXPECT_NE(rb.error().message.find("callback target"), std::string::npos) << rb.error().format();
  EXPECT_EQ(rb.error().where.insn, 5000) << rb.error().format();
}

TEST(JitCallbacks, EachCallbackGetsAFreshFrameAndTheRunContinues) {
  // Two bpf_loop calls in a row in the same run: the frame depth and unwind point come back.
  auto p = sum_loop(3, -1);
  auto ri = run_interp(p);
  ASSERT_TRUE(ri.ok());
  JitOptions o;
  o.helpers = vm::helper_table();
  auto jp = compile(p, o);
  ASSERT_TRUE(jp.ok()) << jp.error().format();
  for (int i = 0; i < 3; ++i) {
    auto r = (*jp)->run(nullptr, 0);
    ASSERT_TRUE(r.ok()) << r.error().format();
    EXPECT_EQ(*r, *ri);
    EXPECT_EQ((*jp)->call(nullptr, 0), *ri);
  }
  EXPECT_NE((*jp)->callback_entry(12), nullptr);
  EXPECT_EQ((*jp)->callback_entry(13), nullptr);
}

TEST(JitCallbacks, CallbacksCorpusObjectMatchesInterpreter) {
  register_jit_engine();
  const std::string path = progs::path("callbacks");
  std::vector<uint64_t> results[2];
  std::vector<std::vector<uint8_t>> maps[2];
  int e = 0;
  for (Engine engine : {Engine::kInterp, Engine::kJit}) {
    ObjectOptions oo;
    oo.engine = engine;
    auto obj = Object::open_file(path, oo);
    if (!obj.ok()) GTEST_SKIP() << "callbacks object: " << obj.error().format();
    auto st = (*obj)->load();
    ASSERT_TRUE(st.ok()) << st.error().format();
    Map* m = (*obj)->find_map("values");
    ASSERT_NE(m, nullptr);
    for (uint32_t k = 0; k < 16; ++k) {
      const uint64_t v = k * 3;
      ASSERT_TRUE(m->update(std::span(reinterpret_cast<const uint8_t*>(&k), 4),
                            std::span(reinterpret_cast<const uint8_t*>(&v), 8))
                      .ok());
    }
    for (Program& p : (*obj)->programs()) {
      std::vector<uint8_t> pkt(64, 0);
      TestRun in;
      in.data_in = pkt;
      auto r = p.test_run(in);
      ASSERT_TRUE(r.ok()) << r.error().format();
      results[e].push_back(r->retval64);
    }
    for (uint32_t k = 0; k < 16; ++k) {
      auto v = m->lookup(std::span(reinterpret_cast<const uint8_t*>(&k), 4));
      ASSERT_TRUE(v.ok()) << v.error().format();
      maps[e].push_back(*v);
    }
    ++e;
  }
  ASSERT_FALSE(results[0].empty());
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(maps[0], maps[1]);
  // loop_prog: 45 + 3 * (0 + ... + 15) = 405 > 100: XDP_DROP (1), on both engines.
  EXPECT_EQ(results[1][0], 1u);
}

// ctx = u64[4] {drain result, sum of samples, dynptr_read errors, 31-hash of the order}. main:
// ctx[0] = bpf_user_ringbuf_drain(map, cb, ctx, 0); the callback (11) reads 8 bytes of its
// sample with bpf_dynptr_read, counts a failed read, else adds the sample to the sum and the
// hash, and returns 1 (stop) after a sample of 99.
std::vector<Insn> user_ringbuf_drain(vm::Map* map) {
  constexpr int32_t kDrain = 209, kDynptrRead = 201;
  std::vector<Insn> p = {test::mov64r(6, 1)};
  test::lddw(p, 1, reinterpret_cast<uint64_t>(map));
  test::lddw(p, 2, 11);
  p.insert(p.end(),
           {test::mov64r(3, 6), test::mov64(4, 0), I(0x85, 0, 0, 0, kDrain), I(0x7b, 6, 0, 0),
            test::mov64(0, 0), test::exit_insn(),
            // callback (11): r6 = ctx, read the sample into r10-8
            test::mov64r(6, 2), test::mov64r(3, 1), I(0x7a, 10, 0, -8, 0), test::mov64r(1, 10),
            I(0x07, 1, 0, 0, -8), test::mov64(2, 8), test::mov64(4, 0), test::mov64(5, 0),
            I(0x85, 0, 0, 0, kDynptrRead), I(0x55, 0, 0, 12, 0),  // read failed: to 33
            I(0x79, 7, 10, -8), I(0x79, 1, 6, 8), I(0x0f, 1, 7), I(0x7b, 6, 1, 8),
            I(0x79, 1, 6, 24), I(0x27, 1, 0, 0, 31), I(0x0f, 1, 7), I(0x7b, 6, 1, 24),
            test::mov64(0, 0), I(0x55, 7, 0, 1, 99), test::mov64(0, 1), test::exit_insn(),
            // 33: count the failed read, go on
            I(0x79, 1, 6, 16), I(0x07, 1, 0, 0, 1), I(0x7b, 6, 1, 16), test::mov64(0, 0),
            test::exit_insn()});
  return p;
}

// Produces the same samples into a fresh USER_RINGBUF map and drains it four times with
// `run(program, ctx)`, returning ctx after each drain.
template <typename Run>
std::vector<std::vector<int64_t>> drain_sequence(Run run) {
  vm::MapSpec s;
  s.type = platform::MapType::kUserRingbuf;
  s.max_entries = 4096;
  s.name = "jit_user_rb";
  auto m = std::move(vm::Map::create(s)).value();
  auto* rb = static_cast<vm::RingBuf*>(m.get());
  auto produce = [&](uint64_t v, uint32_t size, bool discard) {
    void* r = rb->reserve(size);
    EXPECT_NE(r, nullptr);
    if (!r) return;
    std::memcpy(r, &v, size);
    if (discard)
      rb->discard(r, 0);
    else
      rb->submit(r, 0);
  };
  produce(5, 8, false);
  produce(1000, 8, true);  // discarded: never seen
  produce(7, 8, false);
  produce(3, 4, false);   // 4 bytes: reading 8 fails (-E2BIG)
  produce(99, 8, false);  // the callback stops after it
  produce(9, 8, false);
  void* busy = rb->reserve(8);  // not committed yet: the second drain stops before it
  EXPECT_NE(busy, nullptr);
  const auto prog = user_ringbuf_drain(m.get());
  std::vector<std::vector<int64_t>> out;
  std::vector<int64_t> ctx(4, 0);
  for (int i = 0; i < 4; ++i) {
    if (i == 2 && busy) {
      const uint64_t v = 11;
      std::memcpy(busy, &v, 8);
      rb->submit(busy, 0);
    }
    ctx[0] = -1;
    run(prog, ctx);
    out.push_back(ctx);
  }
  return out;
}

TEST(JitCallbacks, UserRingbufDrainMatchesInterpreter) {
  auto interp = drain_sequence([](const std::vector<Insn>& p, std::vector<int64_t>& ctx) {
    vm::InterpOptions o;
    o.helpers = vm::helper_table();
    auto ip = vm::Interpreter::create(p, o);
    ASSERT_TRUE(ip.ok()) << ip.error().format();
    auto r = ip->run(ctx.data(), ctx.size() * 8);
    ASSERT_TRUE(r.ok()) << r.error().format();
  });
  // Drain 1: 5, 7, the short sample, 99 (stop): 4 samples; drain 2: 9 then the busy record;
  // drain 3: the now committed 11; drain 4: empty.
  const int64_t h1 = (5 * 31 + 7) * 31 + 99, h2 = h1 * 31 + 9, h3 = h2 * 31 + 11;
  const std::vector<std::vector<int64_t>> want = {
      {4, 111, 1, h1}, {1, 120, 1, h2}, {1, 131, 1, h3}, {0, 131, 1, h3}};
  EXPECT_EQ(interp, want);
  for (bool blind : {false, true}) {
    auto jit = drain_sequence([&](const std::vector<Insn>& p, std::vector<int64_t>& ctx) {
      JitOptions o;
      o.helpers = vm::helper_table();
      o.blind_constants = blind;
      auto jp = compile(p, o);
      ASSERT_TRUE(jp.ok()) << jp.error().format();
      EXPECT_NE((*jp)->callback_entry(11), nullptr);  // the drain calls native code
      auto r = (*jp)->run(ctx.data(), ctx.size() * 8);
      ASSERT_TRUE(r.ok()) << r.error().format();
    });
    EXPECT_EQ(jit, interp) << (blind ? "blinded" : "plain");
  }
}

// main(ctx = u64 results[2]): init(timer, map, CLOCK_MONOTONIC), set_callback(timer, cb),
// start(timer, 1000, 0); the callback (map, key, value) adds 1 to value[0] and stores the key
// in value[1].
std::vector<Insn> timer_program(uint8_t* timer, vm::Map* map) {
  std::vector<Insn> p = {test::mov64r(6, 1)};
  test::lddw(p, 1, reinterpret_cast<uint64_t>(timer));
  test::lddw(p, 2, reinterpret_cast<uint64_t>(map));
  p.insert(p.end(), {test::mov64(3, 1), I(0x85, 0, 0, 0, 169), I(0x7b, 6, 0, 0)});
  test::lddw(p, 1, reinterpret_cast<uint64_t>(timer));
  const size_t cb_lddw = p.size();
  test::lddw(p, 2, 0);
  p.insert(p.end(), {I(0x85, 0, 0, 0, 170), I(0x7b, 6, 0, 8)});
  test::lddw(p, 1, reinterpret_cast<uint64_t>(timer));
  p.insert(p.end(), {test::mov64(2, 1000), test::mov64(3, 0), I(0x85, 0, 0, 0, 171),
                     test::mov64(0, 0), test::exit_insn()});
  p[cb_lddw].imm = static_cast<int32_t>(p.size());
  p.insert(p.end(), {I(0x79, 4, 3, 0), I(0x07, 4, 0, 0, 1), I(0x7b, 3, 4, 0), I(0x61, 5, 2, 0),
                     I(0x7b, 3, 5, 8), test::mov64(0, 0), test::exit_insn()});
  return p;
}

TEST(JitCallbacks, TimerCallbackRunsUnderTheJit) {
  auto& ts = vm::TimerService::global();
  ts.use_manual_clock(1'000'000);
  vm::MapSpec s;
  s.type = platform::MapType::kArray;
  s.key_size = 4;
  s.value_size = 32;
  s.max_entries = 4;
  s.timer_off = 16;
  s.name = "jit_timers";
  auto m = std::move(vm::Map::create(s)).value();
  uint32_t k = 3;
  auto* v = static_cast<uint8_t*>(m->lookup(&k));
  JitOptions o;
  o.helpers = vm::helper_table();
  auto jp = compile(timer_program(v + 16, m.get()), o);
  ASSERT_TRUE(jp.ok()) << jp.error().format();
  uint64_t res[2] = {99, 99};
  auto r = (*jp)->run(res, sizeof res);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(res[0], 0u);  // init
  EXPECT_EQ(res[1], 0u);  // set_callback (was -EOPNOTSUPP before the JIT had call_function)
  EXPECT_EQ(ts.advance(999), 0u);
  EXPECT_EQ(ts.advance(1), 1u);
  uint64_t counter, key;
  std::memcpy(&counter, v, 8);
  std::memcpy(&key, v + 8, 8);
  EXPECT_EQ(counter, 1u);
  EXPECT_EQ(key, 3u);
  m.reset();  // frees the timer before the program goes
  ts.use_real_clock();
}

}  // namespace
}  // namespace bombus::jit
