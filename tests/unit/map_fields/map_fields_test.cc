// bpf_spin_lock / bpf_timer offsets come from the map's BTF value type: an object whose value
// holds both loads, BPF_F_LOCK lookups work, and its timer arms through bpf_timer_init (which
// needs the timer's offset) and fires its callback; the kernel runs the same object to the same
// map contents (skipped without bpf()).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "bombus/bombus.h"
#include "vm/helpers/timers.h"

namespace bombus {
namespace {

struct Elem {
  uint32_t lock, pad;
  uint64_t locked_count;
  uint64_t timer[2];
  uint64_t fired;
};

std::vector<uint8_t> packet() {
  std::vector<uint8_t> p(64, 0);
  p[12] = 0x08;
  return p;
}

TEST(MapFields, SpinLockAndTimerFromBtfThroughTheRuntime) {
  vm::TimerService::global().use_manual_clock(5'000'000);
  ObjectOptions o;
  o.verify = false;  // the subject is the runtime's map set-up, not the verifier's timer model
  auto obj = Object::open_file(MAP_FIELDS_OBJ, o);
  ASSERT_TRUE(obj.ok()) << obj.error().format();
  ASSERT_TRUE((*obj)->load().ok());
  Program* p = (*obj)->find_program("arm");
  Map* m = (*obj)->find_map("timers");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(m, nullptr);
  auto pkt = packet();
  TestRun in;
  in.data_in = pkt;
  auto r1 = p->test_run(in);
  auto r2 = p->test_run(in);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->retval, 2u);  // XDP_PASS: bpf_timer_init found the timer (offset 16 from BTF)
  EXPECT_EQ(r2->retval, 1u);  // XDP_DROP: -EBUSY the second time
  EXPECT_EQ(vm::TimerService::global().advance(1000), 1u);
  uint32_t k = 0;
  auto v = m->lookup({reinterpret_cast<uint8_t*>(&k), 4}, BPF_F_LOCK);  // needs the lock offset
  ASSERT_TRUE(v.ok()) << v.error().format();
  Elem e;
  std::memcpy(&e, v->data(), sizeof e);
  EXPECT_EQ(e.locked_count, 2u);
  EXPECT_EQ(e.fired, 1u);
  EXPECT_EQ(e.timer[0] | e.timer[1], 0u);  // handed back zeroed, as the kernel does
  vm::TimerService::global().use_real_clock();
}

TEST(MapFields, ClosingTheObjectFreesItsArmedTimers) {
  auto& ts = vm::TimerService::global();
  ts.use_manual_clock(7'000'000);
  ObjectOptions o;
  o.verify = false;
  {
    auto obj = Object::open_file(MAP_FIELDS_OBJ, o);
    ASSERT_TRUE(obj.ok() && (*obj)->load().ok());
    auto pkt = packet();
    TestRun in;
    in.data_in = pkt;
    ASSERT_EQ((*obj)->find_program("arm")->test_run(in)->retval, 2u);
    EXPECT_EQ(ts.pending(), 1u);
  }
  EXPECT_EQ(ts.pending(), 0u);
  EXPECT_EQ(ts.advance(10'000), 0u);  // nothing left to call into the closed object
  ts.use_real_clock();
}

TEST(MapFields, TheKernelEndsWithTheSameValue) {
  bpf_object* ko = bpf_object__open_file(MAP_FIELDS_OBJ, nullptr);
  if (!ko || bpf_object__load(ko)) {
    if (ko) bpf_object__close(ko);
    GTEST_SKIP() << "bpf() unavailable: no kernel to compare with";
  }
  int prog = bpf_program__fd(bpf_object__find_program_by_name(ko, "arm"));
  int map = bpf_map__fd(bpf_object__find_map_by_name(ko, "timers"));
  auto pkt = packet();
  uint32_t rets[2];
  for (auto& ret : rets) {
    LIBBPF_OPTS(bpf_test_run_opts, t);
    t.data_in = pkt.data();
    t.data_size_in = static_cast<uint32_t>(pkt.size());
    ASSERT_EQ(bpf_prog_test_run_opts(prog, &t), 0);
    ret = t.retval;
  }
  EXPECT_EQ(rets[0], 2u);
  EXPECT_EQ(rets[1], 1u);
  Elem e{};
  uint32_t k = 0;
  for (int i = 0; i < 2000 && e.fired == 0; ++i) {  // the kernel fires after 1 us
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(bpf_map_lookup_elem_flags(map, &k, &e, BPF_F_LOCK), 0);
  }
  EXPECT_EQ(e.locked_count, 2u);
  EXPECT_EQ(e.fired, 1u);
  EXPECT_EQ(e.timer[0] | e.timer[1], 0u);  // the kernel hands the timer back zeroed
  bpf_object__close(ko);
}

}  // namespace
}  // namespace bombus
