// bpf_timer helpers (169-172) run by the interpreter: a program initialises, arms and re-arms a
// timer in an array value, the callback gets (map, key, value) and may not cancel its own timer
// (-EDEADLK); errnos as the kernel's; the manual clock fires deterministically, the real clock
// on the timer thread; deleting or overwriting the element frees its timer.
#include "vm/helpers/timers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "vm/helpers/helpers.h"
#include "vm/interp.h"
#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

using isa::Insn;

// Value layout: u64 counter, u64 key seen, struct bpf_timer at 16, u64 cancel result at 32.
constexpr int32_t kTimerOff = 16;
constexpr uint32_t kValueSize = 40;

void lddw(std::vector<Insn>& p, uint8_t dst, uint64_t v) {
  p.push_back({0x18, dst, 0, 0, static_cast<int32_t>(v)});
  p.push_back({0, 0, 0, 0, static_cast<int32_t>(v >> 32)});
}
Insn call(int32_t id) {
  return {0x85, 0, 0, 0, id};
}
Insn stx64(uint8_t dst, uint8_t src, int16_t off) {
  return {0x7b, dst, src, off, 0};
}

// main(ctx = u64 results[3]): results = {init(timer, map, clock), set_callback(timer, cb),
// start(timer, ns, 0)}; the callback bumps the counter, records the key, tries to cancel
// its own timer, and re-arms itself while the counter is below `rearm`.
std::vector<Insn> program(void* timer, Map* map, uint64_t clock, uint64_t ns, int32_t rearm) {
  std::vector<Insn> p;
  p.push_back({0xbf, 6, 1, 0, 0});  // r6 = r1
  lddw(p, 1, reinterpret_cast<uint64_t>(timer));
  lddw(p, 2, reinterpret_cast<uint64_t>(map));
  lddw(p, 3, clock);
  p.push_back(call(169));
  p.push_back(stx64(6, 0, 0));
  lddw(p, 1, reinterpret_cast<uint64_t>(timer));
  size_t cb_lddw = p.size();
  lddw(p, 2, 0);  // patched below: the callback's instruction index
  p.push_back(call(170));
  p.push_back(stx64(6, 0, 8));
  lddw(p, 1, reinterpret_cast<uint64_t>(timer));
  lddw(p, 2, ns);
  p.push_back({0xb7, 3, 0, 0, 0});
  p.push_back(call(171));
  p.push_back(stx64(6, 0, 16));
  p.push_back({0xb7, 0, 0, 0, 0});
  p.push_back({0x95});
  size_t cb = p.size();
  p[cb_lddw].imm = static_cast<int32_t>(cb);
  p.push_back({0xbf, 6, 3, 0, 0});  // r6 = value
  p.push_back({0x79, 4, 6, 0, 0});  // r4 = counter
  p.push_back({0x07, 4, 0, 0, 1});  // r4 += 1
  p.push_back(stx64(6, 4, 0));      // counter = r4
  p.push_back({0x61, 5, 2, 0, 0});  // r5 = *(u32*)key
  p.push_back(stx64(6, 5, 8));      // key seen
  p.push_back({0xbf, 1, 6, 0, 0});  // r1 = value
  p.push_back({0x07, 1, 0, 0, kTimerOff});
  p.push_back(call(172));  // cancel own timer
  p.push_back(stx64(6, 0, 32));
  p.push_back({0xa5, 4, 0, 2, rearm});  // if r4 < rearm: re-arm (skip the exit)
  p.push_back({0xb7, 0, 0, 0, 0});
  p.push_back({0x95});
  p.push_back({0xbf, 1, 6, 0, 0});  // r1 = timer
  p.push_back({0x07, 1, 0, 0, kTimerOff});
  p.push_back({0xb7, 2, 0, 0, 100});
  p.push_back({0xb7, 3, 0, 0, 0});
  p.push_back(call(171));
  p.push_back({0xb7, 0, 0, 0, 0});
  p.push_back({0x95});
  return p;
}

