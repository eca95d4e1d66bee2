// Differential test against the running kernel: every malformed program validate() rejects is
// also rejected by bpf(BPF_PROG_LOAD) with the same reason (the kernel's wording appears in both
// messages) and the same errno, and small well-formed programs load in both. Skips when bpf() is
// unavailable (not root, seccomp, no kernel support).
#include <errno.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "isa/validate.h"

using namespace bombus::isa;

namespace {

Insn I(uint8_t op, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

struct KernelAnswer {
  int err = 0;  // 0: loaded
  std::string log;
};

KernelAnswer kernel_load(const std::vector<Insn>& prog) {
  static_assert(sizeof(Insn) == sizeof(struct bpf_insn));
  std::vector<char> log(1 << 16, '\0');
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = reinterpret_cast<uintptr_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uintptr_t>("GPL");
  attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  long fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  KernelAnswer a;
  if (fd >= 0) {
    close(static_cast<int>(fd));
  } else {
    a.err = errno;
  }
  a.log = log.data();
  return a;
}

bool kernel_available() {
  static const bool ok = kernel_load({I(0xb7), I(0x95)}).err == 0;
  return ok;
}

}  // namespace

TEST(KernelAgreement, Rejections) {
  if (!kernel_available()) GTEST_SKIP() << "bpf(BPF_PROG_LOAD) is not available here";
  struct Case {
    std::vector<Insn> prog;
    const char* reason;  // the kernel's wording, expected in both answers
  };
  const std::vector<Case> cases = {
      {{I(0xff), I(0x95)}, "unknown opcode ff"},
      {{I(0xb7, 0, 1, 0, 1), I(0x95)}, "BPF_MOV uses reserved fields"},
      {{I(0x07, 0, 0, 3, 1), I(0x95)}, "BPF_ALU uses reserved fields"},
      {{I(0x0c, 0, 1, 0, 7), I(0x95)}, "BPF_ALU uses reserved fields"},
      {{I(0x3f, 0, 1, 2), I(0x95)}, "BPF_ALU uses reserved fields"},
      {{I(0xbf, 0, 1, 7), I(0x95)}, "BPF_MOV uses reserved fields"},
      {{I(0xbc, 0, 1, 32), I(0x95)}, "BPF_MOV uses reserved fields"},
      {{I(0xdc, 0, 0, 0, 8), I(0x95)}, "BPF_END uses reserved fields"},
      {{I(0x87, 0, 0, 0, 1), I(0x95)}, "BPF_NEG uses reserved fields"},
      {{I(0xdb, 10, 1, -8, 0x02), I(0x95)}, "BPF_ATOMIC uses invalid atomic opcode 02"},
      {{I(0x61, 0, 1, 0, 5), I(0x95)}, "BPF_LDX uses reserved fields"},
      {{I(0x62, 10, 1, -4, 5), I(0x95)}, "BPF_ST uses reserved fields"},
      {{I(0x63, 10, 1, -4, 5), I(0x95)}, "BPF_STX uses reserved fields"},
      {{I(0x95, 0, 0, 0, 1)}, "BPF_EXIT uses reserved fields"},
      {{I(0xb7, 11), I(0x95)}, "R11 is invalid"},
      {{I(0xbf, 0, 12), I(0x95)}, "R12 is invalid"},
      {{I(0xb7, 10), I(0x95)}, "frame pointer is read only"},
      {{I(0x61, 10, 1), I(0x95)}, "frame pointer is read only"},
      {{I(0x05, 0, 0, 5), I(0x95)}, "jump out of range from insn 0 to 6"},
      {{I(0xb7), I(0x18), I(0), I(0xb7), I(0x05, 0, 0, -3), I(0x95)},
       "jump into the middle of ldimm64 insn 1"},
      {{I(0x18, 1), I(0x07), I(0x95)}, "invalid bpf_ld_imm64 insn"},
      {{I(0x18, 1, 9), I(0), I(0x95)}, "unrecognized bpf_ld_imm64 insn"},
      {{I(0xb7), I(0x07)}, "last insn is not an exit or jmp"},
      {{I(0x85, 0, 0, 0, -1), I(0x95)}, "invalid func unknown#-1"},
      {{I(0x85, 0, 1, 0, 7), I(0x95)}, "call to invalid destination"},
      {{I(0x18, 1, 4, 0, 9), I(0), I(0x95)}, "call to invalid destination"},
      {{I(0x85, 0, 3, 0, 1), I(0x95)}, "BPF_CALL uses reserved fields"},
      {{I(0x37, 1, 0, 0, 0), I(0x95)}, "div by zero"},
      {{I(0x67, 1, 0, 0, 64), I(0x95)}, "invalid shift 64"},
      {{I(0x74, 1, 0, 0, 32), I(0x95)}, "invalid shift 32"},
      {{I(0x20, 1, 0, 0, 1), I(0x95)}, "BPF_LD_[ABS|IND] uses reserved fields"},
      {{I(0x85, 0, 1, 0, 1), I(0x95), I(0xb7), I(0xb7)}, "last insn is not an exit or jmp"},
      {{I(0x85, 0, 1, 0, 1), I(0x95), I(0xb7), I(0x05, 0, 0, -3)},
       "jump out of range from insn 3 to 1"},
      {{I(0x05, 0, 0, 1), I(0xb7), I(0x95)}, "unreachable insn 1"},
      {{I(0xb7), I(0x95), I(0x18), I(0), I(0x95)}, "unreachable insn 2"},
  };
  ValidateOptions opts;
  opts.reject_unreachable = true;  // the kernel's behaviour
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    auto ours = validate(c.prog, opts);
    KernelAnswer theirs = kernel_load(c.prog);
    ASSERT_FALSE(ours.ok()) << "case " << k << " (" << c.reason << ") accepted by validate()";
    EXPECT_NE(theirs.err, 0) << "case " << k << " (" << c.reason << ") loaded in the kernel";
    EXPECT_NE(ours.error().message.find(c.reason), std::string::npos)
        << "case " << k << ": " << ours.error().format();
    EXPECT_NE(theirs.log.find(c.reason), std::string::npos) << "case " << k << " kernel said:\n"
                                                            << theirs.log;
    EXPECT_EQ(ours.error().neg_errno(), -theirs.err) << "case " << k << " (" << c.reason << ")";
  }
}

TEST(KernelAgreement, Acceptances) {
  if (!kernel_available()) GTEST_SKIP() << "bpf(BPF_PROG_LOAD) is not available here";
  const std::vector<std::vector<Insn>> progs = {
      {I(0xb7), I(0x95)},
      {I(0x18, 0, 0, 0, 1), I(0, 0, 0, 0, 2), I(0x95)},
      {I(0x85, 0, 1, 0, 1), I(0x95), I(0x18), I(0), I(0x95)},  // bpf-to-bpf call
      {I(0xb7), I(0x15, 1, 0, 1, 0), I(0x05, 0, 0, 0), I(0x06, 0, 0, 0, 0), I(0x95)},
      {I(0xb7), I(0x67, 0, 0, 0, 63), I(0x74, 0, 0, 0, 31), I(0x3f, 0, 0, 1), I(0x95)},
  };
  ValidateOptions opts;
  opts.reject_unreachable = true;
  for (size_t k = 0; k < progs.size(); ++k) {
    auto ours = validate(progs[k], opts);
    EXPECT_TRUE(ours.ok()) << "prog " << k << ": " << ours.error().format();
    KernelAnswer theirs = kernel_load(progs[k]);
    EXPECT_EQ(theirs.err, 0) << "prog " << k << " kernel said:\n" << theirs.log;
  }
}
