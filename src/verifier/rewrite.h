// Post-verification rewrites shared by the engines, computed once from a successful Report:
// constant-folded branches (a conditional jump seen only one way becomes `goto` or nothing),
// dead-code removal (instructions the verifier never reached are dropped and jump offsets
// adjusted), and the zero-extension facts a JIT needs. The ctx-access conversion is the
// platform's pass (platform/ctx_rewrite.h) and runs after this one.
#pragma once

#include <vector>

#include "base/result.h"
#include "verifier/verifier.h"

namespace bombus::verifier {

struct Rewritten {
  std::vector<isa::Insn> insns;
  std::vector<int32_t> old_to_new;  // old insn index -> new index, -1 if removed
  std::vector<bool> zext_needed;    // per new insn
  uint32_t removed = 0, folded = 0;
};

// Requires report.accepted and report.facts for `prog`. Line info and subprogram starts can be
// remapped with old_to_new.
Result<Rewritten> apply_rewrites(const Program& prog, const Report& report);

}  // namespace bombus::verifier
