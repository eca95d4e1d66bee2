// Differential CO-RE test against libbpf and the running kernel: a program compiled against our
// generated vmlinux.h is loaded by libbpf (which relocates it against /sys/kernel/btf/vmlinux);
// relocating the same object with bombus must give the same instructions. Skips without
// vmlinux BTF, clang, or permission to load programs.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "btf/btf_ext.h"
#include "btf/core.h"
#include "btf/dump.h"
#include "test_util.h"

namespace bombus::btf {
namespace {

TEST(CoreVsLibbpf, KernelTargetSameInstructions) {
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) GTEST_SKIP() << "no vmlinux BTF";
  if (!testing::have_clang()) GTEST_SKIP() << "clang not installed";
  auto kernel = load_target_btf();
  ASSERT_TRUE(kernel.ok()) << kernel.error().format();
  std::string dir = std::string(BOMBUS_BINARY_DIR) + "/tests/unit/btf/core_diff";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/vmlinux.h", std::ios::binary);
    out << dump_c(*kernel);
  }
  std::string obj = testing::compile_bpf("kernel_core", "-I'" + dir + "'");
  ASSERT_FALSE(obj.empty());

  auto btf_data = read_elf_section(obj, ".BTF");
  auto ext_data = read_elf_section(obj, ".BTF.ext");
  auto code = read_elf_section(obj, "kprobe/do_nanosleep");
  ASSERT_TRUE(btf_data.ok() && ext_data.ok() && code.ok());
  auto local = Btf::parse(*btf_data);
  ASSERT_TRUE(local.ok()) << local.error().format();
  auto ext = BtfExt::parse(*ext_data, *local);
  ASSERT_TRUE(ext.ok()) << ext.error().format();
  std::vector<isa::Insn> ours(code->size() / 8);
  std::memcpy(ours.data(), code->data(), ours.size() * 8);
  const ExtSection* sec = ext->section("kprobe/do_nanosleep");
  ASSERT_NE(sec, nullptr);
  ASSERT_GE(sec->relos.size(), 10u);
  int poisoned = 0;
  for (size_t i = 0; i < sec->relos.size(); ++i) {
    auto r = core_relocate(ours, *local, sec->relos[i], *kernel, static_cast<int>(i));
    ASSERT_TRUE(r.ok()) << r.error().format();
    poisoned += r->poison;
  }

  libbpf_set_print(nullptr);
  bpf_object* o = bpf_object__open_file(obj.c_str(), nullptr);
  ASSERT_NE(o, nullptr);
  if (bpf_object__load(o) != 0) {
    bpf_object__close(o);
    GTEST_SKIP() << "libbpf could not load the program (no bpf() permission?)";
  }
  bpf_program* p = bpf_object__find_program_by_name(o, "probe");
  ASSERT_NE(p, nullptr);
  const bpf_insn* theirs = bpf_program__insns(p);
  size_t n = bpf_program__insn_cnt(p);
  ASSERT_NE(theirs, nullptr);
  ASSERT_GE(n, ours.size());
  size_t changed = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(std::memcmp(&ours[i], &theirs[i], 8), 0) << "insn " << i;
    changed += std::memcmp(&ours[i], code->data() + 8 * i, 8) != 0;
  }
  EXPECT_GE(changed, 1u);  // the missing ___local field flips a field_exists constant
  bpf_object__close(o);
  EXPECT_EQ(poisoned, 0);
}

}  // namespace
}  // namespace bombus::btf
