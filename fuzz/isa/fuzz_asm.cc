// Fuzz target: arbitrary text -> assemble(); when it assembles, its disassembly (both the single
// instruction text and the numbered listing) must assemble back to the same instructions.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "isa/asm.h"
#include "isa/disasm.h"

using namespace bombus::isa;

namespace {

void check_same(const std::vector<Insn>& a, const std::vector<Insn>& b, std::string_view text) {
  if (a == b) return;
  std::fprintf(stderr, "round trip changed the program (%zu vs %zu insns) via:\n%.*s\n", a.size(),
               b.size(), static_cast<int>(text.size()), text.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto prog = assemble(text);
  if (!prog.ok()) {
    if (!prog.error().where.line) std::abort();  // every assembler error names its line
    return 0;
  }
  std::string listing = disassemble(*prog);
  auto again = assemble(listing);
  if (!again.ok()) {
    std::fprintf(stderr, "disassembly does not assemble: %s\n%s\n", again.error().format().c_str(),
                 listing.c_str());
    std::abort();
  }
  check_same(*prog, *again, listing);

  // Line by line as well: disasm_insn() output is what verifier logs and the CLI show.
  std::string lines;
  for (size_t pc = 0; pc < prog->size(); ++pc) {
    lines += disasm_insn(*prog, pc);
    lines += '\n';
    if (is_lddw((*prog)[pc]) && pc + 1 < prog->size()) ++pc;
  }
  auto third = assemble(lines);
  if (!third.ok()) {
    std::fprintf(stderr, "disasm_insn text does not assemble: %s\n",
                 third.error().format().c_str());
    std::abort();
  }
  check_same(*prog, *third, lines);
  return 0;
}
