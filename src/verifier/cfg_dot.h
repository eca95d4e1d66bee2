// Control-flow graphs as Graphviz dot, like `bpftool prog dump xlated ... visual`: one node per
// basic block listing its instructions, edges for fall-through and jumps. The annotated variant
// runs the verifier and adds each block's entry state (joined over the paths seen).
#pragma once

#include <string>

#include "verifier/verifier.h"

namespace bombus::verifier {

// Basic blocks of `insns`: leaders at insn 0, jump targets, after jumps/exits, function starts.
std::vector<uint32_t> basic_block_starts(const std::vector<isa::Insn>& insns);

std::string cfg_dot(const Program& prog);
// Same graph; each block's label starts with the abstract state the verifier saw at its entry.
std::string cfg_dot_with_states(const Program& prog, const Options& opts = {});

}  // namespace bombus::verifier
