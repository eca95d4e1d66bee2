// Asking the running kernel what its verifier allows, one tiny program at a time: a load with a
// program type and attach type, one ctx access, one helper call. The platform tests compare
// bombus's tables with these answers; every function returns -1 when the kernel could not be
// asked (no bpf(), no permission), so callers skip.
#pragma once

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "platform/uapi.h"

namespace bombus::verifier::kernel_probe {

// Loads `insns` as a GPL program: 1 loaded, 0 refused by the verifier (its log in `log_out`),
// -1 refused before the verifier ran.
inline int load(platform::ProgType t, platform::AttachType attach, const bpf_insn* insns,
                uint32_t n, std::string* log_out = nullptr, uint32_t prog_flags = 0) {
  static char log[1 << 14];
  log[0] = 0;
  union bpf_attr a;
  std::memset(&a, 0, sizeof a);
  a.prog_type = static_cast<uint32_t>(t);
  a.expected_attach_type = static_cast<uint32_t>(attach);
  a.insns = reinterpret_cast<uint64_t>(insns);
  a.insn_cnt = n;
  a.license = reinterpret_cast<uint64_t>("GPL");
  a.log_buf = reinterpret_cast<uint64_t>(log);
  a.log_size = sizeof log;
  a.log_level = 1;
  a.prog_flags = prog_flags;
  int fd = static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a));
  if (log_out) *log_out = log;
  if (fd >= 0) {
    close(fd);
    return 1;
  }
  return log[0] == 0 ? -1 : 0;
}

// Whether the kernel loads a program that reads (or stores r2 = 0 to) ctx+off and returns 1.
inline int ctx_access(platform::ProgType t, platform::AttachType attach, int16_t off, uint32_t size,
                      bool write) {
  uint8_t sz = size == 8 ? BPF_DW : size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
  bpf_insn access = write ? bpf_insn{static_cast<uint8_t>(BPF_STX | BPF_MEM | sz), 1, 2, off, 0}
                          : bpf_insn{static_cast<uint8_t>(BPF_LDX | BPF_MEM | sz), 0, 1, off, 0};
  bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0},
                      access,
                      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1},
                      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  return load(t, attach, insns, 4);
}

// Whether the kernel lets the program call helper `id` (a refusal for any other reason than
// availability counts as allowed). `prog_flags`: BPF_F_SLEEPABLE for syscall programs.
inline int helper_allowed(platform::ProgType t, platform::AttachType attach, int id,
                          uint32_t prog_flags = 0) {
  bpf_insn insns[8] = {};
  for (uint8_t r = 1; r <= 5; ++r) insns[r - 1] = {BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, 0};
  insns[5] = {BPF_JMP | BPF_CALL, 0, 0, 0, id};
  insns[6] = {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1};
  insns[7] = {BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
  std::string log;
  int k = load(t, attach, insns, 8, &log, prog_flags);
  if (k != 0) return k;
  return log.find("cannot use helper") != std::string::npos ||
                 log.find("unknown func") != std::string::npos
             ? 0
             : 1;
}

}  // namespace bombus::verifier::kernel_probe
