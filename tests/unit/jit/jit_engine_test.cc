// The JIT through the runtime: every program of the BPF object corpus (tests/progs) that loads
// with the interpreter also loads with Engine::kJit, and BPF_PROG_TEST_RUN-style runs on the
// same input give the same verdict, output packet and return value on both engines.
#include "jit/engine/jit_engine.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "bombus_progs.h"
#include "runtime/object_impl.h"
#include "vm/helpers/helpers.h"

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

// Programs loaded through the runtime get their plain array-map lookups inlined
// (EngineConfig::maps -> JitOptions::maps): in xdp_fw some bpf_map_lookup_elem call site no
// longer calls the helper (its address is absent from the site's code), others still do.
TEST(JitEngine, RuntimeLoadedProgramsInlineArrayLookups) {
  register_jit_engine();
  ObjectOptions jo;
  jo.engine = Engine::kJit;
  auto obj = Object::open_file(progs::path("xdp_fw"), jo);
  if (!obj.ok()) GTEST_SKIP() << obj.error().format();
  auto st = (*obj)->load();
  ASSERT_TRUE(st.ok()) << st.error().format();
  const auto helper = reinterpret_cast<uint64_t>(vm::helper_table()[1]);
  int inlined = 0, called = 0;
  for (Program& p : (*obj)->programs()) {
    if (!p.loaded() || !p.impl()->image) continue;
    const JitProgram* jp = jit_program_of(*p.impl()->image);
    ASSERT_NE(jp, nullptr);
    for (size_t i = 0; i < jp->insns().size(); ++i) {
      const isa::Insn& in = jp->insns()[i];
      if (in.opcode != 0x85 || in.src != 0 || in.imm != 1) continue;
      auto code = jp->code().subspan(jp->insn_offsets()[i],
                                     jp->insn_offsets()[i + 1] - jp->insn_offsets()[i]);
      bool has_call = false;
      for (size_t b = 0; b + 8 <= code.size(); ++b) {
        uint64_t v;
        std::memcpy(&v, code.data() + b, 8);
        has_call |= v == helper;
      }
      (has_call ? called : inlined) += 1;
    }
  }
  std::printf("xdp_fw: %d lookups inlined, %d called\n", inlined, called);
  EXPECT_GT(inlined, 0);
}

}  // namespace
}  // namespace bombus::jit
