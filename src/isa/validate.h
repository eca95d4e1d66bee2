// Structural checks on a program before anything runs it: known opcodes, reserved fields zero,
// registers r0..r10 with r10 never written, jumps and calls landing inside the program (never in
// the middle of an lddw, never across a function boundary), well-formed lddw pairs, every
// function ending in exit or an unconditional jump, helper ids that exist, no constant division
// by zero or out-of-range constant shift. Safety (types, bounds, termination) is the verifier's
// job; this is what the kernel checks before its verifier starts. Also decode()/encode() between
// the 8-byte wire format and Insn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"

namespace bombus::isa {

struct ValidateOptions {
  std::function<bool(int32_t)> helper_exists;  // null: any helper id is accepted
  // lddw with a pseudo src (map fd/value/idx, BTF id, subprog[]) and kfunc calls. Unloaded ELF
  // code carries them; a program whose references were resolved does not.
  bool allow_pseudo = true;
  bool allow_callx = true;             // 0x8d "callx rN" (LLVM: register in dst)
  bool allow_legacy_packet = true;     // LD_ABS / LD_IND (socket filters)
  bool allow_large_shift_imm = false;  // the kernel rejects "r1 <<= 64"; RFC 9669 masks it
  bool allow_div_by_zero_imm = false;  // the kernel rejects "r1 /= 0"; RFC 9669 defines it
  // The kernel also refuses code no path reaches ("unreachable insn N"). Off by default: the
  // engines run such programs fine and hand-written tests often carry dead code.
  bool reject_unreachable = false;
  size_t max_insns = 1000000;  // BPF_COMPLEXITY_LIMIT_INSNS
};

// Error: Errc::kInvalid (kTooBig for max_insns), Location.insn = the offending index, and a
// one-line reason in the kernel's wording where it has one.
Status validate(std::span<const Insn> prog, const ValidateOptions& opts = {});

// Bytes (little-endian struct bpf_insn) to instructions; the length must be a multiple of 8.
Result<std::vector<Insn>> decode(std::span<const uint8_t> bytes);
std::vector<uint8_t> encode(std::span<const Insn> prog);

}  // namespace bombus::isa
