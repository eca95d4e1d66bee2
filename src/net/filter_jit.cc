// Lean batch JIT for converted classic filters (see filter_jit.h).
//
// One native call runs a whole batch: fn(first ctx, stride, n, out) -> matches. Frame, set up
// once per call: callee-saved rbx, rbp, r12-r15 pushed, then kFrame bytes: [rsp] the end of the
// results, [rsp+8] the current context when the program writes r1, [rsp+16]/[rsp+24] rax/rdx
// saved around a division, [rsp+32, rsp+544) the 512-byte eBPF stack with rbp (= r10) at its
// top. Loop state in registers: r9 the next result slot, r10 the match count, r12 the stride;
// r11 is the only scratch. eBPF registers: r0 rax, r1 rdi (the context: the loop walks it
// directly unless the program writes r1), r2 rsi, r3 rdx, r4 rcx, r5 r8, r6 rbx (or rdi when
// it is the converter's copy of r1), r7 r13, r8 r14, r9 r15, r10 rbp.
//
// Per packet only the live part of the program runs (filter_jit_plan.h): the converter's
// A = 0 / X = 0 / unused context loads are dropped, a load and its byte swap become one movbe
// (or movzx + rol), LD IND is one lea + compare, and each `return K` stores K, counts it and
// steps to the next packet in place (no shared epilogue jump).
//
// With a flat plan (FilterJitMode::kFlat) each packet first checks its caplen against the flat
// body's minimum and runs FlatEmitter's branch-free body, else the branchy body. The flat body
// uses the frame's slots [rsp+544] (a saved register) and [rsp+552, ...) (edge masks).
#include "net/filter_jit.h"

#include <asmjit/x86.h>
#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <vector>

#include "net/asm_code.h"
#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"
#include "net/filter_jit_plan.h"

namespace bombus::net {

namespace {

namespace x86 = asmjit::x86;
using asmjit::Imm;
using asmjit::Label;

const x86::Gp kReg[isa::kNumRegs] = {x86::rax, x86::rdi, x86::rsi, x86::rdx, x86::rcx, x86::r8,
                                     x86::rbx, x86::r13, x86::r14, x86::r15, x86::rbp};
constexpr int kSlotEnd = 0, kSlotCtx = 8, kSlotRax = 16, kSlotRdx = 24, kStackTop = 544,
              kSlotSave = 544, kSlotFlat = 552,
              kFrame = kSlotFlat + 4 * static_cast<int>(kFlatMaxSlots) + 8;

Error unsupported(size_t at, const isa::Insn& i, const char* why) {
  Location where;
  where.insn = static_cast<int64_t>(at);
  return make_error(Errc::kUnsupported,
                    fmt::format("lean filter JIT: opcode {:#04x}: {}", i.opcode, why), where);
}

// The 64-bit immediate of the lddw pair starting at `i`.
uint64_t lddw_value(const isa::Insn* i) {
  return static_cast<uint32_t>(i[0].imm) |
         (static_cast<uint64_t>(static_cast<uint32_t>(i[1].imm)) << 32);
}

// The checks compile() makes, without emitting anything.
Status check(std::span<const isa::Insn> prog) {
  const size_t n = prog.size();
  if (n == 0) return make_error(Errc::kInvalid, "lean filter JIT: empty program");
  for (size_t at = 0; at < n; ++at) {
    const isa::Insn& i = prog[at];
    const uint8_t cls = i.opcode & 0x07, op = i.opcode & 0xf0;
    if (i.dst >= isa::kNumRegs || i.src >= isa::kNumRegs)
      return unsupported(at, i, "register out of range");
    switch (cls) {
      case isa::kClassAlu:
      case isa::kClassAlu64:
        if (i.off != 0) return unsupported(at, i, "signed division/mod or movsx");
        if (op == 0xd0 && i.imm != 16 && i.imm != 32 && i.imm != 64)
          return unsupported(at, i, "byte swap width");
        if (op > 0xd0) return unsupported(at, i, "unknown ALU operation");
        if (i.dst == 10) return unsupported(at, i, "writes r10");
        break;
      case isa::kClassLdx:
        if ((i.opcode & 0xe0) != isa::kModeMem) return unsupported(at, i, "load mode");
        if (i.dst == 10) return unsupported(at, i, "writes r10");
        break;
      case isa::kClassSt:
      case isa::kClassStx:
        if ((i.opcode & 0xe0) != isa::kModeMem) return unsupported(at, i, "store mode");
        break;
      case isa::kClassLd:
        if (i.opcode != 0x18 || i.src != 0 || at + 1 >= n || i.dst == 10)
          return unsupported(at, i, "only plain 64-bit immediates");
        ++at;
        break;
      case isa::kClassJmp:
      case isa::kClassJmp32: {
        if (op == 0x80) return unsupported(at, i, "calls");
        if (op == 0x90) {
          if (cls != isa::kClassJmp) return unsupported(at, i, "exit in JMP32");
          break;
        }
        if (op > 0xd0 || (op == 0x00 && cls != isa::kClassJmp))
          return unsupported(at, i, "jump kind");
        const int64_t target = static_cast<int64_t>(at) + 1 + i.off;
        if (target < 0 || target >= static_cast<int64_t>(n))
          return unsupported(at, i, "jump out of the program");
        break;
      }
    }
  }
  const isa::Insn& last = prog[n - 1];
  if (last.opcode != 0x95 && last.opcode != 0x05)
    return unsupported(n - 1, last, "the program may run off its end");
  return {};
}

class FlatEmitter;

class Emitter {
 public:
  Emitter(std::span<const isa::Insn> prog, const FilterJitPlan& plan, const CompareFold& fold,
          const FlatPlan& flat, x86::Assembler& a)
      : prog_(prog), plan_(plan), fold_(fold), flat_(flat), a_(a) {
    for (size_t r = 0; r < isa::kNumRegs; ++r) reg_[r] = kReg[r];
    if (plan_.alias_r6) reg_[6] = reg_[1];
  }