std::unique_ptr<Map> timer_array(uint32_t max = 4) {
  MapSpec s;
  s.type = platform::MapType::kArray;
  s.key_size = 4;
  s.value_size = kValueSize;
  s.max_entries = max;
  s.timer_off = kTimerOff;
  s.name = "timers";
  return std::move(Map::create(s)).value();
}

// Programs stay alive for the whole test binary: armed timers call back into them.
std::vector<std::unique_ptr<Interpreter>>& programs() {
  static std::vector<std::unique_ptr<Interpreter>> v;
  return v;
}

std::vector<int64_t> run(const std::vector<Insn>& p) {
  InterpOptions o;
  o.helpers = helper_table();
  auto ip = Interpreter::create(p, o);
  EXPECT_TRUE(ip.ok()) << (ip.ok() ? "" : ip.error().format());
  std::vector<int64_t> res(3, 99);
  if (!ip.ok()) return res;
  programs().push_back(std::make_unique<Interpreter>(std::move(ip).value()));
  EXPECT_TRUE(programs().back()->run(res.data(), 24).ok());
  return res;
}

struct ManualClock {
  ManualClock() { TimerService::global().use_manual_clock(1'000'000); }
  ~ManualClock() { TimerService::global().use_real_clock(); }
};

TEST(Timers, ArmFireAndRearmOnTheManualClock) {
  ManualClock clock;
  auto m = timer_array();
  uint32_t k = 2;
  auto* v = static_cast<uint8_t*>(m->lookup(&k));
  auto& ts = TimerService::global();
  EXPECT_EQ(run(program(v + kTimerOff, m.get(), 1, 1000, 3)), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(ts.pending(), 1u);
  EXPECT_EQ(ts.advance(999), 0u);
  uint64_t counter;
  std::memcpy(&counter, v, 8);
  EXPECT_EQ(counter, 0u);
  EXPECT_EQ(ts.advance(1), 1u);
  int64_t key_seen, cancel_rc;
  std::memcpy(&counter, v, 8);
  std::memcpy(&key_seen, v + 8, 8);
  std::memcpy(&cancel_rc, v + 32, 8);
  EXPECT_EQ(counter, 1u);
  EXPECT_EQ(key_seen, 2);     // the array index
  EXPECT_EQ(cancel_rc, -35);  // EDEADLK: a callback cannot cancel its own timer
  // The callback re-armed itself (100 ns) until the counter reached 3.
  EXPECT_EQ(ts.advance(1000), 2u);
  std::memcpy(&counter, v, 8);
  EXPECT_EQ(counter, 3u);
  EXPECT_EQ(ts.pending(), 0u);
}

TEST(Timers, KernelErrnos) {
  ManualClock clock;
  auto m = timer_array(), other = timer_array();
  auto& ts = TimerService::global();
  uint32_t k = 0;
  auto* v = static_cast<uint8_t*>(m->lookup(&k));
  void* t = v + kTimerOff;
  EXPECT_EQ(ts.cancel(t), -22);            // never initialised
  EXPECT_EQ(ts.start(t, 10, 0), -22);      // never initialised
  EXPECT_EQ(ts.init(t, m.get(), 3), -22);  // CLOCK_PROCESS_CPUTIME_ID: not a timer clock
  EXPECT_EQ(ts.init(t, m.get(), 16), -22);
  EXPECT_EQ(ts.init(t, other.get(), 1), -1);  // EPERM: not a timer of that map
  EXPECT_EQ(ts.init(t, m.get(), 1), 0);
  EXPECT_EQ(ts.init(t, m.get(), 1), -16);  // EBUSY
  EXPECT_EQ(ts.start(t, 10, 0), -22);      // no callback yet
  EXPECT_EQ(ts.set_callback(t, 0), -95);   // outside a program run: no engine to call back
  EXPECT_EQ(ts.cancel(t), 0);              // initialised, not armed
  // A program sets the callback and arms it; cancel disarms (1), then clears the callback.
  uint32_t k1 = 1;
  auto* v1 = static_cast<uint8_t*>(m->lookup(&k1));
  EXPECT_EQ(run(program(v1 + kTimerOff, m.get(), 1, 50, 1)), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(ts.start(v1 + kTimerOff, 10, 4), -22);  // unknown flag
  EXPECT_EQ(ts.cancel(v1 + kTimerOff), 1);
  EXPECT_EQ(ts.cancel(v1 + kTimerOff), 0);
  EXPECT_EQ(ts.start(v1 + kTimerOff, 10, 0), -22);  // the callback went with the cancel
  EXPECT_EQ(ts.advance(1000), 0u);
}

TEST(Timers, AbsoluteDeadlinesFireInOrder) {
  ManualClock clock;
  auto m = timer_array();
  auto& ts = TimerService::global();
  uint32_t a = 0, b = 1;
  auto* va = static_cast<uint8_t*>(m->lookup(&a));
  auto* vb = static_cast<uint8_t*>(m->lookup(&b));
  run(program(va + kTimerOff, m.get(), 1, 5000, 1));
  run(program(vb + kTimerOff, m.get(), 1, 2000, 1));
  EXPECT_EQ(ts.start(vb + kTimerOff, 1'003'000, 1), 0);  // BPF_F_TIMER_ABS
  EXPECT_EQ(ts.advance(3000), 1u);                       // only b (at 1,003,000)
  uint64_t ca, cb;
  std::memcpy(&ca, va, 8);
  std::memcpy(&cb, vb, 8);
  EXPECT_EQ(ca, 0u);
  EXPECT_EQ(cb, 1u);
  EXPECT_EQ(ts.advance(2000), 1u);
  std::memcpy(&ca, va, 8);
  EXPECT_EQ(ca, 1u);
}

TEST(Timers, OverwritingOrDeletingTheElementFreesItsTimer) {
  ManualClock clock;
  auto& ts = TimerService::global();
  auto m = timer_array();
  uint32_t k = 3;
  auto* v = static_cast<uint8_t*>(m->lookup(&k));
  run(program(v + kTimerOff, m.get(), 1, 100, 1));
  EXPECT_EQ(ts.pending(), 1u);
  std::vector<uint8_t> nv(kValueSize, 0);
  ASSERT_EQ(m->update(&k, nv.data(), 0), 0);
  EXPECT_EQ(ts.pending(), 0u);
  EXPECT_EQ(ts.cancel(v + kTimerOff), -22);  // freed: uninitialised again
  EXPECT_EQ(ts.init(v + kTimerOff, m.get(), 1), 0);

  MapSpec s;
  s.type = platform::MapType::kHash;
  s.key_size = 4;
  s.value_size = kValueSize;
  s.max_entries = 8;
  s.timer_off = kTimerOff;
  auto h = std::move(Map::create(s)).value();
  ASSERT_EQ(h->update(&k, nv.data(), 0), 0);
  auto* hv = static_cast<uint8_t*>(h->lookup(&k));
  EXPECT_EQ(run(program(hv + kTimerOff, h.get(), 1, 100, 1)), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(ts.pending(), 1u);
  EXPECT_EQ(ts.advance(100), 1u);
  int64_t key_seen;
  std::memcpy(&key_seen, hv + 8, 8);
  EXPECT_EQ(key_seen, 3);  // a hash map's callback gets the element's key
  EXPECT_EQ(ts.start(hv + kTimerOff, 100, 0), 0);
  ASSERT_EQ(h->remove(&k), 0);
  EXPECT_EQ(ts.pending(), 0u);
}

TEST(Timers, RealClockFiresOnTheTimerThread) {
  auto m = timer_array();
  uint32_t k = 1;
  auto* v = static_cast<uint8_t*>(m->lookup(&k));
  EXPECT_EQ(run(program(v + kTimerOff, m.get(), 1, 1000, 2)), (std::vector<int64_t>{0, 0, 0}));
  // Wait (bounded) for two firings: the first and its re-arm.
  uint64_t counter = 0;
  for (int i = 0; i < 5000 && counter < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    counter = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(v)).load();
  }
  EXPECT_EQ(counter, 2u);
  m.reset();  // destroying the map frees its timers
  EXPECT_EQ(TimerService::global().pending(), 0u);
}

}  // namespace
}  // namespace bombus::vm
