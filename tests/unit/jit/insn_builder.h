// Tiny instruction builders for JIT unit tests (raw Insn literals, no assembler needed).
#pragma once

#include <cstdint>
#include <vector>

#include "isa/insn.h"

namespace bombus::jit::test {

inline isa::Insn I(uint8_t op, int dst = 0, int src = 0, int16_t off = 0, int32_t imm = 0) {
  isa::Insn in;
  in.opcode = op;
  in.dst = static_cast<uint8_t>(dst);
  in.src = static_cast<uint8_t>(src);
  in.off = off;
  in.imm = imm;
  return in;
}
inline isa::Insn mov64(int dst, int32_t imm) {
  return I(0xb7, dst, 0, 0, imm);
}
inline isa::Insn mov64r(int dst, int src) {
  return I(0xbf, dst, src);
}
inline isa::Insn exit_insn() {
  return I(0x95);
}
inline void lddw(std::vector<isa::Insn>& p, int dst, uint64_t v) {
  p.push_back(I(0x18, dst, 0, 0, static_cast<int32_t>(v)));
  p.push_back(I(0, 0, 0, 0, static_cast<int32_t>(v >> 32)));
}

}  // namespace bombus::jit::test
