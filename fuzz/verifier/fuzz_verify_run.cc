// libFuzzer target: generate a structured program from the input, verify it as a kprobe program,
// and run every accepted program in the checked interpreter on a random context. A fault or a
// budget overrun in an accepted program is a verifier bug (abort with the program).
#include <cstdio>
#include <cstdlib>

#include "program_gen.h"
#include "verifier/verifier.h"
#include "vm/interp.h"

namespace {
uint64_t helper_number(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  return 0x1234567;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bombus;
  size_t pos = 0;
  verifier::fuzz::ByteSource src([&]() -> uint8_t { return pos < size ? data[pos++] : 0; });
  verifier::Program prog;
  prog.type = platform::ProgType::kKprobe;
  prog.gpl = true;
  prog.insns = verifier::fuzz::generate_program(src);
  verifier::Report rep = verifier::verify(prog, {});
  if (!rep.accepted) return 0;
  static std::vector<vm::HelperFn> helpers(vm::kMaxHelperId, nullptr);
  helpers[5] = helpers[7] = helper_number;
  vm::InterpOptions o;
  o.checked = true;
  o.budget = 2'000'000;
  o.helpers = helpers;
  auto interp = vm::Interpreter::create(prog.insns, o);
  if (!interp.ok()) return 0;
  uint8_t ctx[168];
  for (size_t i = 0; i < sizeof ctx; ++i) ctx[i] = static_cast<uint8_t>(i * 37 + size);
  auto r = interp->run(ctx, sizeof ctx);
  if (!r.ok()) {
    std::fprintf(stderr, "verifier accepted a faulting program: %s\n", r.error().format().c_str());
    std::abort();
  }
  return 0;
}
