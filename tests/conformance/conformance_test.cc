// Runs every test of the bpf_conformance suite (BOMBUS_SHARED_DIR/conformance/*.data, all
// groups: base, atomics, callx, packet) through the fast and the checked interpreter, and
// through bombus-conformance-plugin as the suite's runner would. Prints the pass count; skips
// with a message when the folder is absent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance_env.h"
#include "isa/validate.h"

namespace bombus::conformance {
namespace {

namespace fs = std::filesystem;

fs::path data_dir() {
  return fs::path(BOMBUS_SHARED_DIR) / "conformance";
}

std::vector<fs::path> data_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data_dir(), ec)) {
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

// Runs one case with `runner`; returns "" on a pass, else why it failed.
template <typename Runner>
std::string check_case(const fs::path& file, Runner&& runner) {
  auto c = parse_case(slurp(file));
  if (!c.ok()) return "cannot read: " + c.error().format();
  auto r = runner(*c);
  if (!c->error.empty()) {
    if (r.ok()) return "expected error '" + c->error + "', got r0 = " + std::to_string(*r);
    return "";
  }
  if (!r.ok()) return r.error().format();
  if (c->result && *r != *c->result) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "r0 = 0x%llx, expected 0x%llx",
                  static_cast<unsigned long long>(*r), static_cast<unsigned long long>(*c->result));
    return buf;
  }
  return "";
}

// every: run every n-th file only (the plugin tests spawn a process per file).
template <typename Runner>
void run_suite(const char* engine, Runner&& runner, size_t every = 1) {
  auto all = data_files();
  std::vector<fs::path> files;
  for (size_t i = 0; i < all.size(); i += every) files.push_back(all[i]);
  if (files.empty()) {
    GTEST_SKIP() << "no conformance data in " << data_dir() << " (BOMBUS_SHARED_DIR)";
  }
  int passed = 0;
  for (const auto& f : files) {
    std::string why = check_case(f, runner);
    if (why.empty()) {
      ++passed;
    } else {
      ADD_FAILURE() << engine << ": " << f.filename().string() << ": " << why;
    }
  }
  std::printf("conformance [%s]: %d/%zu passed\n", engine, passed, files.size());
  ::testing::Test::RecordProperty("passed", passed);
  EXPECT_EQ(passed, static_cast<int>(files.size()));
}

TEST(Conformance, Interpreter) {
  run_suite("interp", [](Case& c) { return run_interp(c.prog, c.mem, false); });
}

TEST(Conformance, CheckedInterpreter) {
  run_suite("checked", [](Case& c) { return run_interp(c.prog, c.mem, true, 10'000'000); });
}

// Every program passes isa::validate() once RFC 9669's definitions of large constant shifts and
// constant division by zero are allowed (the kernel rejects those at load time; we run them).
TEST(Conformance, ValidateRelaxed) {
  isa::ValidateOptions relaxed;
  relaxed.allow_large_shift_imm = true;
  relaxed.allow_div_by_zero_imm = true;
  relaxed.helper_exists = [](int32_t id) { return id == 5; };
  isa::ValidateOptions kernel = relaxed;
  kernel.allow_large_shift_imm = false;
  kernel.allow_div_by_zero_imm = false;
  int strict_rejects = 0;
  run_suite("validate", [&](Case& c) -> Result<uint64_t> {
    if (!isa::validate(c.prog, kernel).ok()) ++strict_rejects;
    BOMBUS_TRY(isa::validate(c.prog, relaxed));
    return run_interp(c.prog, c.mem, false);
  });
  std::printf("conformance [validate]: %d programs need the relaxed options\n", strict_rejects);
}

#ifdef BOMBUS_CONFORMANCE_PLUGIN
// Speaks the plugin protocol: program hex on stdin, memory hex as argv[1], r0 hex on stdout.
Result<uint64_t> run_plugin(const Case& c, const char* engine) {
  auto bytes = std::string();
  for (const auto& in : c.prog) {
    const auto* b = reinterpret_cast<const uint8_t*>(&in);
    char buf[4];
    for (int i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%02x ", b[i]);
      bytes += buf;
    }
  }
  fs::path tmp = fs::temp_directory_path() / ("bombus-conf-" + std::to_string(::getpid()) + ".hex");
  {
    std::ofstream out(tmp);
    out << bytes << "\n";
  }
  // Newer runners leave the memory argument out when a test has none; older ones pass "".
  std::string mem_arg = c.mem.empty() ? "" : " '" + to_hex(c.mem) + "'";
  std::string cmd = std::string("'") + BOMBUS_CONFORMANCE_PLUGIN + "'" + mem_arg + " --engine " +
                    engine + " < '" + tmp.string() + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return make_error(Errc::kIo, "popen failed");
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  int status = ::pclose(p);
  fs::remove(tmp);
  if (status != 0) return make_error(Errc::kRuntime, "plugin failed: " + out);
  return std::strtoull(out.c_str(), nullptr, 16);
}

TEST(Conformance, PluginInterp) {
  run_suite("plugin interp", [](Case& c) { return run_plugin(c, "interp"); });
}

TEST(Conformance, PluginChecked) {
  run_suite(
      "plugin checked", [](Case& c) { return run_plugin(c, "checked"); }, 8);
}

TEST(Conformance, PluginJit) {
  run_suite(
      "plugin jit", [](Case& c) { return run_plugin(c, "jit"); }, 4);
}
#endif

}  // namespace
}  // namespace bombus::conformance