  void emit() {
    labels_.resize(prog_.size());
    for (Label& l : labels_) l = a_.newLabel();
    top_ = a_.newLabel();
    done_ = a_.newLabel();
    for (const x86::Gp& r : {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15})
      a_.push(r);
    a_.sub(x86::rsp, kFrame);
    a_.mov(x86::r12, x86::rsi);
    a_.mov(x86::r9, x86::rcx);
    a_.lea(x86::r11, x86::ptr(x86::rcx, x86::rdx, 2));  // end of the results
    a_.mov(x86::qword_ptr(x86::rsp, kSlotEnd), x86::r11);
    a_.mov(x86::qword_ptr(x86::rsp, kSlotCtx), x86::rdi);
    a_.lea(x86::rbp, x86::ptr(x86::rsp, kStackTop));
    a_.xor_(x86::r10d, x86::r10d);
    a_.test(x86::rdx, x86::rdx);
    a_.jz(done_);
    if (flat_.ok) a_.xor_(x86::edx, x86::edx);  // the flat body's zero (no program uses r3)
    a_.align(asmjit::AlignMode::kCode, 16);
    a_.bind(top_);
    if (plan_.writes_r1) a_.mov(x86::rdi, x86::qword_ptr(x86::rsp, kSlotCtx));
    // Registers the program may read before writing start at 0 for every packet.
    for (uint8_t r = 0; r < 10; ++r)
      if (r != 1 && (plan_.live_in & (1u << r)) != 0) a_.xor_(reg_[r].r32(), reg_[r].r32());
    if (flat_.ok) {
      // Long enough for every constant-offset load: the branch-free body; else the branchy one.
      Label branchy = a_.newLabel();
      if (flat_.min_caplen > 0) {
        a_.cmp(x86::dword_ptr(x86::rdi, kCtxOffCaplen), Imm(flat_.min_caplen));
        a_.jb(branchy);
      }
      emit_flat();
      a_.bind(branchy);
    }
    for (size_t at = 0; at < prog_.size(); ++at) {
      a_.bind(labels_[at]);
      const isa::Insn& i = prog_[at];
      if (plan_.dead[at] || (at == 0 && plan_.alias_r6)) {
        if (i.opcode == 0x18) a_.bind(labels_[++at]);
        continue;
      }
      if (fold_.elided[at]) {  // its compares read the packet bytes
        for (size_t k = 1; k < plan_.length[at]; ++k) a_.bind(labels_[at + k]);
        at += plan_.length[at] - 1;
        continue;
      }
      switch (plan_.fuse[at]) {
        case Fuse::kLoadSwap:
          ldx(i, true);
          a_.bind(labels_[++at]);
          continue;
        case Fuse::kLoadInd:
          load_ind(at);
          for (size_t k = 1; k < plan_.length[at]; ++k) a_.bind(labels_[at + k]);
          at += plan_.length[at] - 1;
          continue;
        case Fuse::kConstExit:
          exit_tail(static_cast<uint32_t>(i.imm));
          if (!plan_.target[at + 1]) a_.bind(labels_[++at]);
          continue;
        case Fuse::kNone:
          break;
      }
      if (i.opcode == 0x18) {
        a_.mov(reg_[i.dst], Imm(lddw_value(&prog_[at])));
        a_.bind(labels_[++at]);
        continue;
      }
      insn(i, at);
    }
    a_.bind(done_);
    a_.mov(x86::rax, x86::r10);
    a_.add(x86::rsp, kFrame);
    for (const x86::Gp& r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbp, x86::rbx}) a_.pop(r);
    a_.ret();
  }

