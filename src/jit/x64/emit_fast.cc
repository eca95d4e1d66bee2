// The compile loop's fast path: one table indexed by opcode byte holds, for the most common
// instructions (ALU with a register or a non-blinded immediate, loads, stores), a function
// specialised for that opcode that writes the machine code directly (raw_encoder.h). One
// indirect call per instruction replaces the kind switch, the ALU-operation switch and asmjit's
// encoder dispatch — on varied code each of those was a mispredicted branch. A handler returns
// false when its instruction needs the general path (blinding, movsx, a full buffer), which
// then emits exactly what it always did.
#include <array>

#include "jit/x64/compiler.h"
#include "vm/probe_mem.h"

namespace bombus::jit {

namespace {

using FastFn = bool (*)(raw::Assembler&, const isa::Insn&, bool blinding);

template <int kOp, bool kIs64, bool kIsK>
bool fast_alu(raw::Assembler& a, const isa::Insn& in, bool blinding) {
  if (in.off != 0 || (kIsK && blinding)) return false;
  uint8_t* p = a.raw_begin();
  if (p == nullptr) return false;
  const int d = host_code(in.dst);
  if constexpr (kOp == 0x20) {  // mul
    kIsK ? raw::imul_ri(p, kIs64, d, in.imm) : raw::imul_rr(p, kIs64, d, host_code(in.src));
  } else if constexpr (kOp == 0xb0) {  // mov
    if constexpr (!kIsK) {
      raw::alu_rr(p, raw::Alu::kMov, kIs64, d, host_code(in.src));
    } else if (kIs64 && in.imm < 0) {
      raw::mov_r64_simm(p, d, in.imm);
    } else {
      raw::mov_r32_imm(p, d, static_cast<uint32_t>(in.imm));  // zero-extends
    }
  } else {
    constexpr raw::Alu kAlu = kOp == 0x00   ? raw::Alu::kAdd
                              : kOp == 0x10 ? raw::Alu::kSub
                              : kOp == 0x40 ? raw::Alu::kOr
                              : kOp == 0x50 ? raw::Alu::kAnd
                                            : raw::Alu::kXor;
    kIsK ? raw::alu_ri(p, kAlu, kIs64, d, in.imm)
         : raw::alu_rr(p, kAlu, kIs64, d, host_code(in.src));
  }
  a.raw_end(p);
  return true;
}

// Shifts by a constant: the count is taken modulo the width (as x86 and the interpreter do);
// a zero count needs the general path (an ALU32 write must still clear the upper half).
template <int kDigit, bool kIs64>
bool fast_shift_k(raw::Assembler& a, const isa::Insn& in, bool) {
  const int count = in.imm & (kIs64 ? 63 : 31);
  if (count == 0 || in.off != 0) return false;
  uint8_t* p = a.raw_begin();
  if (p == nullptr) return false;
  raw::shift_ri(p, kDigit, kIs64, host_code(in.dst), count);
  a.raw_end(p);
  return true;
}

template <int kBytes, bool kSign>
bool fast_ldx(raw::Assembler& a, const isa::Insn& in, bool) {
  if (in.imm == vm::kLdxProbeMemImm) return false;  // PROBE_MEM: emit_ldx's guarded load
  uint8_t* p = a.raw_begin();
  if (p == nullptr) return false;
  raw::load(p, kBytes, kSign, host_code(in.dst), host_code(in.src), in.off);
  a.raw_end(p);
  return true;
}

template <int kBytes>
bool fast_stx(raw::Assembler& a, const isa::Insn& in, bool) {
  uint8_t* p = a.raw_begin();
  if (p == nullptr) return false;
  raw::store(p, kBytes, host_code(in.src), host_code(in.dst), in.off);
  a.raw_end(p);
  return true;
}

template <int kBytes>
bool fast_st(raw::Assembler& a, const isa::Insn& in, bool blinding) {
  if (blinding) return false;
  uint8_t* p = a.raw_begin();
  if (p == nullptr) return false;
  raw::store_imm(p, kBytes, host_code(in.dst), in.off, in.imm);
  a.raw_end(p);
  return true;
}

template <int kOp>
constexpr void add_alu(std::array<FastFn, 256>& t) {
  t[0x07 | kOp] = fast_alu<kOp, true, true>;
  t[0x0f | kOp] = fast_alu<kOp, true, false>;
  t[0x04 | kOp] = fast_alu<kOp, false, true>;
  t[0x0c | kOp] = fast_alu<kOp, false, false>;
}

constexpr std::array<FastFn, 256> build() {
  std::array<FastFn, 256> t{};
  add_alu<0x00>(t);
  add_alu<0x10>(t);
  add_alu<0x20>(t);
  add_alu<0x40>(t);
  add_alu<0x50>(t);
  add_alu<0xa0>(t);
  add_alu<0xb0>(t);
  t[0x67] = fast_shift_k<4, true>;
  t[0x77] = fast_shift_k<5, true>;
  t[0xc7] = fast_shift_k<7, true>;
  t[0x64] = fast_shift_k<4, false>;
  t[0x74] = fast_shift_k<5, false>;
  t[0xc4] = fast_shift_k<7, false>;
  t[0x61] = fast_ldx<4, false>;
  t[0x69] = fast_ldx<2, false>;
  t[0x71] = fast_ldx<1, false>;
  t[0x79] = fast_ldx<8, false>;
  t[0x81] = fast_ldx<4, true>;
  t[0x89] = fast_ldx<2, true>;
  t[0x91] = fast_ldx<1, true>;
  t[0x63] = fast_stx<4>;
  t[0x6b] = fast_stx<2>;
  t[0x73] = fast_stx<1>;
  t[0x7b] = fast_stx<8>;
  t[0x62] = fast_st<4>;
  t[0x6a] = fast_st<2>;
  t[0x72] = fast_st<1>;
  t[0x7a] = fast_st<8>;
  return t;
}

constexpr std::array<FastFn, 256> kFast = build();

}  // namespace

bool Compiler::emit_fast(const isa::Insn& in) {
  const FastFn f = kFast[in.opcode];
  return f != nullptr && f(*a_, in, blinding());
}

}  // namespace bombus::jit
