// The host description behind LINUX_HAS_SYSCALL_WRAPPER (see syscall_wrapper.h).
#include "loader/syscall_wrapper.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

namespace bombus::loader {

std::optional<std::string_view> syscall_prefix(std::string_view m) {
  if (m == "x86_64") return "x64";
  if (m == "i386" || m == "i486" || m == "i586" || m == "i686") return "ia32";
  if (m == "s390x") return "s390x";
  if (m == "s390") return "s390";
  if (m == "aarch64" || m == "arm64") return "arm64";
  if (m.starts_with("arm")) return "arm";
  if (m.starts_with("mips")) return "mips";
  if (m.starts_with("riscv")) return "riscv";
  if (m.starts_with("ppc") || m.starts_with("powerpc")) return "powerpc";
  return std::nullopt;
}

std::string syscall_wrapper_symbol(std::string_view machine) {
  auto p = syscall_prefix(machine);
  return p ? "__" + std::string(*p) + "_sys_bpf" : std::string();
}

bool has_syscall_wrapper(const SyscallWrapperFacts& f) {
  if (!syscall_prefix(f.machine)) return false;
  // Either probe interface creates the kprobe iff the function exists; with neither, libbpf's
  // attempt fails and it answers 0 even on a kernel built with syscall wrappers.
  if (!f.kprobe_pmu && !f.kprobe_events) return false;
  return f.wrapper_symbol;
}

namespace {

bool kallsyms_has(const std::string& name) {
  if (name.empty()) return false;
  std::ifstream in("/proc/kallsyms");
  std::string addr, type, sym;
  while (in >> addr >> type >> sym) {
    if (sym == name) return true;
    in.ignore(1 << 16, '\n');  // module suffix "[mod]"
  }
  return false;
}

SyscallWrapperFacts probe_host() {
  SyscallWrapperFacts f;
  struct utsname u;
  if (uname(&u) == 0) f.machine = u.machine;
  f.kprobe_pmu = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
  const char* events = access("/sys/kernel/debug/tracing", F_OK) == 0
                           ? "/sys/kernel/debug/tracing/kprobe_events"
                           : "/sys/kernel/tracing/kprobe_events";
  f.kprobe_events = access(events, W_OK) == 0;
  f.wrapper_symbol = kallsyms_has(syscall_wrapper_symbol(f.machine));
  return f;
}

}  // namespace

const SyscallWrapperFacts& host_syscall_wrapper_facts() {
  static const SyscallWrapperFacts facts = probe_host();
  return facts;
}

}  // namespace bombus::loader