 private:
  void emit_flat();  // after FlatEmitter

  // The end of one packet: store r0 (or the known constant), count a match, step to the next
  // context and result, and loop.
  void exit_tail(std::optional<uint32_t> k) {
    if (k) {
      a_.mov(x86::dword_ptr(x86::r9), Imm(*k));
      if (*k != 0) a_.add(x86::r10, 1);
    } else {
      a_.mov(x86::dword_ptr(x86::r9), x86::eax);
      a_.neg(x86::eax);  // CF = (eax != 0)
      a_.adc(x86::r10, 0);
    }
    a_.add(x86::r9, 4);
    if (plan_.writes_r1) {
      a_.mov(x86::r11, x86::qword_ptr(x86::rsp, kSlotCtx));
      a_.add(x86::r11, x86::r12);
      a_.mov(x86::qword_ptr(x86::rsp, kSlotCtx), x86::r11);
    } else {
      a_.add(x86::rdi, x86::r12);
    }
    a_.cmp(x86::r9, x86::qword_ptr(x86::rsp, kSlotEnd));
    a_.jb(top_);
    a_.jmp(done_);
  }

  // The converter's LD IND (filter_jit_plan.cc): t = (x + k) mod 2^32; fail when t + size >
  // caplen; dst = the big-endian bytes at data + t. t and r4 are dead afterwards.
  void load_ind(size_t a) {
    const isa::Insn* s = &prog_[a];
    const x86::Gp t = reg_[s[0].dst], x = reg_[s[0].src], r4 = reg_[s[2].dst], r5 = reg_[s[4].src],
                  d = reg_[s[5].src];
    a_.lea(t.r32(), x86::ptr(x.r64(), s[1].imm));
    a_.lea(r4.r64(), x86::ptr(t.r64(), s[3].imm));
    a_.cmp(r4.r64(), r5.r64());
    a_.ja(labels_[static_cast<size_t>(static_cast<int64_t>(a) + 5 + s[4].off)]);
    const uint8_t size = s[6].opcode & 0x18;
    const x86::Mem m = size == isa::kSizeW   ? x86::dword_ptr(d.r64(), t.r64())
                       : size == isa::kSizeH ? x86::word_ptr(d.r64(), t.r64())
                                             : x86::byte_ptr(d.r64(), t.r64());
    load(size, reg_[s[6].dst], m, plan_.length[a] == 8);
  }

  void insn(const isa::Insn& i, size_t at) {
    const uint8_t cls = i.opcode & 0x07;
    switch (cls) {
      case isa::kClassAlu:
      case isa::kClassAlu64:
        return alu(i, cls == isa::kClassAlu64);
      case isa::kClassLdx:
        return ldx(i);
      case isa::kClassSt:
      case isa::kClassStx:
        return store(i, cls == isa::kClassStx);
      default:
        return jump(i, at, cls == isa::kClassJmp);
    }
  }

  static x86::Gp w(const x86::Gp& r, bool wide) {
    return wide ? x86::Gp(r.r64()) : x86::Gp(r.r32());
  }

  void alu(const isa::Insn& i, bool wide) {
    const uint8_t op = i.opcode & 0xf0;
    const bool x = (i.opcode & isa::kSrcX) != 0;
    const x86::Gp d = w(reg_[i.dst], wide), s = w(reg_[i.src], wide);
    const Imm k = wide ? Imm(static_cast<int64_t>(i.imm)) : Imm(static_cast<int32_t>(i.imm));
    switch (op) {
      case 0x00:
        x ? a_.add(d, s) : a_.add(d, k);
        break;
      case 0x10:
        x ? a_.sub(d, s) : a_.sub(d, k);
        break;
      case 0x20:
        x ? a_.imul(d, s) : a_.imul(d, d, k);
        break;
      case 0x40:
        x ? a_.or_(d, s) : a_.or_(d, k);
        break;
      case 0x50:
        x ? a_.and_(d, s) : a_.and_(d, k);
        break;
      case 0xa0:
        x ? a_.xor_(d, s) : a_.xor_(d, k);
        break;
      case 0xb0:
        if (x) {
          a_.mov(d, s);
        } else if (wide) {
          a_.mov(d, Imm(static_cast<int64_t>(i.imm)));
        } else {
          a_.mov(d, Imm(static_cast<int32_t>(i.imm)));
        }
        break;
      case 0x80:
        a_.neg(d);
        break;
      case 0x60:
      case 0x70:
      case 0xc0:
        shift(i, op, d, wide, x);
        break;
      case 0x30:
      case 0x90:
        divmod(i, op == 0x30, wide, x);
        break;
      case 0xd0:
        swap(i, reg_[i.dst], wide);
        break;
    }
  }

