// A direct x86-64 encoder for the instruction forms the JIT emits most (register-register and
// register-immediate ALU, loads and stores at [base + disp], moves of immediates). It writes
// bytes straight into the assembler's buffer, skipping asmjit's generic operand validation and
// encoding dispatch, which was the largest single cost of compiling. Everything else (jumps to
// labels, calls, rare forms) still goes through asmjit. tests/unit/jit/jit_raw_encoder_test.cc
// checks every form against asmjit's own encoding byte for byte.
//
// Registers are x86 hardware numbers 0..15 (rax=0, rcx=1, rdx=2, rbx=3, rsp=4, rbp=5, rsi=6,
// rdi=7, r8..r15 = 8..15).
#pragma once

#ifndef ASMJIT_STATIC
#define ASMJIT_STATIC
#endif
#include <asmjit/x86.h>

#include <cstdint>

namespace bombus::jit::raw {

// Group-1 ALU operations: opcode of "op r/m, reg" and the /digit of "op r/m, imm".
enum class Alu : uint8_t { kAdd, kOr, kAnd, kSub, kXor, kCmp, kMov, kTest };

inline constexpr uint8_t kRrOpcode[] = {0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x89, 0x85};
inline constexpr uint8_t kImmDigit[] = {0, 1, 4, 5, 6, 7, 0xff, 0xff};

inline bool fits_i8(int64_t v) {
  return v >= -128 && v <= 127;
}

inline void rex(uint8_t*& p, bool w, int reg, int rm, bool force = false) {
  const uint8_t r = static_cast<uint8_t>(0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3));
  if (r != 0x40 || force) *p++ = r;
}

inline void imm32(uint8_t*& p, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  p[0] = static_cast<uint8_t>(u);
  p[1] = static_cast<uint8_t>(u >> 8);
  p[2] = static_cast<uint8_t>(u >> 16);
  p[3] = static_cast<uint8_t>(u >> 24);
  p += 4;
}

// ModRM (+SIB, +displacement) for [base + disp] with `reg` in the reg field.
inline void mem(uint8_t*& p, int reg, int base, int32_t disp) {
  const uint8_t r = static_cast<uint8_t>((reg & 7) << 3), b = static_cast<uint8_t>(base & 7);
  const bool sib = b == 4;    // rsp / r12 need a SIB byte
  if (disp == 0 && b != 5) {  // rbp / r13 have no displacement-free form
    *p++ = static_cast<uint8_t>(0x00 | r | b);
    if (sib) *p++ = 0x24;
  } else if (fits_i8(disp)) {
    *p++ = static_cast<uint8_t>(0x40 | r | b);
    if (sib) *p++ = 0x24;
    *p++ = static_cast<uint8_t>(static_cast<int8_t>(disp));
  } else {
    *p++ = static_cast<uint8_t>(0x80 | r | b);
    if (sib) *p++ = 0x24;
    imm32(p, disp);
  }
}

// op dst, src (add/or/and/sub/xor/cmp/mov/test), 64 or 32 bits.
inline void alu_rr(uint8_t*& p, Alu op, bool w, int dst, int src) {
  rex(p, w, src, dst);
  *p++ = kRrOpcode[static_cast<int>(op)];
  *p++ = static_cast<uint8_t>(0xc0 | ((src & 7) << 3) | (dst & 7));
}

// op dst, imm32 (add/or/and/sub/xor/cmp; imm8 form when it fits), 64 or 32 bits.
inline void alu_ri(uint8_t*& p, Alu op, bool w, int dst, int32_t imm) {
  rex(p, w, 0, dst);
  const bool short_form = fits_i8(imm);
  *p++ = short_form ? 0x83 : 0x81;
  *p++ = static_cast<uint8_t>(0xc0 | (kImmDigit[static_cast<int>(op)] << 3) | (dst & 7));
  if (short_form) {
    *p++ = static_cast<uint8_t>(static_cast<int8_t>(imm));
  } else {
    imm32(p, imm);
  }
}

// imul dst, src (64 or 32 bits).
inline void imul_rr(uint8_t*& p, bool w, int dst, int src) {
  rex(p, w, dst, src);
  *p++ = 0x0f;
  *p++ = 0xaf;
  *p++ = static_cast<uint8_t>(0xc0 | ((dst & 7) << 3) | (src & 7));
}

