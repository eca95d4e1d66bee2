// Text to instructions. assemble() reads either of two dialects, line by line, and they may be
// mixed: the bpf_conformance suite's ("mov %r0, 1", "ldxdw %r0, [%r1+2]", "jne %r0, 5, label",
// "lock fetch add [%r10-8], %r1", "call local f", "call %r2") and the kernel verifier log's, as
// printed by disasm_insn() ("r0 = *(u32 *)(r1 +4)", "if w1 s< 7 goto pc+2", "r1 = 0x1 ll",
// "r1 = map[id:3]", "call pc+3"). A bpftool "prog dump xlated" listing assembles too: a leading
// "12: (b7)" is skipped. Labels are "name:" (alone or before an instruction); jump targets are a
// label, "+N"/"-N" or "pc+N"; the label "exit" means the first exit when not defined. Comments
// start with '#' after whitespace, ';' or "//". Errors name the 1-based line.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"

namespace bombus::isa {

Result<std::vector<Insn>> assemble(std::string_view text);

}  // namespace bombus::isa