  void shift_by(uint8_t op, const x86::Gp& d, const x86::Gp& c) {
    if (op == 0x60) a_.shl(d, c);
    if (op == 0x70) a_.shr(d, c);
    if (op == 0xc0) a_.sar(d, c);
  }

  void shift(const isa::Insn& i, uint8_t op, const x86::Gp& d, bool wide, bool x) {
    if (!x) {
      const Imm k(i.imm & (wide ? 63 : 31));
      if (op == 0x60) a_.shl(d, k);
      if (op == 0x70) a_.shr(d, k);
      if (op == 0xc0) a_.sar(d, k);
      return;
    }
    // The count must be in cl (eBPF r4 lives in rcx).
    if (i.src == 4) {
      if (i.dst == 4) {
        a_.mov(x86::r11, x86::rcx);
        shift_by(op, w(x86::r11, wide), x86::cl);
        a_.mov(w(x86::rcx, wide), w(x86::r11, wide));
      } else {
        shift_by(op, d, x86::cl);
      }
      return;
    }
    a_.mov(x86::r11, x86::rcx);
    a_.mov(x86::rcx, reg_[i.src]);
    if (i.dst == 4) {
      shift_by(op, w(x86::r11, wide), x86::cl);
      a_.mov(w(x86::rcx, wide), w(x86::r11, wide));
    } else {
      shift_by(op, d, x86::cl);
      a_.mov(x86::rcx, x86::r11);
    }
  }

  // Unsigned division and modulo with eBPF's rules for a zero divisor: quotient 0, remainder
  // the dividend (truncated to 32 bits in ALU32).
  void divmod(const isa::Insn& i, bool div, bool wide, bool x) {
    const x86::Gp d = w(reg_[i.dst], wide);
    const x86::Gp r11 = w(x86::r11, wide);
    if (x)
      a_.mov(r11, w(reg_[i.src], wide));
    else if (wide)
      a_.mov(x86::r11, Imm(static_cast<int64_t>(i.imm)));
    else
      a_.mov(x86::r11d, Imm(static_cast<int32_t>(i.imm)));
    Label nonzero = a_.newLabel(), end = a_.newLabel();
    a_.test(r11, r11);
    a_.jnz(nonzero);
    if (div)
      a_.xor_(d.r32(), d.r32());
    else if (!wide)
      a_.mov(d.r32(), d.r32());
    a_.jmp(end);
    a_.bind(nonzero);
    a_.mov(x86::qword_ptr(x86::rsp, kSlotRax), x86::rax);
    a_.mov(x86::qword_ptr(x86::rsp, kSlotRdx), x86::rdx);
    const x86::Gp ax = w(x86::rax, wide), dx = w(x86::rdx, wide);
    a_.mov(ax, d);
    a_.xor_(x86::edx, x86::edx);
    a_.div(dx, ax, r11);
    a_.mov(x86::r11, div ? x86::rax : x86::rdx);  // the divisor is no longer needed
    a_.mov(x86::rax, x86::qword_ptr(x86::rsp, kSlotRax));
    a_.mov(x86::rdx, x86::qword_ptr(x86::rsp, kSlotRdx));
    a_.mov(d, r11);
    a_.bind(end);
  }

  void swap(const isa::Insn& i, const x86::Gp& r, bool alu64) {
    const bool to_be = alu64 || (i.opcode & isa::kSrcX) != 0;  // 0xdc and 0xd7 swap
    if (!to_be) {
      if (i.imm == 16) a_.movzx(r.r32(), r.r16());
      if (i.imm == 32) a_.mov(r.r32(), r.r32());
      return;
    }
    if (i.imm == 16) {
      a_.ror(r.r16(), 8);
      a_.movzx(r.r32(), r.r16());
    } else if (i.imm == 32) {
      a_.bswap(r.r32());
    } else {
      a_.bswap(r.r64());
    }
  }

  x86::Mem mem(const isa::Insn& i, uint8_t base) const {
    const x86::Gp& b = reg_[base];
    switch (i.opcode & 0x18) {
      case isa::kSizeB:
        return x86::byte_ptr(b, i.off);
      case isa::kSizeH:
        return x86::word_ptr(b, i.off);
      case isa::kSizeW:
        return x86::dword_ptr(b, i.off);
      default:
        return x86::qword_ptr(b, i.off);
    }
  }

