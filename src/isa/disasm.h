// Instructions to text in the kernel verifier-log syntax (the kernel's print_bpf_insn, with
// bpftool's names for the lddw pseudo forms): "r0 = *(u32 *)(r1 +4)", "if r2 > r3 goto pc+5",
// "lock *(u64 *)(r10 -8) += r1", "r1 = map[id:3]", "call bpf_map_lookup_elem#1". Every line
// reads back through assemble(). Where the kernel prints nothing useful bombus extends the
// syntax: "r1 = 0x2a ll" (the llvm suffix, on by default), "callx r2", "r1 = map[idx:0]",
// "r1 = btf_id[5]", "call kernel-function#7 off:1". disassemble() makes a numbered listing like
// "bpftool prog dump xlated" ("   0: (b7) r0 = 0").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "isa/insn.h"

namespace bombus::isa {

// Name for a helper id (without "#id"); an empty answer prints "unknown" as the kernel does.
using HelperNameFn = std::function<std::string(int32_t)>;

struct DisasmOptions {
  HelperNameFn helper_name;
  bool opcodes = false;   // disassemble(): a line of the insn's raw bytes after each insn
  bool ll_suffix = true;  // "r1 = 0x2a ll"; false prints the kernel's bare "r1 = 0x2a"
};

// One instruction (for lddw both halves) without the "(xx) " prefix or a newline. A pc past the
// end, an lddw missing its second half and an unknown opcode give a descriptive text, no crash.
std::string disasm_insn(std::span<const Insn> prog, size_t pc, const DisasmOptions& opts = {});
std::string disasm_insn(std::span<const Insn> prog, size_t pc, HelperNameFn helper_name);

// "%4d: (%02x) <insn>\n" per instruction, skipping the second half of each lddw.
std::string disassemble(std::span<const Insn> prog, const DisasmOptions& opts = {});

}  // namespace bombus::isa
