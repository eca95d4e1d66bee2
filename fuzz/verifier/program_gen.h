// Structure-aware generator of eBPF programs for verifier soundness testing: straight-line ALU,
// stack stores and loads (some deliberately uninitialised), ctx loads (some out of range),
// pointer arithmetic on stack pointers, forward branches, counted loops and helper calls. Driven
// by a byte source so libFuzzer can steer it, or by a seeded PRNG in tests.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "isa/insn.h"

namespace bombus::verifier::fuzz {

class ByteSource {
 public:
  explicit ByteSource(std::function<uint8_t()> next) : next_(std::move(next)) {}
  uint32_t pick(uint32_t n) { return n ? (next_() | (next_() << 8)) % n : 0; }
  bool coin() { return next_() & 1; }

 private:
  std::function<uint8_t()> next_;
};

inline isa::Insn mk(uint8_t op, int dst, int src, int16_t off, int32_t imm) {
  isa::Insn i;
  i.opcode = op;
  i.dst = static_cast<uint8_t>(dst);
  i.src = static_cast<uint8_t>(src);
  i.off = off;
  i.imm = imm;
  return i;
}

// The program has a kprobe-style byte context of `ctx_size` bytes in r1.
inline std::vector<isa::Insn> generate_program(ByteSource& in, int ctx_size = 168) {
  std::vector<isa::Insn> p;
  p.push_back(mk(0xbf, 6, 1, 0, 0));  // r6 = ctx
  for (int r = 0; r <= 5; ++r) {
    if (in.coin())
      p.push_back(mk(0xb7, r, 0, 0, static_cast<int32_t>(in.pick(64)) - 8));
    else
      p.push_back(mk(0x79, r, 6, static_cast<int16_t>(8 * in.pick(ctx_size / 8)), 0));
  }
  const int body = 4 + static_cast<int>(in.pick(24));
  static const uint8_t alu_ops[] = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50,
                                    0x60, 0x70, 0x90, 0xa0, 0xc0, 0xb0};
  std::vector<size_t> pending_fwd;  // jump insns whose offset is fixed up at the end
  for (int k = 0; k < body; ++k) {
    int reg = static_cast<int>(in.pick(6));
    int other = static_cast<int>(in.pick(6));
    switch (in.pick(10)) {
      case 0:
      case 1: {  // ALU
        uint8_t op = alu_ops[in.pick(sizeof alu_ops)];
        bool is64 = in.coin(), x = in.coin();
        uint8_t cls = is64 ? 0x07 : 0x04;
        int32_t imm = static_cast<int32_t>(in.pick(70)) - 3;
        if (op == 0x60 || op == 0x70 || op == 0xc0)
          imm = static_cast<int32_t>(in.pick(is64 ? 64 : 32));
        if ((op == 0x30 || op == 0x90) && imm == 0) imm = 3;
        p.push_back(
            mk(static_cast<uint8_t>(cls | op | (x ? 0x08 : 0)), reg, x ? other : 0, 0, imm));
        break;
      }
      case 2: {  // stack store
        int slot = 1 + static_cast<int>(in.pick(8));
        if (in.coin())
          p.push_back(mk(0x7b, 10, reg, static_cast<int16_t>(-8 * slot), 0));
        else
          p.push_back(mk(0x62, 10, 0, static_cast<int16_t>(-8 * slot + 4 * in.pick(2)),
                         static_cast<int32_t>(in.pick(100))));
        break;
      }
      case 3: {  // stack load (may be uninitialised)
        int slot = 1 + static_cast<int>(in.pick(8));
        p.push_back(mk(in.coin() ? 0x79 : 0x61, reg, 10, static_cast<int16_t>(-8 * slot), 0));
        break;
      }
      case 4: {  // ctx load, sometimes out of range
        int off = static_cast<int>(in.pick(ctx_size + 16));
        off &= ~7;
        p.push_back(mk(0x79, reg, 6, static_cast<int16_t>(off), 0));
        break;
      }
      case 5: {  // variable offset into the stack through a masked index
        p.push_back(mk(0x57, reg, 0, 0, in.coin() ? 0x38 : 0xff));  // reg &= mask
        p.push_back(mk(0xbf, 8, 10, 0, 0));                         // r8 = r10
        p.push_back(mk(0x07, 8, 0, 0, -64));                        // r8 -= 64
        p.push_back(mk(0x0f, 8, reg, 0, 0));                        // r8 += reg
        p.push_back(mk(in.coin() ? 0x73 : 0x71, 8, other, 0, 0));   // byte store or load
        if (isa::op_info(p.back().opcode).kind == isa::OpKind::Ldx)
          p.back().dst = static_cast<uint8_t>(other), p.back().src = 8;
        break;
      }
      case 6: {  // forward conditional jump, fixed up to land inside the body
        static const uint8_t jops[] = {0x15, 0x25, 0x35, 0x45, 0x55, 0x65,
                                       0x75, 0xa5, 0xb5, 0xc5, 0xd5};
        bool x = in.coin();
        uint8_t op = static_cast<uint8_t>(jops[in.pick(sizeof jops)] | (x ? 0x08 : 0));
        if (in.coin()) op = static_cast<uint8_t>((op & ~0x07) | 0x06);  // jmp32
        p.push_back(mk(op, reg, x ? other : 0, static_cast<int16_t>(in.pick(4)),
                       static_cast<int32_t>(in.pick(40))));
        break;
      }
      case 7: {  // counted loop around one ALU op
        int n = 1 + static_cast<int>(in.pick(20));
        p.push_back(mk(0xb7, 9, 0, 0, 0));    // r9 = 0
        p.push_back(mk(0x07, reg, 0, 0, 3));  // L: reg += 3
        p.push_back(mk(0x07, 9, 0, 0, 1));    // r9 += 1
        p.push_back(mk(0xa5, 9, 0, -3, n));   // if r9 < n goto L
        break;
      }
      case 8:  // helper returning a number (clobbers r1-r5)
        p.push_back(mk(0x85, 0, 0, 0, in.coin() ? 7 : 5));
        break;
      default: {  // copy
        p.push_back(mk(0xbf, reg, other, 0, 0));
        break;
      }
    }
  }
  // Keep forward jumps inside the program: clamp to the distance to the final exit.
  for (size_t i = 0; i < p.size(); ++i) {
    auto k = isa::op_info(p[i].opcode).kind;
    if ((k == isa::OpKind::JccK || k == isa::OpKind::JccX) && p[i].off >= 0) {
      int64_t room = static_cast<int64_t>(p.size()) - static_cast<int64_t>(i) - 1;
      if (p[i].off > room) p[i].off = static_cast<int16_t>(room);
    }
  }
  if (in.coin()) p.push_back(mk(0xb7, 0, 0, 0, 0));
  p.push_back(mk(0x95, 0, 0, 0, 0));
  return p;
}

}  // namespace bombus::verifier::fuzz