  // A load, or with `swap` a load and the byte swap to big-endian that follows it.
  void ldx(const isa::Insn& i, bool swap = false) {
    load(i.opcode & 0x18, reg_[i.dst], mem(i, i.src), swap);
  }

  void load(uint8_t size, const x86::Gp& d, const x86::Mem& m, bool swap) {
    if (swap && size == isa::kSizeW) {
      a_.movbe(d.r32(), m);
      return;
    }
    if (swap && size == isa::kSizeH) {
      a_.movzx(d.r32(), m);
      a_.rol(d.r16(), 8);  // the upper bits are already zero
      return;
    }
    switch (size) {
      case isa::kSizeB:
      case isa::kSizeH:
        a_.movzx(d.r32(), m);
        break;
      case isa::kSizeW:
        a_.mov(d.r32(), m);
        break;
      default:
        a_.mov(d.r64(), m);
    }
  }

  void store(const isa::Insn& i, bool x) {
    const x86::Mem m = mem(i, i.dst);
    const uint8_t size = i.opcode & 0x18;
    if (!x) {
      const int64_t v = size == isa::kSizeB   ? static_cast<int8_t>(i.imm)
                        : size == isa::kSizeH ? static_cast<int16_t>(i.imm)
                                              : static_cast<int64_t>(i.imm);
      a_.mov(m, Imm(v));
      return;
    }
    const x86::Gp& s = reg_[i.src];
    switch (size) {
      case isa::kSizeB:
        a_.mov(m, s.r8());
        break;
      case isa::kSizeH:
        a_.mov(m, s.r16());
        break;
      case isa::kSizeW:
        a_.mov(m, s.r32());
        break;
      default:
        a_.mov(m, s.r64());
    }
  }

  void jump(const isa::Insn& i, size_t at, bool wide) {
    const uint8_t op = i.opcode & 0xf0;
    if (op == 0x90) {
      exit_tail(std::nullopt);
      return;
    }
    const Label& to = labels_[static_cast<size_t>(static_cast<int64_t>(at) + 1 + i.off)];
    if (op == 0x00) {
      // A jump to `return K` (or to an exit) ends the packet here instead of jumping there.
      const size_t t = static_cast<size_t>(static_cast<int64_t>(at) + 1 + i.off);
      if (plan_.fuse[t] == Fuse::kConstExit && !plan_.dead[t])
        exit_tail(static_cast<uint32_t>(prog_[t].imm));
      else if (prog_[t].opcode == 0x95)
        exit_tail(std::nullopt);
      else
        a_.jmp(to);
      return;
    }
    const x86::CondCode cc = fold_.mem_cmp[at] >= 0
                                 ? mem_compare(i, prog_[fold_.mem_cmp[at]], fold_.data_reg)
                                 : compare(i, wide);
    // `if (cond) return Kt; return Kf;` (both sides constant returns, the last test of most
    // tcpdump filters): select with cmov and end the packet here, so the data-dependent final
    // test costs no branch (and no misprediction).
    const size_t t = static_cast<size_t>(static_cast<int64_t>(at) + 1 + i.off);
    if (plan_.fuse[at + 1] == Fuse::kConstExit && plan_.fuse[t] == Fuse::kConstExit &&
        !plan_.dead[at + 1] && !plan_.dead[t]) {
      a_.mov(x86::eax, Imm(static_cast<uint32_t>(prog_[at + 1].imm)));  // mov keeps the flags
      a_.mov(x86::r11d, Imm(static_cast<uint32_t>(prog_[t].imm)));
      a_.cmov(cc, x86::eax, x86::r11d);
      exit_tail(std::nullopt);
      return;
    }
    a_.j(cc, to);
  }

  // `jeq/jne/jset reg, K` where reg holds the big-endian bytes `load` reads: compare those
  // bytes in the packet with K in packet byte order.
  x86::CondCode mem_compare(const isa::Insn& j, const isa::Insn& load, uint8_t data) {
    const x86::Gp base = reg_[data];
    const uint32_t c = static_cast<uint32_t>(j.imm);
    const uint8_t size = load.opcode & 0x18;
    x86::Mem m;
    Imm k;
    if (size == isa::kSizeB) {
      m = x86::byte_ptr(base, load.off);
      k = Imm(static_cast<int8_t>(c));
    } else if (size == isa::kSizeH) {
      m = x86::word_ptr(base, load.off);
      k = Imm(static_cast<int16_t>(__builtin_bswap16(static_cast<uint16_t>(c))));
    } else {
      m = x86::dword_ptr(base, load.off);
      k = Imm(static_cast<int32_t>(__builtin_bswap32(c)));
    }
    (j.opcode & 0xf0) == 0x40 ? a_.test(m, k) : a_.cmp(m, k);
    return (j.opcode & 0xf0) == 0x10 ? x86::CondCode::kE : x86::CondCode::kNE;
  }

