// Differential check of the pruning rule: random structured programs (fuzz/verifier/program_gen.h)
// verified with liveness and backtracked precision, and again with every register compared and
// the static precision masks only (no dead registers or slots ignored, no imprecise scalars).
// Pruning more may only save work: a program the full comparison rejects for a safety reason
// must not be accepted by the liveness/precision rule.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "../../../fuzz/verifier/program_gen.h"
#include "verifier/engine.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

TEST(PruningDiff, LivenessAndPrecisionNeverAcceptWhatFullComparisonRejects) {
  const char* seed_env = std::getenv("BOMBUS_SOUNDNESS_SEED");
  const char* iters_env = std::getenv("BOMBUS_SOUNDNESS_ITERS");
  std::mt19937 rng(seed_env ? static_cast<uint32_t>(std::strtoul(seed_env, nullptr, 10))
                            : 20261126u);
  const int iters = iters_env ? std::atoi(iters_env) : 3000;
  int both = 0, disagreements_on_budget = 0;
  for (int iter = 0; iter < iters; ++iter) {
    fuzz::ByteSource src([&]() -> uint8_t { return static_cast<uint8_t>(rng()); });
    Program prog;
    prog.type = platform::ProgType::kKprobe;
    prog.gpl = true;
    prog.insns = fuzz::generate_program(src);
    const Options opts;
    const Report fast = verify(prog, opts);
    Report full;
    {
      Engine e(prog, opts, full, /*conservative=*/true);
      e.set_liveness(false);
      e.run();
    }
    if (!fast.accepted || full.accepted) {
      both += fast.accepted == full.accepted;
      continue;
    }
    if (full.error.rfind("BPF program is too large", 0) == 0) {
      ++disagreements_on_budget;  // the full comparison ran out of budget: not a safety verdict
      continue;
    }
    std::string text;
    for (size_t pc = 0; pc < prog.insns.size(); ++pc)
      text += std::to_string(pc) + ": " + insn_text(prog.insns, pc) + "\n";
    FAIL() << "accepted with liveness/precision, rejected by full comparison: " << full.error
           << " at insn " << full.error_insn << "\n"
           << text;
  }
  EXPECT_GT(both, iters / 2);
}

}  // namespace
}  // namespace bombus::verifier
