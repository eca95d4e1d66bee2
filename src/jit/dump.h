// `prog dump jited`: the JIT's machine code disassembled with capstone (AT&T syntax, like
// bpftool on x86-64), each eBPF instruction (kernel verifier-log syntax) printed above the
// machine code it became. Structured form for the CLI's JSON output, text form for humans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "isa/disasm.h"
#include "jit/jit.h"

namespace bombus::jit {

struct DumpOptions {
  bool opcodes = false;  // a line of raw bytes after each machine instruction
  bool linum = false;    // print source_line(insn) (file:line from BTF line info) when given
  // Source text for an eBPF instruction (e.g. from BTF line info), or "" when none.
  std::function<std::string(size_t insn)> source_line;
  isa::HelperNameFn helper_name;  // names in "call bpf_map_lookup_elem#1"
};

struct JitedInsn {
  uint64_t offset = 0;  // from the start of the code
  std::vector<uint8_t> bytes;
  std::string mnemonic;
  std::string operands;
};

// The code of one eBPF instruction (insn set), or of the out-of-line stubs after the body.
struct JitedBlock {
  std::optional<size_t> insn;
  std::string bpf_text;  // "(b7) r0 = 2"; empty for the stubs
  std::string source;    // source_line(insn) when linum
  std::vector<JitedInsn> code;
};

Result<std::vector<JitedBlock>> disassemble_jited(const JitProgram& prog,
                                                  const DumpOptions& opts = {});

// Text like bpftool's:
//   ; 0: (b7) r0 = 2
//      0:	push   %rbp
//   	55
Result<std::string> dump_jited(const JitProgram& prog, const DumpOptions& opts = {});

}  // namespace bombus::jit
