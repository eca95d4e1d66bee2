// LINUX_HAS_SYSCALL_WRAPPER from a platform description, as libbpf decides it: an architecture
// prefix, a kprobe interface (PMU or legacy kprobe_events) and the wrapper symbol.
#include "loader/syscall_wrapper.h"

#include <gtest/gtest.h>

namespace bombus::loader {
namespace {

TEST(SyscallWrapper, PrefixPerMachine) {
  EXPECT_EQ(syscall_wrapper_symbol("x86_64"), "__x64_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("i686"), "__ia32_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("aarch64"), "__arm64_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("armv7l"), "__arm_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("s390x"), "__s390x_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("riscv64"), "__riscv_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("mips64"), "__mips_sys_bpf");
  EXPECT_EQ(syscall_wrapper_symbol("loongarch64"), "");
  EXPECT_FALSE(syscall_prefix("sparc64").has_value());
}

TEST(SyscallWrapper, NeedsAKprobeInterfaceAndTheSymbol) {
  SyscallWrapperFacts f{"x86_64", true, false, true};
  EXPECT_TRUE(has_syscall_wrapper(f));
  f.kprobe_pmu = false;  // no PMU, no tracefs: libbpf cannot create its probe
  EXPECT_FALSE(has_syscall_wrapper(f));
  f.kprobe_events = true;  // legacy kprobes
  EXPECT_TRUE(has_syscall_wrapper(f));
  f.wrapper_symbol = false;  // kernel without wrappers
  EXPECT_FALSE(has_syscall_wrapper(f));
  f = {"loongarch64", true, true, true};  // libbpf has no prefix for it
  EXPECT_FALSE(has_syscall_wrapper(f));
}

TEST(SyscallWrapper, HostFactsAreConsistent) {
  const SyscallWrapperFacts& f = host_syscall_wrapper_facts();
  EXPECT_FALSE(f.machine.empty());
  EXPECT_EQ(&f, &host_syscall_wrapper_facts());  // computed once
  if (!syscall_prefix(f.machine)) EXPECT_FALSE(f.wrapper_symbol);
}

}  // namespace
}  // namespace bombus::loader