  // The compare of a conditional jump; returns the condition under which it is taken.
  x86::CondCode compare(const isa::Insn& i, bool wide) {
    const uint8_t op = i.opcode & 0xf0;
    const x86::Gp d = w(reg_[i.dst], wide), s = w(reg_[i.src], wide);
    const bool x = (i.opcode & isa::kSrcX) != 0;
    const Imm k = wide ? Imm(static_cast<int64_t>(i.imm)) : Imm(static_cast<int32_t>(i.imm));
    if (op == 0x40)
      x ? a_.test(d, s) : a_.test(d, k);
    else
      x ? a_.cmp(d, s) : a_.cmp(d, k);
    return cond(op);
  }

  static x86::CondCode cond(uint8_t op) {
    switch (op) {
      case 0x10:
        return x86::CondCode::kE;
      case 0x20:
        return x86::CondCode::kA;
      case 0x30:
        return x86::CondCode::kAE;
      case 0x40:
      case 0x50:
        return x86::CondCode::kNE;
      case 0x60:
        return x86::CondCode::kG;
      case 0x70:
        return x86::CondCode::kGE;
      case 0xa0:
        return x86::CondCode::kB;
      case 0xb0:
        return x86::CondCode::kBE;
      case 0xc0:
        return x86::CondCode::kL;
      default:  // 0xd0
        return x86::CondCode::kLE;
    }
  }

  friend class FlatEmitter;
  std::span<const isa::Insn> prog_;
  const FilterJitPlan& plan_;
  const CompareFold& fold_;
  const FlatPlan& flat_;
  x86::Assembler& a_;
  x86::Gp reg_[isa::kNumRegs];
  std::vector<Label> labels_;
  Label top_, done_;
};

// The branch-free body (filter_jit_plan.h, FlatPlan). Registers of its own, free in every
// program the flat plan accepts (no r2, r3 or a separate r6): esi the mask p of the current
// instruction (all ones when it is on the packet's path, else 0), edx zero, ebx the result
// (accumulated accept masks, or the returned value), r11 scratch.
class FlatEmitter {
 public:
  explicit FlatEmitter(Emitter& e)
      : e_(e),
        a_(e.a_),
        prog_(e.prog_),
        plan_(e.plan_),
        flat_(e.flat_),
        slot_set_(flat_.slots, false) {}

  void emit() {
    a_.mov(kP, Imm(-1));
    a_.xor_(kAcc, kAcc);
    bool falls = true;  // the previous instruction can fall through into this one
    for (size_t at = 0; at < prog_.size();) {
      const isa::Insn& i = prog_[at];
      const size_t step = i.opcode == 0x18 ? 2 : 1;
      if (flat_.slot[at] >= 0 && slot_set_[flat_.slot[at]]) {
        const x86::Mem m = slot(flat_.slot[at]);
        if (falls) {
          a_.or_(kP, m);
        } else {
          a_.mov(kP, m);
          if (flat_.one_accept) a_.or_(kP, kAcc);  // keep "accepted => p"
        }
        falls = true;
      }
      if (!falls || plan_.dead[at] || (at == 0 && plan_.alias_r6)) {  // unreached, or nothing
        at += step;
        continue;
      }
      if (flat_.elided[at]) {  // its compares read the packet instead
        at += plan_.length[at];
        continue;
      }
      switch (plan_.fuse[at]) {
        case Fuse::kLoadSwap:
          predicated(at, i.dst, false, [&] { e_.ldx(i, true); });
          at += 2;
          continue;
        case Fuse::kLoadInd:
          load_ind(at);
          at += plan_.length[at];
          continue;
        case Fuse::kConstExit:
          take({FlatTarget::Kind::kReturnK, at, static_cast<uint32_t>(i.imm)}, kP);
          falls = false;
          ++at;
          continue;
        case Fuse::kNone:
          break;
      }
      if (i.opcode == 0x18) {
        const uint64_t v = lddw_value(&prog_[at]);
        predicated(at, i.dst, false, [&] { a_.mov(e_.reg_[i.dst], Imm(v)); });
        at += 2;
        continue;
      }
      const uint8_t cls = i.opcode & 0x07, op = i.opcode & 0xf0;
      const bool x = (i.opcode & isa::kSrcX) != 0;
      if (cls == isa::kClassAlu || cls == isa::kClassAlu64) {
        // Shifts by a register and division use r11 themselves: save to memory instead.
        const bool via_memory =
            op == 0x30 || op == 0x90 || (x && (op == 0x60 || op == 0x70 || op == 0xc0));
        predicated(at, i.dst, via_memory, [&] { e_.insn(i, at); });
      } else if (cls == isa::kClassLdx) {
        predicated(at, i.dst, false, [&] { e_.insn(i, at); });
      } else if (cls == isa::kClassSt || cls == isa::kClassStx) {
        store(i, cls == isa::kClassStx);
      } else if (op == 0x90) {
        take({FlatTarget::Kind::kReturnA, at, 0}, kP);
        falls = false;
      } else if (op == 0x00) {
        take(flat_target(prog_, plan_, target(at)), kP);
        falls = false;
      } else if (!flat_.folded[at]) {
        const x86::CondCode cc = flat_.mem_cmp[at] >= 0
                                     ? e_.mem_compare(i, prog_[flat_.mem_cmp[at]], flat_.data_reg)
                                     : e_.compare(i, cls == isa::kClassJmp);
        edge(cc, target(at), rest_rejects(at + 1));
      }
      at += step;
    }
    if (flat_.one_accept) a_.and_(kAcc, Imm(flat_.accept_k));
    a_.mov(x86::eax, kAcc);
    e_.exit_tail(std::nullopt);
  }

