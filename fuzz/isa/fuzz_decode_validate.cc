// Fuzz target: arbitrary bytes -> decode() -> validate() -> disassemble(). Nothing may crash, and
// a program that validates must survive assemble(disassemble(p)) == p exactly (validation rejects
// every field the text form cannot show).
//
// HOOK for the interpreter: once the checked interpreter exists, run each program that validates
// (with ValidateOptions{.allow_large_shift_imm = true}) in checked mode here, with a small
// instruction budget and a fixed context buffer, and abort on any crash or sanitizer report.
#include <cstdio>
#include <cstdlib>
#include <span>

#include "isa/asm.h"
#include "isa/disasm.h"
#include "isa/validate.h"

using namespace bombus::isa;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto prog = decode(std::span<const uint8_t>(data, size));
  if (!prog.ok()) {
    if (size % 8 == 0 || !prog.error().where.byte_offset) std::abort();
    return 0;
  }
  if (encode(*prog) != std::vector<uint8_t>(data, data + size)) std::abort();

  ValidateOptions relaxed;
  relaxed.allow_large_shift_imm = true;
  relaxed.allow_div_by_zero_imm = true;
  auto strict = validate(*prog);
  auto loose = validate(*prog, relaxed);
  if (strict.ok() && !loose.ok()) std::abort();  // relaxing an option never rejects more
  if (!strict.ok() && !strict.error().where.insn) std::abort();

  DisasmOptions opcodes;
  opcodes.opcodes = true;
  std::string listing = disassemble(*prog, opcodes);
  if (!loose.ok()) return 0;

  auto back = assemble(listing);
  if (!back.ok()) {
    std::fprintf(stderr, "valid program's listing does not assemble: %s\n%s\n",
                 back.error().format().c_str(), listing.c_str());
    std::abort();
  }
  if (*back != *prog) {
    std::fprintf(stderr, "valid program changed through its listing:\n%s\n", listing.c_str());
    std::abort();
  }
  // checked-interpret hook goes here (see the comment at the top of this file).
  return 0;
}
