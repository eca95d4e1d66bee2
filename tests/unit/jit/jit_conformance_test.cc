// Every bpf_conformance test (BOMBUS_SHARED_DIR/conformance/*.data) on the JIT: the expected r0
// of the file and the interpreter's answer must both match. Plain and constant-blinded code.
// Skips with a message when the data folder is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance_env.h"
#include "jit/jit.h"

namespace bombus::jit {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> data_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(BOMBUS_SHARED_DIR) / "conformance", ec)) {
    if (e.path().extension() == ".data") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<uint64_t> run_jit(std::span<const isa::Insn> prog, std::vector<uint8_t>& mem, bool blind) {
  JitOptions o;
  o.helpers = conformance::helpers();
  o.hooks = conformance::hooks();
  o.blind_constants = blind;
  auto p = compile(prog, o);
  if (!p.ok()) return p.error();
  conformance::t_packet = vm::PacketView{mem.data(), mem.size()};
  auto r = (*p)->run(mem.empty() ? nullptr : mem.data(), mem.size());
  conformance::t_packet = {};
  return r;
}

class JitConformance : public ::testing::TestWithParam<bool> {};

TEST_P(JitConformance, AllTestsPassAndMatchInterpreter) {
  const auto files = data_files();
  if (files.empty()) GTEST_SKIP() << "no conformance data under " << BOMBUS_SHARED_DIR;
  int passed = 0;
  for (const auto& f : files) {
    auto c = conformance::parse_case(slurp(f));
    ASSERT_TRUE(c.ok()) << f << ": " << c.error().format();
    std::vector<uint8_t> mem_jit = c->mem, mem_interp = c->mem;
    auto rj = run_jit(c->prog, mem_jit, GetParam());
    auto ri = conformance::run_interp(c->prog, mem_interp, false);
    const std::string name = f.filename().string();
    if (!c->error.empty()) {
      EXPECT_FALSE(rj.ok()) << name << ": expected error " << c->error;
      if (!rj.ok()) ++passed;
      continue;
    }
    if (!rj.ok()) {
      ADD_FAILURE() << name << ": " << rj.error().format();
      continue;
    }
    bool ok = true;
    if (c->result && *rj != *c->result) {
      ADD_FAILURE() << name << ": jit r0 = 0x" << std::hex << *rj << ", expected 0x" << *c->result;
      ok = false;
    }
    if (ri.ok() && *ri != *rj) {
      ADD_FAILURE() << name << ": jit r0 = 0x" << std::hex << *rj << ", interpreter 0x" << *ri;
      ok = false;
    }
    if (mem_jit != mem_interp) {
      ADD_FAILURE() << name << ": memory after the run differs from the interpreter's";
      ok = false;
    }
    if (ok) ++passed;
  }
  std::printf("conformance [jit%s]: %d/%zu passed\n", GetParam() ? " blinded" : "", passed,
              files.size());
  EXPECT_EQ(passed, static_cast<int>(files.size()));
}

INSTANTIATE_TEST_SUITE_P(Jit, JitConformance, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Blinded" : "Plain"; });

}  // namespace
}  // namespace bombus::jit