 private:
  static constexpr x86::Gp kP = x86::esi, kZ = x86::edx, kAcc = x86::ebx, kT = x86::r11d;

  size_t target(size_t at) const {
    return static_cast<size_t>(static_cast<int64_t>(at) + 1 + prog_[at].off);
  }
  static x86::Mem slot(int16_t s) { return x86::dword_ptr(x86::rsp, kSlotFlat + 4 * s); }

  // The fall-through at `at` is `return 0`: the rest of the mask need not be kept.
  bool rest_rejects(size_t at) const {
    return at < prog_.size() && !plan_.dead[at] && plan_.fuse[at] == Fuse::kConstExit &&
           prog_[at].imm == 0;
  }

  // A write to eBPF register `dst` by `body`, undone by a cmov when the mask is 0 if the plan
  // says another path may still read the old value.
  template <typename Body>
  void predicated(size_t at, uint8_t dst, bool via_memory, Body&& body) {
    if (!flat_.pred[at]) {
      body();
      return;
    }
    const x86::Gp d = e_.reg_[dst].r64();
    const x86::Mem save = x86::qword_ptr(x86::rsp, kSlotSave);
    via_memory ? a_.mov(save, d) : a_.mov(x86::r11, d);
    body();
    a_.test(kP, kP);
    via_memory ? a_.cmov(x86::CondCode::kZ, d, save) : a_.cmov(x86::CondCode::kZ, d, x86::r11);
  }

  // Stack stores (the plan allows 32- and 64-bit ones to r10) keep the old bytes off the path.
  void store(const isa::Insn& i, bool x) {
    const bool wide = (i.opcode & 0x18) == isa::kSizeDW;
    const x86::Mem m = e_.mem(i, i.dst);
    const x86::Gp t = wide ? x86::Gp(x86::r11) : x86::Gp(x86::r11d);
    if (x)
      a_.mov(t, wide ? x86::Gp(e_.reg_[i.src].r64()) : x86::Gp(e_.reg_[i.src].r32()));
    else if (wide)
      a_.mov(t, Imm(static_cast<int64_t>(i.imm)));
    else
      a_.mov(t, Imm(static_cast<int32_t>(i.imm)));
    a_.test(kP, kP);
    a_.cmov(x86::CondCode::kZ, t, m);
    a_.mov(m, t);
  }

  // With the flags of a compare set: the share of the mask for which `cc` holds goes to jump
  // target `t`, the rest stays in p (unless the fall-through returns 0 anyway).
  //
  // With one accept value, a path that has accepted cannot un-accept, so the masks keep the
  // invariant "accepted => p = all ones" and off-path p takes the accumulator instead of 0:
  // then an accept edge is a single cmov (acc = c ? p : acc) and a reject edge too
  // (p = c ? acc : p). Blocks after an accept may then run as if reached; they can only
  // accept again.
  void edge(x86::CondCode cc, size_t t, bool rest_rejects) {
    const FlatTarget to = flat_target(prog_, plan_, t);
    const bool one = flat_.one_accept;
    const x86::Gp off = one ? kAcc : kZ;
    if (to.kind == FlatTarget::Kind::kReturnK && to.k == 0) {
      a_.cmov(cc, kP, off);
      return;
    }
    if (one && to.kind == FlatTarget::Kind::kReturnK) {
      a_.cmov(cc, kAcc, kP);
      return;
    }
    if (rest_rejects) {
      a_.cmov(x86::negateCond(cc), kP, off);
      take(to, kP);
      return;
    }
    a_.mov(kT, off);  // mov keeps the flags
    a_.cmov(cc, kT, kP);
    one ? a_.cmov(cc, kP, kAcc) : a_.xor_(kP, kT);
    take(to, kT);
  }