// shl/shr/sar dst, count (count 1..63): digit 4 = shl, 5 = shr, 7 = sar.
inline void shift_ri(uint8_t*& p, int digit, bool w, int dst, int count) {
  rex(p, w, 0, dst);
  if (count == 1) {
    *p++ = 0xd1;
    *p++ = static_cast<uint8_t>(0xc0 | (digit << 3) | (dst & 7));
    return;
  }
  *p++ = 0xc1;
  *p++ = static_cast<uint8_t>(0xc0 | (digit << 3) | (dst & 7));
  *p++ = static_cast<uint8_t>(count);
}

// imul dst, dst, imm (imm8 form when it fits), 64 or 32 bits.
inline void imul_ri(uint8_t*& p, bool w, int dst, int32_t imm) {
  rex(p, w, dst, dst);
  const bool short_form = fits_i8(imm);
  *p++ = short_form ? 0x6b : 0x69;
  *p++ = static_cast<uint8_t>(0xc0 | ((dst & 7) << 3) | (dst & 7));
  if (short_form) {
    *p++ = static_cast<uint8_t>(static_cast<int8_t>(imm));
  } else {
    imm32(p, imm);
  }
}

// mov r32, imm32 (zero-extends to 64 bits).
inline void mov_r32_imm(uint8_t*& p, int dst, uint32_t imm) {
  rex(p, false, 0, dst);
  *p++ = static_cast<uint8_t>(0xb8 + (dst & 7));
  imm32(p, static_cast<int32_t>(imm));
}

// mov r64, simm32 (sign-extended).
inline void mov_r64_simm(uint8_t*& p, int dst, int32_t imm) {
  rex(p, true, 0, dst);
  *p++ = 0xc7;
  *p++ = static_cast<uint8_t>(0xc0 | (dst & 7));
  imm32(p, imm);
}

// Load of `bytes` (1, 2, 4, 8) from [base + disp] into dst: zero-extending, or sign-extending
// to 64 bits when `sign`.
inline void load(uint8_t*& p, int bytes, bool sign, int dst, int base, int32_t disp) {
  if (bytes == 8) {
    rex(p, true, dst, base);
    *p++ = 0x8b;
  } else if (bytes == 4) {
    rex(p, sign, dst, base);
    *p++ = sign ? 0x63 : 0x8b;
  } else {
    rex(p, sign, dst, base);
    *p++ = 0x0f;
    *p++ = static_cast<uint8_t>(sign ? (bytes == 1 ? 0xbe : 0xbf) : (bytes == 1 ? 0xb6 : 0xb7));
  }
  mem(p, dst, base, disp);
}

// Store of the low `bytes` of src to [base + disp].
inline void store(uint8_t*& p, int bytes, int src, int base, int32_t disp) {
  if (bytes == 2) *p++ = 0x66;
  // Byte stores of spl/bpl/sil/dil need a REX prefix (without one they mean ah/ch/dh/bh).
  rex(p, bytes == 8, src, base, bytes == 1 && src >= 4 && src < 8);
  *p++ = bytes == 1 ? 0x88 : 0x89;
  mem(p, src, base, disp);
}

// Store of an immediate (sign-extended to 64 bits for 8-byte stores) to [base + disp].
inline void store_imm(uint8_t*& p, int bytes, int base, int32_t disp, int32_t imm) {
  if (bytes == 2) *p++ = 0x66;
  rex(p, bytes == 8, 0, base);
  *p++ = bytes == 1 ? 0xc6 : 0xc7;
  mem(p, 0, base, disp);
  if (bytes == 1) {
    *p++ = static_cast<uint8_t>(imm);
  } else if (bytes == 2) {
    *p++ = static_cast<uint8_t>(imm);
    *p++ = static_cast<uint8_t>(imm >> 8);
  } else {
    imm32(p, imm);
  }
}

// asmjit's assembler with direct access to its buffer for the encoders above.
class Assembler : public asmjit::x86::Assembler {
 public:
  explicit Assembler(asmjit::CodeHolder* code) : asmjit::x86::Assembler(code) {}
  // Longest form above: 66 REX op modrm sib disp32 imm32 = 13 bytes.
  static constexpr size_t kMaxRawBytes = 16;
  // Where the next raw instruction goes, or null when the buffer needs to grow first (the
  // caller then uses asmjit's own path, which grows it).
  uint8_t* raw_begin() { return remainingSpace() >= kMaxRawBytes ? _bufferPtr : nullptr; }
  void raw_end(uint8_t* p) { _bufferPtr = p; }
};

}  // namespace bombus::jit::raw
