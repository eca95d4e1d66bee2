// seccomp: run classic seccomp filters against system calls described as struct seccomp_data
// records and report the action the kernel would take. Several filters (as installed one after
// another by a process) all run; the result with the highest precedence wins, ties going to the
// most recently installed filter:
//   KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW
// (the kernel compares the action bits as signed 32-bit numbers, lowest first). An unknown
// action kills the process, and ERRNO data above 4095 is clamped to 4095, as in the kernel.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/cbpf.h"
#include "net/filter.h"

namespace bombus::net {

// Layout of the uapi struct seccomp_data (64 bytes).
struct SeccompData {
  int32_t nr = 0;
  uint32_t arch = 0xc000003e;  // AUDIT_ARCH_X86_64
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {};
};
static_assert(sizeof(SeccompData) == 64);

enum class SeccompAction {
  kKillProcess,
  kKillThread,
  kTrap,
  kErrno,
  kUserNotif,
  kTrace,
  kLog,
  kAllow
};

struct SeccompResult {
  SeccompAction action = SeccompAction::kAllow;
  uint16_t data = 0;  // errno for ERRNO, the tracer's message for TRACE, si_errno for TRAP
  uint32_t raw = 0;   // the winning filter's return value
  size_t filter = 0;  // index (in install order) of the filter that decided
};

const char* seccomp_action_name(SeccompAction a);           // "KILL_PROCESS", "ERRNO", ...
std::string format_seccomp_result(const SeccompResult& r);  // "ERRNO(1)", "ALLOW", ...
// Decodes one filter return value (action bits and data) without precedence.
SeccompResult decode_seccomp_ret(uint32_t ret);

class SeccompFilterSet {
 public:
  explicit SeccompFilterSet(EbpfEngineFactory engine = {});
  // Checks (sk_chk_filter + seccomp rules) and converts a filter; filters are installed in call
  // order, the last added being the newest. Errors name the filter and the instruction.
  Status add(std::span<const CbpfInsn> prog);
  size_t size() const { return filters_.size(); }
  SeccompResult evaluate(const SeccompData& d) const;
  // The same decision from the classic reference interpreter (for cross-checks).
  SeccompResult evaluate_classic(const SeccompData& d) const;

 private:
  struct Filter {
    std::vector<CbpfInsn> cbpf;
    EbpfRunner run;
  };
  EbpfEngineFactory engine_;
  std::vector<Filter> filters_;
};

// System call records: raw 64-byte struct seccomp_data records, or text lines
// "NR [ARCH [IP [ARG0 .. ARG5]]]" (decimal or 0x hex, '#' comments).
Result<std::vector<SeccompData>> decode_seccomp_records(std::span<const uint8_t> bytes);
Result<std::vector<SeccompData>> parse_seccomp_text(std::string_view text);

// Files for the CLI. A filter file holds raw struct sock_filter records or text (tcpdump -ddd
// or -dd style); a records file holds raw 64-byte records or the text form above. Text is
// recognised by being printable ASCII.
Result<std::vector<CbpfInsn>> load_cbpf_file(const std::string& path);
Result<std::vector<SeccompData>> load_seccomp_records(const std::string& path);
// One line per record ("nr 39 arch 0xc000003e: ERRNO(1)") or a JSON array.
std::string format_seccomp_report(std::span<const SeccompData> calls,
                                  std::span<const SeccompResult> results, bool json);

}  // namespace bombus::net