  // Sends edge mask `m` (clobbered) to its target: a return adds its value to the result, a
  // block's slot collects it.
  void take(const FlatTarget& to, const x86::Gp& m) {
    switch (to.kind) {
      case FlatTarget::Kind::kReturnK:
        if (to.k == 0) return;
        if (!flat_.one_accept) a_.and_(m, Imm(to.k));
        a_.or_(kAcc, m);
        return;
      case FlatTarget::Kind::kReturnA:
        a_.and_(m, x86::eax);
        a_.or_(kAcc, m);
        return;
      case FlatTarget::Kind::kBlock: {
        const int16_t s = flat_.slot[to.at];
        if (!slot_set_[s]) {
          a_.mov(slot(s), m);
          slot_set_[s] = true;
        } else {
          a_.or_(slot(s), m);
        }
        return;
      }
    }
  }

  // The converter's LD IND (filter_jit_plan.cc) with a clamped address: when x + k + size is
  // past caplen the load reads the frame instead and the mask takes the failure edge.
  void load_ind(size_t a) {
    const isa::Insn* s = &prog_[a];
    const x86::Gp t = e_.reg_[s[0].dst], x = e_.reg_[s[0].src], r4 = e_.reg_[s[2].dst],
                  r5 = e_.reg_[s[4].src], d = e_.reg_[s[5].src];
    a_.lea(t.r32(), x86::ptr(x.r64(), s[1].imm));
    a_.lea(r4.r64(), x86::ptr(t.r64(), s[3].imm));
    a_.add(t.r64(), d.r64());
    a_.cmp(r4.r64(), r5.r64());
    a_.lea(r4.r64(), x86::ptr(x86::rsp));  // lea keeps the flags
    a_.cmov(x86::CondCode::kA, t.r64(), r4.r64());
    edge(x86::CondCode::kA, a + 5 + s[4].off, false);
    const uint8_t size = s[6].opcode & 0x18;
    const x86::Mem m = size == isa::kSizeW   ? x86::dword_ptr(t.r64())
                       : size == isa::kSizeH ? x86::word_ptr(t.r64())
                                             : x86::byte_ptr(t.r64());
    predicated(a, s[6].dst, false,
               [&] { e_.load(size, e_.reg_[s[6].dst], m, plan_.length[a] == 8); });
  }

  Emitter& e_;
  x86::Assembler& a_;
  std::span<const isa::Insn> prog_;
  const FilterJitPlan& plan_;
  const FlatPlan& flat_;
  std::vector<bool> slot_set_;
};

void Emitter::emit_flat() {
  FlatEmitter(*this).emit();
}

}  // namespace

bool filter_jit_supports(std::span<const isa::Insn> prog) {
  return check(prog).ok();
}

Result<std::unique_ptr<FilterJit>> FilterJit::compile(std::span<const isa::Insn> prog,
                                                      FilterJitMode mode) {
  BOMBUS_TRY(check(prog));
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  AsmErrors errors;
  code.setErrorHandler(&errors);
  x86::Assembler a(&code);
  const FilterJitPlan plan = plan_filter_jit(prog);
  const CompareFold fold = fold_packet_compares(prog, plan);
  FlatPlan flat;
  if (mode == FilterJitMode::kFlat) flat = plan_flat(prog, plan);
  Emitter(prog, plan, fold, flat, a).emit();
  BOMBUS_ASSIGN_OR_RETURN(PlacedCode placed, place_code(code, errors, "lean filter JIT"));
  std::unique_ptr<FilterJit> j(new FilterJit());
  j->flat_ = flat.ok;
  j->flat_min_caplen_ = flat.min_caplen;
  j->fn_ = reinterpret_cast<Fn>(const_cast<void*>(placed.entry()));
  j->code_ = std::move(placed);
  return j;
}

EbpfEngineFactory lean_jit_ebpf_engine() {
  return [](std::vector<isa::Insn> prog) -> Result<EbpfRunner> {
    if (!filter_jit_supports(prog)) return interp_ebpf_engine()(std::move(prog));
    BOMBUS_ASSIGN_OR_RETURN(auto jit, FilterJit::compile(prog));
    std::shared_ptr<FilterJit> shared(std::move(jit));
    return EbpfRunner([shared](const void* ctx) -> uint64_t { return shared->run(ctx); });
  };
}

}  // namespace bombus::net
