// The JIT through the runtime: every program of the BPF object corpus (tests/progs) that loads
// with the interpreter also loads with Engine::kJit, and BPF_PROG_TEST_RUN-style runs on the
// same input give the same verdict, output packet and return value on both engines.
#include "jit/engine/jit_engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "bombus_progs.h"

namespace bombus::jit {
namespace {

std::vector<uint8_t> sample_packet() {
  std::vector<uint8_t> p(128, 0);
  p[12] = 0x08;  // IPv4
  p[14] = 0x45;
  p[23] = 17;  // UDP
  for (size_t i = 34; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

TEST(JitEngine, RegistersWithRuntime) {
  register_jit_engine();
  EXPECT_NE(runtime::find_engine(Engine::kJit), nullptr);
}

TEST(JitEngine, CorpusProgramsMatchInterpreterThroughRuntime) {
  register_jit_engine();
  int compared = 0;
  for (const char* name : progs::kNames) {
    const std::string path = progs::path(name);
    ObjectOptions io, jo;
    io.engine = Engine::kInterp;
    io.verify = false;  // engines are compared; verification is not what is tested here
    jo.verify = false;
    jo.engine = Engine::kJit;
    auto oi = Object::open_file(path, io);
    auto oj = Object::open_file(path, jo);
    if (!oi.ok() || !oj.ok()) continue;
    if (!(*oi)->load().ok()) continue;  // objects the runtime cannot load yet are not our case
    auto st = (*oj)->load();
    ASSERT_TRUE(st.ok()) << name << ": jit load failed: " << st.error().format();
    for (Program& pi : (*oi)->programs()) {
      Program* pj = (*oj)->find_program(pi.name());
      ASSERT_NE(pj, nullptr) << name << ": " << pi.name();
      if (!pi.loaded()) continue;
      const auto pkt = sample_packet();
      TestRun in;
      in.data_in = pkt;
      auto ri = pi.test_run(in);
      auto rj = pj->test_run(in);
      ASSERT_EQ(ri.ok(), rj.ok()) << name << "/" << pi.name() << ": "
                                  << (ri.ok() ? rj.error().format() : ri.error().format());
      if (!ri.ok()) continue;
      EXPECT_EQ(ri->retval64, rj->retval64) << name << "/" << pi.name();
      EXPECT_EQ(ri->data_out, rj->data_out) << name << "/" << pi.name();
      ++compared;
    }
  }
  std::printf("jit vs interp through the runtime: %d programs compared\n", compared);
  if (compared == 0) GTEST_SKIP() << "no corpus program could be test-run";
}

}  // namespace
}  // namespace bombus::jit
