// LINUX_HAS_SYSCALL_WRAPPER as libbpf decides it. libbpf does not read the kernel config: it
// builds the name "__<arch prefix>_sys_bpf" (prefix fixed by the architecture libbpf was compiled
// for: x64, ia32, s390x, s390, arm, arm64, mips, riscv, powerpc; no prefix -> 0) and answers 1
// only if it can create a kprobe on that function — through the kprobe PMU
// (/sys/bus/event_source/devices/kprobe/type) when the kernel has one, else through the legacy
// tracefs kprobe_events file (under /sys/kernel/debug/tracing when that exists, else
// /sys/kernel/tracing). bombus gives the same answer for the same platform description without
// creating a probe: the description says which of those interfaces exist and whether the symbol
// is in the kernel's symbol table (a kprobe on an existing wrapper succeeds).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bombus::loader {

struct SyscallWrapperFacts {
  std::string machine;          // uname -m: "x86_64", "aarch64", ...
  bool kprobe_pmu = false;      // the kernel has a kprobe perf PMU
  bool kprobe_events = false;   // the legacy tracefs kprobe_events file is there and writable
  bool wrapper_symbol = false;  // "__<prefix>_sys_bpf" is in the kernel's symbol table
};

// libbpf's syscall prefix for a machine name; nullopt where libbpf has none.
std::optional<std::string_view> syscall_prefix(std::string_view machine);
// "__x64_sys_bpf" for "x86_64"; empty when the machine has no prefix.
std::string syscall_wrapper_symbol(std::string_view machine);
// The value libbpf gives LINUX_HAS_SYSCALL_WRAPPER on a platform described by `f`.
bool has_syscall_wrapper(const SyscallWrapperFacts& f);
// The running machine's description (uname, sysfs, tracefs, /proc/kallsyms); computed once.
const SyscallWrapperFacts& host_syscall_wrapper_facts();

}  // namespace bombus::loader
