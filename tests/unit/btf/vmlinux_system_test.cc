// System tests (slow, need the machine's /sys/kernel/btf/vmlinux, bpftool, clang, gcc; each skips
// cleanly without them): dump equality with bpftool and compiling a CO-RE program against the
// vmlinux.h we generate.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "btf/dump.h"
#include "test_util.h"

namespace bombus::btf {
namespace {

constexpr const char* kVmlinux = "/sys/kernel/btf/vmlinux";

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool have_bpftool() {
  return std::system("bpftool version >/dev/null 2>&1") == 0;
}

class Vmlinux : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kVmlinux)) GTEST_SKIP() << "no " << kVmlinux;
    auto r = Btf::load_file(kVmlinux);
    ASSERT_TRUE(r.ok()) << r.error().format();
    btf_ = std::move(*r);
  }
  Btf btf_;
};

TEST_F(Vmlinux, RawMatchesBpftool) {
  if (!have_bpftool()) GTEST_SKIP() << "bpftool not installed";
  std::string theirs = run(std::string("bpftool btf dump file ") + kVmlinux + " format raw");
  std::string ours = dump_raw(btf_);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

TEST_F(Vmlinux, CMatchesBpftool71) {
  if (!have_bpftool()) GTEST_SKIP() << "bpftool not installed";
  // Later libbpf versions add mode()/aligned attributes; we follow the installed v7.1 output.
  if (run("bpftool version").find("v7.1") == std::string::npos)
    GTEST_SKIP() << "bpftool is not v7.1";
  std::string theirs = run(std::string("bpftool btf dump file ") + kVmlinux + " format c");
  std::string ours = dump_c(btf_);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

TEST_F(Vmlinux, GeneratedHeaderCompilesWithCoreProgram) {
  if (!testing::have_clang()) GTEST_SKIP() << "clang not installed";
  std::string dir = std::string(BOMBUS_BINARY_DIR) + "/tests/unit/btf";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/vmlinux.h", std::ios::binary);
    out << dump_c(btf_);
  }
  std::string obj = testing::compile_bpf("uses_vmlinux", "-I'" + dir + "'");
  ASSERT_FALSE(obj.empty()) << "clang -target bpf failed on generated vmlinux.h";
  if (std::system("gcc --version >/dev/null 2>&1") == 0) {
    std::string cmd = "gcc -fsyntax-only -Wno-unknown-pragmas -x c '" + dir + "/vmlinux.h'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
}

}  // namespace
}  // namespace bombus::btf
