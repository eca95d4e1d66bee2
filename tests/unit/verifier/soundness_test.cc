// Verify-then-run soundness: random structured programs (fuzz/verifier/program_gen.h); every
// program the verifier accepts must run in the checked interpreter without a fault or budget
// overrun. A failure prints the program so it can become a tests/data/verifier case.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "../../../fuzz/verifier/program_gen.h"
#include "verifier/engine.h"
#include "verifier/verifier.h"
#include "vm/interp.h"

namespace bombus::verifier {
namespace {

uint64_t helper_number(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  return 0x1234567;
}

TEST(Soundness, AcceptedProgramsRunCleanInCheckedInterpreter) {
  // BOMBUS_SOUNDNESS_SEED / BOMBUS_SOUNDNESS_ITERS run other or longer sequences by hand; the
  // default (one fixed seed, 3,000 programs) is what ctest runs.
  const char* seed_env = std::getenv("BOMBUS_SOUNDNESS_SEED");
  const char* iters_env = std::getenv("BOMBUS_SOUNDNESS_ITERS");
  std::mt19937 rng(seed_env ? static_cast<uint32_t>(std::strtoul(seed_env, nullptr, 10))
                            : 20261125u);
  const int iters = iters_env ? std::atoi(iters_env) : 3000;
  std::vector<vm::HelperFn> helpers(vm::kMaxHelperId, nullptr);
  helpers[5] = helpers[7] = helper_number;
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < iters; ++iter) {
    fuzz::ByteSource src([&]() -> uint8_t { return static_cast<uint8_t>(rng()); });
    Program prog;
    prog.type = platform::ProgType::kKprobe;
    prog.gpl = true;
    prog.insns = fuzz::generate_program(src);
    Report rep = verify(prog, {});
    if (!rep.accepted) {
      ++rejected;
      continue;
    }
    ++accepted;
    vm::InterpOptions o;
    o.checked = true;
    o.budget = 2'000'000;
    o.helpers = helpers;
    auto interp = vm::Interpreter::create(prog.insns, o);
    ASSERT_TRUE(interp.ok()) << interp.error().format();
    uint8_t ctx[168];
    for (size_t i = 0; i < sizeof ctx; ++i) ctx[i] = static_cast<uint8_t>(rng());
    auto r = interp->run(ctx, sizeof ctx);
    if (!r.ok()) {
      std::string text;
      for (size_t pc = 0; pc < prog.insns.size(); ++pc)
        text += std::to_string(pc) + ": " + insn_text(prog.insns, pc) + "\n";
      FAIL() << "accepted program faulted: " << r.error().format() << "\n" << text;
    }
  }
  // The generator must exercise both verdicts to mean anything.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace bombus::verifier
