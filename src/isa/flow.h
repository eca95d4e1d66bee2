// Control-flow facts read straight off the encoding, shared by validate(), the verifier, the JIT
// and the CLI: where a jump or call lands, which insns start a function, which slots are the
// second half of an lddw. No checking here (validate() does that); targets may be out of range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "isa/insn.h"

namespace bombus::isa {

// Absolute target of the jump (ja, gotol, conditional, may_goto) at pc: pc + 1 + off (imm for
// gotol). may_goto is a conditional branch: both pc + 1 and the target are successors.
std::optional<int64_t> jump_target(std::span<const Insn> prog, size_t pc);

// Absolute entry of the BPF-to-BPF call ("call pc+N", src 1) or subprog[] load (lddw src 4).
std::optional<int64_t> callee(std::span<const Insn> prog, size_t pc);

// True for slots that hold the second half of an lddw (not instructions of their own).
std::vector<bool> lddw_second_halves(std::span<const Insn> prog);

// Sorted, unique function entry points: 0 plus every in-range callee().
std::vector<size_t> function_entries(std::span<const Insn> prog);

// reachable[i]: insn i is reached from insn 0 by fall-through, jumps, calls (into their callee
// and on to the next insn) and subprog[] loads (their callee may be called back). Out-of-range
// targets are ignored; second halves of lddw are never reachable.
std::vector<bool> reachable(std::span<const Insn> prog);

}  // namespace bombus::isa
