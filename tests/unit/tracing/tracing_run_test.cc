// Tracing programs run on synthetic events (runtime/tracing_event.h) under the interpreter and
// the JIT: tests/progs/tracing.bpf.o's tp_btf/sched_switch reads prev/next task fields, a nested
// pointer, a bit field and the current task; a garbage pointer reads 0 instead of faulting
// (PROBE_MEM). Also: bad events get errors naming the field, and a PROBE_MEM load of a wild
// address gives 0 in both engines on a hand-made program. Skips without vmlinux BTF.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "bombus/bombus.h"
#include "bombus_progs.h"
#include "isa/asm.h"
#include "jit/engine/jit_engine.h"
#include "loader/kernel_btf.h"
#include "runtime/tracing_event.h"
#include "vm/interp.h"
#include "vm/probe_mem.h"

namespace bombus {
namespace {

struct Out {
  uint64_t prev_pid, next_pid, parent_pid, wild, cur_pid, comm0, comm1, execve;
};

bool have_vmlinux() {
  return loader::system_vmlinux_btf().ok();
}

class TracingRun : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (!have_vmlinux()) GTEST_SKIP() << "no vmlinux BTF (/sys/kernel/btf/vmlinux)";
    jit::register_jit_engine();
    ObjectOptions o;
    o.engine = GetParam();
    auto obj = Object::open_file(progs::path("tracing"), o);
    ASSERT_TRUE(obj.ok()) << obj.error().format();
    obj_ = std::move(obj).value();
    auto st = obj_->load();
    ASSERT_TRUE(st.ok()) << st.error().format();
  }
  Out result(uint32_t key) {
    Out o{};
    auto v = obj_->find_map("results")->lookup_u32(key);
    EXPECT_TRUE(v.ok());
    if (v.ok() && v->size() == sizeof o) std::memcpy(&o, v->data(), sizeof o);
    return o;
  }
  Program* prog(const char* name) { return obj_->find_program(name); }
  std::unique_ptr<Object> obj_;
};

TEST_P(TracingRun, SchedSwitchReadsTaskFieldsFromTheEvent) {
  TestRun in;
  in.event = R"({"preempt": true,
                 "prev": {"pid": 11, "group_leader": 3735928559, "in_execve": 1},
                 "next": {"pid": 22, "comm": "hi", "real_parent": {"pid": 5}},
                 "current": {"pid": 99}})";
  auto r = prog("on_switch")->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 7u);
  Out o = result(0);
  EXPECT_EQ(o.prev_pid, 11u);
  EXPECT_EQ(o.next_pid, 22u);
  EXPECT_EQ(o.parent_pid, 5u);
  EXPECT_EQ(o.wild, 0u);  // prev->group_leader is 0xdeadbeef: the load reads 0
  EXPECT_EQ(o.cur_pid, 99u);
  EXPECT_EQ(o.comm0, static_cast<uint64_t>('h'));
  EXPECT_EQ(o.comm1, static_cast<uint64_t>('i'));
  EXPECT_EQ(o.execve, 1u);
}

TEST_P(TracingRun, AbsentPointersReadZero) {
  TestRun in;
  in.event = R"({"preempt": 0, "next": {"pid": 3}})";  // prev is NULL, no parent, no current
  auto r = prog("on_switch")->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 3u);
  Out o = result(0);
  EXPECT_EQ(o.prev_pid, 0u);
  EXPECT_EQ(o.next_pid, 3u);
  EXPECT_EQ(o.parent_pid, 0u);
  EXPECT_EQ(o.cur_pid, 0u);
}

TEST_P(TracingRun, FentryOnAKernelFunction) {
  TestRun in;
  in.event = R"({"p": {"pid": 1234}})";
  auto r = prog("on_wake")->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 0u);
  EXPECT_EQ(result(1).next_pid, 1234u);
}

TEST_P(TracingRun, BadEventsNameTheField) {
  TestRun in;
  in.event = R"({"next": {"no_such_field": 1}})";
  auto r = prog("on_switch")->test_run(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("next.no_such_field: struct task_struct has no field"),
            std::string::npos)
      << r.error().message;
  in.event = R"({"nxt": {}})";
  r = prog("on_switch")->test_run(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("preempt, prev, next, prev_state"), std::string::npos)
      << r.error().message;
  in.event = R"({"next": {"pid": "x"}})";
  EXPECT_FALSE(prog("on_switch")->test_run(in).ok());
  in.event = "{not json";
  EXPECT_FALSE(prog("on_switch")->test_run(in).ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, TracingRun, ::testing::Values(Engine::kInterp, Engine::kJit),
                         [](const auto& i) {
                           return std::string(i.param == Engine::kJit ? "Jit" : "Interp");
                         });

// A hand-made PROBE_MEM load (imm = kLdxProbeMemImm) of wild, NULL and registered addresses.
TEST(ProbeMem, WildAddressesReadZeroRegisteredOnesTheirBytes) {
  alignas(8) static uint64_t obj[2] = {0x1122334455667788ull, 0};
  auto reg = vm::MemoryRegistry::global().add(obj, sizeof obj, false);
  for (uint64_t addr : {uint64_t{0xdead0000}, uint64_t{0}, reinterpret_cast<uint64_t>(obj)}) {
    auto insns = isa::assemble("r2 = *(u64 *)(r1 +0)\nr0 = *(u32 *)(r2 +0)\nexit\n");
    ASSERT_TRUE(insns.ok());
    (*insns)[1].imm = vm::kLdxProbeMemImm;
    uint64_t ctx = addr;
    const uint64_t want = addr == reinterpret_cast<uint64_t>(obj) ? 0x55667788u : 0u;
    EXPECT_EQ(vm::probe_load(addr, 4, false), want);
    auto ip = vm::Interpreter::create(*insns, {});
    ASSERT_TRUE(ip.ok());
    auto r = ip->run(&ctx, sizeof ctx);
    ASSERT_TRUE(r.ok()) << r.error().format();
    EXPECT_EQ(*r, want) << std::hex << addr;
  }
}

TEST(TracingEvent, SyntheticObjectsFollowBtfLayout) {
  auto b = loader::system_vmlinux_btf();
  if (!b.ok()) GTEST_SKIP() << "no vmlinux BTF";
  runtime::SyntheticObjects objs;
  const uint32_t task = *(*b)->find("task_struct", btf::Kind::kStruct);
  auto addr = objs.build(**b, task, R"({"pid": 42, "comm": "abcdefghijklmnopqrstuvwxyz"})", "t");
  ASSERT_TRUE(addr.ok()) << addr.error().format();
  const auto* p = reinterpret_cast<const uint8_t*>(*addr);
  const btf::Type t = (*b)->type(task);
  for (uint16_t i = 0; i < t.vlen(); ++i) {
    const btf::Member m = t.member(i);
    if (m.name == "pid") EXPECT_EQ(vm::probe_load(*addr + m.bit_offset / 8, 4, false), 42u);
    if (m.name == "comm") {
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(p + m.bit_offset / 8)),
                "abcdefghijklmno");  // 16 bytes with the NUL
    }
  }
  EXPECT_TRUE(objs.build(**b, task, R"({"comm": [104, 105]})", "t").ok());
  EXPECT_FALSE(objs.build(**b, task, R"({"comm": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                                   14, 15, 16, 17]})",
                          "t")
                   .ok());  // 17 elements for char[16]
  EXPECT_FALSE(objs.build(**b, task, "[]", "t").ok());
}

}  // namespace
}  // namespace bombus
