// Tiny builders for instruction literals in the interpreter's unit tests, plus run_both(), which
// runs a program in the fast and the checked interpreter and insists they agree.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "isa/insn.h"
#include "vm/interp.h"

namespace bombus::vm::test {

using isa::Insn;
using Prog = std::vector<Insn>;

inline Insn ins(uint8_t op, int dst, int src, int off, int32_t imm) {
  Insn i;
  i.opcode = op;
  i.dst = static_cast<uint8_t>(dst);
  i.src = static_cast<uint8_t>(src);
  i.off = static_cast<int16_t>(off);
  i.imm = imm;
  return i;
}
// ALU op codes (high nibble).
enum : uint8_t {
  kAdd = 0x00,
  kSub = 0x10,
  kMul = 0x20,
  kDiv = 0x30,
  kOr = 0x40,
  kAnd = 0x50,
  kLsh = 0x60,
  kRsh = 0x70,
  kNeg = 0x80,
  kMod = 0x90,
  kXor = 0xa0,
  kMov = 0xb0,
  kArsh = 0xc0,
  kEnd = 0xd0,
};
// Jump codes (high nibble).
enum : uint8_t {
  kJeq = 0x10,
  kJgt = 0x20,
  kJge = 0x30,
  kJset = 0x40,
  kJne = 0x50,
  kJsgt = 0x60,
  kJsge = 0x70,
  kJlt = 0xa0,
  kJle = 0xb0,
  kJslt = 0xc0,
  kJsle = 0xd0,
};
inline Insn alu64k(uint8_t code, int d, int32_t imm, int off = 0) {
  return ins(0x07 | code, d, 0, off, imm);
}
inline Insn alu64x(uint8_t code, int d, int s, int off = 0) {
  return ins(0x0f | code, d, s, off, 0);
}
inline Insn alu32k(uint8_t code, int d, int32_t imm, int off = 0) {
  return ins(0x04 | code, d, 0, off, imm);
}
inline Insn alu32x(uint8_t code, int d, int s, int off = 0) {
  return ins(0x0c | code, d, s, off, 0);
}
inline Insn mov64k(int d, int32_t imm) {
  return alu64k(kMov, d, imm);
}
inline Insn mov64x(int d, int s) {
  return alu64x(kMov, d, s);
}
inline Insn exit_insn() {
  return ins(0x95, 0, 0, 0, 0);
}
inline Insn ja(int off) {
  return ins(0x05, 0, 0, off, 0);
}
inline Insn gotol(int32_t imm) {
  return ins(0x06, 0, 0, 0, imm);
}
inline Insn jk(uint8_t code, int d, int32_t imm, int off) {
  return ins(0x05 | code, d, 0, off, imm);
}
inline Insn jx(uint8_t code, int d, int s, int off) {
  return ins(0x0d | code, d, s, off, 0);
}
inline Insn j32k(uint8_t code, int d, int32_t imm, int off) {
  return ins(0x06 | code, d, 0, off, imm);
}
inline Insn j32x(uint8_t code, int d, int s, int off) {
  return ins(0x0e | code, d, s, off, 0);
}
inline Insn ldx(uint8_t size, int d, int s, int off) {
  return ins(0x61 | size, d, s, off, 0);
}
inline Insn ldxs(uint8_t size, int d, int s, int off) {
  return ins(0x81 | size, d, s, off, 0);
}
inline Insn stx(uint8_t size, int d, int s, int off) {
  return ins(0x63 | size, d, s, off, 0);
}
inline Insn st(uint8_t size, int d, int off, int32_t imm) {
  return ins(0x62 | size, d, 0, off, imm);
}
inline Insn atomic(uint8_t size, int d, int s, int off, int32_t op) {
  return ins(0xc3 | size, d, s, off, op);
}
inline Insn call(int32_t id) {
  return ins(0x85, 0, 0, 0, id);
}
inline Insn call_local(int32_t delta) {
  return ins(0x85, 0, 1, 0, delta);
}
inline Insn callx(int reg) {
  return ins(0x8d, reg, 0, 0, 0);
}
inline void lddw(Prog& p, int d, uint64_t v) {
  p.push_back(ins(0x18, d, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v))));
  p.push_back(ins(0x00, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32))));
}

// Runs `p` in both modes with the same options; both must succeed and agree. Returns r0.
inline uint64_t run_both(const Prog& p, void* ctx = nullptr, size_t len = 0, InterpOptions o = {},
                         const RunArgs& args = {}) {
  o.checked = false;
  auto fast = Interpreter::create(p, o);
  EXPECT_TRUE(fast.ok()) << (fast.ok() ? "" : fast.error().format());
  if (!fast.ok()) return 0xdeadbeef;
  o.checked = true;
  auto checked = Interpreter::create(p, o);
  EXPECT_TRUE(checked.ok());
  if (!checked.ok()) return 0xdeadbeef;
  auto a = fast->run(ctx, len, args);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().format());
  auto b = checked->run(ctx, len, args);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().format());
  if (!a.ok() || !b.ok()) return 0xdeadbeef;
  EXPECT_EQ(*a, *b) << "fast and checked interpreters disagree";
  return *a;
}

}  // namespace bombus::vm::test
