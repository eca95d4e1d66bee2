// The ctx-rewrite pass: turns a program's loads/stores through its context pointer (written
// against the uapi struct, e.g. `r2 = *(u32 *)(r1 + 0)` for xdp_md->data) into loads/stores of
// bombus's real struct (ctx_structs.h: `r2 = *(u64 *)(r1 + 0)`), one instruction for one, so
// jump offsets never change. Like the kernel's convert_ctx_accesses, it runs after verification
// and before any engine sees the program.
//
// Which instructions go through the ctx pointer is found by a small forward data-flow analysis
// (r1 at entry is ctx; copies, spills to 8-byte stack slots and bpf-to-bpf argument passing are
// followed). A verifier that already knows the answer can pass it in instead.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "platform/program_types.h"

namespace bombus::platform {

// For each instruction: true when it is a load/store whose base register holds the ctx pointer.
// Error when one instruction is reached with ctx on one path and another pointer on another
// ("same insn cannot be used with different pointers"), naming the insn.
Result<std::vector<bool>> find_ctx_accesses(std::span<const isa::Insn> insns);

// Rewrites in place. `ctx_access` (optional, same length as insns) overrides the analysis.
// Error (naming the insn) when an access is not allowed for the program type attached as
// `attach` (the program's expected_attach_type; see check_ctx_access).
Status rewrite_ctx_accesses(std::span<isa::Insn> insns, const ProgTypeInfo& info,
                            std::span<const bool> ctx_access = {}, AttachType attach = {});

}  // namespace bombus::platform
