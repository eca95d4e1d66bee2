// lift_converted (cbpf_to_ebpf.h): convert_cbpf's socket-filter output read back as the classic
// program it expands. Pass 1 cuts the eBPF into units, one per classic instruction, matching the
// converter's fixed sequences (the prologue first; a bounds check's jump to the shared `return
// 0` stays inside its unit); pass 2 turns each unit into its classic instruction, jumps mapped
// from eBPF targets (which must start a unit) to unit indexes. Classic instructions the
// converter drops (JA 0, a conditional jump with equal targets falling through) leave no unit;
// jumps to them land on the next unit, which is where they led.
#include <limits>

#include "net/cbpf_to_ebpf.h"

namespace bombus::net {
namespace {

using namespace cbpf;       // NOLINT: the opcode field constants
using namespace converted;  // NOLINT: the converter's registers
using isa::Insn;

struct Unit {
  size_t at = 0;   // first eBPF instruction
  CbpfInsn c;      // jt/jf/k of jumps filled in pass 2
  int64_t t = -1;  // eBPF targets of a jump (t: taken or JA; f: not taken), -1: next unit
  int64_t f = -1;
};

Error unsupported(size_t at, const char* why) {
  return make_error(Errc::kUnsupported, std::string("lifting converted eBPF: ") + why,
                    Location{.insn = static_cast<int64_t>(at)});
}

bool is(const Insn& i, uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return i.opcode == op && i.dst == dst && i.src == src && i.off == off && i.imm == imm;
}

class Lifter {
 public:
  explicit Lifter(std::span<const Insn> e) : e_(e) {}

  Result<std::vector<CbpfInsn>> run() {
    const size_t n = e_.size();
    if (n < 5 || !is(e_[0], 0xbf, kRegCtx, 1, 0, 0) || !is(e_[1], 0xb4, kRegA, 0, 0, 0) ||
        !is(e_[2], 0xb4, kRegX, 0, 0, 0) || !is(e_[3], 0x79, kRegData, kRegCtx, kCtxOffData, 0) ||
        !is(e_[4], 0x61, kRegCaplen, kRegCtx, kCtxOffCaplen, 0))
      return unsupported(0, "not the converter's socket-filter prologue");
    unit_of_.assign(n + 1, -1);
    targeted_.assign(n + 1, false);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t cls = e_[i].opcode & 7;
      if ((cls == 5 || cls == 6) && e_[i].opcode != 0x95 && dest(i) >= 0 &&
          dest(i) <= static_cast<int64_t>(n))
        targeted_[static_cast<size_t>(dest(i))] = true;
    }
    for (size_t at = 5; at < n;) {
      Unit u;
      u.at = at;
      BOMBUS_ASSIGN_OR_RETURN(const size_t len, match(at, u));
      unit_of_[at] = static_cast<int64_t>(units_.size());
      units_.push_back(u);
      at += len;
    }
    std::vector<CbpfInsn> out;
    for (size_t k = 0; k < units_.size(); ++k) {
      Unit& u = units_[k];
      if ((u.c.code & 7) == kJmp) {
        BOMBUS_ASSIGN_OR_RETURN(const size_t t, target(u.t, k, u.at));
        if ((u.c.code & 0xf0) == kJa) {
          u.c.k = static_cast<uint32_t>(t - k - 1);
        } else {
          BOMBUS_ASSIGN_OR_RETURN(const size_t f, target(u.f, k, u.at));
          if (t - k - 1 > 255 || f - k - 1 > 255) return unsupported(u.at, "jump too long");
          u.c.jt = static_cast<uint8_t>(t - k - 1);
          u.c.jf = static_cast<uint8_t>(f - k - 1);
        }
      }
      out.push_back(u.c);
    }
    return out;
  }

 private:
  // The unit an eBPF jump target starts (-1: the next unit).
  Result<size_t> target(int64_t t, size_t k, size_t at) const {
    if (t < 0) return k + 1;
    if (t >= static_cast<int64_t>(unit_of_.size()) || unit_of_[static_cast<size_t>(t)] < 0 ||
        unit_of_[static_cast<size_t>(t)] <= static_cast<int64_t>(k))
      return unsupported(at, "a jump that does not go forward to a classic instruction");
    return static_cast<size_t>(unit_of_[static_cast<size_t>(t)]);
  }

  const Insn* at(size_t i) const { return i < e_.size() ? &e_[i] : nullptr; }
  int64_t dest(size_t i) const { return static_cast<int64_t>(i) + 1 + e_[i].off; }
  bool jumps_to_ret0(size_t i) const {  // ret0 is the last `w0 = 0; exit`
    const int64_t t = dest(i);
    return t == static_cast<int64_t>(e_.size()) - 2 &&
           is(e_[e_.size() - 2], 0xb4, kRegA, 0, 0, 0) && is(e_[e_.size() - 1], 0x95, 0, 0, 0, 0);
  }

  // ldx{w,h,b} dst = [base + 0 or disp] and its byte swap: the size in bytes, or 0.
  int load_swap(size_t i, uint8_t dst, uint8_t base, int16_t disp, size_t* len) const {
    const Insn* l = at(i);
    if (!l || l->dst != dst || l->src != base || l->off != disp || l->imm != 0) return 0;
    const int bytes = l->opcode == 0x61 ? 4 : l->opcode == 0x69 ? 2 : l->opcode == 0x71 ? 1 : 0;
    if (bytes == 0) return 0;
    if (bytes > 1) {
      const Insn* b = at(i + 1);
      if (!b || !is(*b, 0xdc, dst, 0, 0, bytes * 8)) return 0;
    }
    *len = bytes > 1 ? 2 : 1;
    return bytes;
  }

  static uint16_t size_code(int bytes) { return bytes == 4 ? kW : bytes == 2 ? kH : kB; }

  // One unit starting at `i`: its length.
  Result<size_t> match(size_t i, Unit& u) {
    const Insn& a = e_[i];
    const Insn* b = at(i + 1);
    // LD ABS / LDX MSH: if caplen < k + size: return 0; load (+ swap) (+ msh).
    if (a.opcode == 0xa5 && a.dst == kRegCaplen && jumps_to_ret0(i) && b && b->src == kRegData) {
      size_t len = 0;
      const int bytes = load_swap(i + 1, b->dst, kRegData, b->off, &len);
      if (bytes && b->off >= 0 && a.imm == b->off + bytes) {
        if (b->dst == kRegA) {
          u.c = {static_cast<uint16_t>(kLd | size_code(bytes) | kAbs), 0, 0,
                 static_cast<uint32_t>(b->off)};
          return 1 + len;
        }
        const Insn* m1 = at(i + 2);
        const Insn* m2 = at(i + 3);
        if (b->dst == kRegX && bytes == 1 && m1 && m2 && is(*m1, 0x54, kRegX, 0, 0, 0xf) &&
            is(*m2, 0x64, kRegX, 0, 0, 2)) {
          u.c = {static_cast<uint16_t>(kLdx | kB | kMsh), 0, 0, static_cast<uint32_t>(b->off)};
          return 4;
        }
      }
      return unsupported(i, "a bounds check not followed by the converter's load");
    }
    // LD IND: w8 = w7; w8 += k; r4 = r8; r4 += size; if r4 > caplen: ret 0; r8 += data; load.
    if (is(a, 0xbc, kRegTmp, kRegX, 0, 0)) {
      const Insn* add = at(i + 1);
      const Insn* cp = at(i + 2);
      const Insn* sz = at(i + 3);
      const Insn* chk = at(i + 4);
      const Insn* base = at(i + 5);
      size_t len = 0;
      if (add && cp && sz && chk && base && add->opcode == 0x04 && add->dst == kRegTmp &&
          add->src == 0 && add->off == 0 && is(*cp, 0xbf, kRegLen, kRegTmp, 0, 0) &&
          sz->opcode == 0x07 && sz->dst == kRegLen && sz->src == 0 && sz->off == 0 &&
          is(*chk, 0x2d, kRegLen, kRegCaplen, chk->off, 0) && jumps_to_ret0(i + 4) &&
          is(*base, 0x0f, kRegTmp, kRegData, 0, 0)) {
        const int bytes = load_swap(i + 6, kRegA, kRegTmp, 0, &len);
        if (bytes && sz->imm == bytes) {
          u.c = {static_cast<uint16_t>(kLd | size_code(bytes) | kInd), 0, 0,
                 static_cast<uint32_t>(add->imm)};
          return 6 + len;
        }
      }
      return unsupported(i, "not the converter's indirect load");
    }
    // RET K (w0 = k; exit), RET A (exit), LD/LDX IMM.
    if (a.opcode == 0xb4 && a.src == 0 && a.off == 0 && (a.dst == kRegA || a.dst == kRegX)) {
      if (a.dst == kRegA && b && is(*b, 0x95, 0, 0, 0, 0)) {
        u.c = {static_cast<uint16_t>(kRet | kK), 0, 0, static_cast<uint32_t>(a.imm)};
        return 2;
      }
      u.c = {static_cast<uint16_t>((a.dst == kRegA ? kLd : kLdx) | kImm), 0, 0,
             static_cast<uint32_t>(a.imm)};
      return 1;
    }
    if (is(a, 0x95, 0, 0, 0, 0)) {
      u.c = {static_cast<uint16_t>(kRet | kA), 0, 0, 0};
      return 1;
    }
    // LD/LDX LEN and M[], ST/STX, TAX/TXA.
    if (a.opcode == 0x61 && (a.dst == kRegA || a.dst == kRegX) && a.imm == 0) {
      const uint16_t cls = a.dst == kRegA ? kLd : kLdx;
      if (a.src == kRegCtx && a.off == kCtxOffWireLen) {
        u.c = {static_cast<uint16_t>(cls | kW | kLen), 0, 0, 0};
        return 1;
      }
      if (a.src == 10 && a.off >= kScratchBase && a.off < 0 && (a.off - kScratchBase) % 4 == 0) {
        u.c = {static_cast<uint16_t>(cls | kMem), 0, 0,
               static_cast<uint32_t>((a.off - kScratchBase) / 4)};
        return 1;
      }
      return unsupported(i, "a context load other than the wire length (ancillary data)");
    }
    if (a.opcode == 0x63 && a.dst == 10 && (a.src == kRegA || a.src == kRegX) && a.imm == 0 &&
        a.off >= kScratchBase && a.off < 0 && (a.off - kScratchBase) % 4 == 0) {
      u.c = {static_cast<uint16_t>(a.src == kRegA ? kSt : kStx), 0, 0,
             static_cast<uint32_t>((a.off - kScratchBase) / 4)};
      return 1;
    }
    if (is(a, 0xbc, kRegX, kRegA, 0, 0) || is(a, 0xbc, kRegA, kRegX, 0, 0)) {
      u.c = {static_cast<uint16_t>(kMisc | (a.dst == kRegX ? kTax : kTxa)), 0, 0, 0};
      return 1;
    }
    // ALU: A op= K, A op= X (division by X behind `if w7 == 0: return 0`), A = -A.
    if (is(a, 0x84, kRegA, 0, 0, 0)) {
      u.c = {static_cast<uint16_t>(kAlu | kNeg), 0, 0, 0};
      return 1;
    }
    const bool zero_check = is(a, 0x16, kRegX, 0, a.off, 0) && jumps_to_ret0(i);
    const Insn& alu = zero_check && b ? *b : a;
    if ((alu.opcode & 7) == 4 && alu.dst == kRegA && alu.off == 0 && (alu.opcode & 0xf0) <= kXor &&
        (alu.opcode & 0xf0) != kNeg) {
      const uint16_t op = alu.opcode & 0xf0;
      const bool by_x = alu.opcode & 0x08;
      if (by_x != (alu.src == kRegX) || (!by_x && alu.src != 0) || (by_x && alu.imm != 0))
        return unsupported(i, "an ALU operation not on A");
      if (by_x && (op == kDiv || op == kMod) != zero_check)
        return unsupported(i, "division by X without the converter's zero check");
      u.c = {static_cast<uint16_t>(kAlu | op | (by_x ? kX : kK)), 0, 0,
             static_cast<uint32_t>(alu.imm)};
      return zero_check ? 2 : 1;
    }
    // Jumps: ja; jcc (+ ja for the not-taken side); an inverted jcc when jt is 0.
    if (a.opcode == 0x05 && a.dst == 0 && a.src == 0 && a.imm == 0) {
      u.c = {static_cast<uint16_t>(kJmp | kJa), 0, 0, 0};
      u.t = dest(i);
      return 1;
    }
    if ((a.opcode & 7) == 6 && a.dst == kRegA) {
      const bool by_x = a.opcode & 0x08;
      if (by_x ? (a.src != kRegX || a.imm != 0) : a.src != 0)
        return unsupported(i, "a jump that does not compare A");
      const uint16_t eop = a.opcode & 0xf0;
      uint16_t op = 0;
      bool inverted = false;
      switch (eop) {
        case 0x10:
        case 0x20:
        case 0x30:
        case 0x40:
          op = eop;  // jeq, jgt, jge, jset: the classic codes
          break;
        case 0x50:
          op = kJeq;  // jne
          inverted = true;
          break;
        case 0xb0:
          op = kJgt;  // jle
          inverted = true;
          break;
        case 0xa0:
          op = kJge;  // jlt
          inverted = true;
          break;
        default:
          return unsupported(i, "a jump kind the converter does not emit");
      }
      u.c = {static_cast<uint16_t>(kJmp | op | (by_x ? kX : kK)), 0, 0,
             static_cast<uint32_t>(a.imm)};
      if (inverted) {  // taken: the classic false side; falls through to the true side
        u.f = dest(i);
        return 1;
      }
      u.t = dest(i);
      // The not-taken side's ja, unless something else jumps to it (a classic JA of its own).
      if (b && b->opcode == 0x05 && b->dst == 0 && b->src == 0 && b->imm == 0 &&
          !targeted_[i + 1]) {
        u.f = dest(i + 1);
        return 2;
      }
      return 1;
    }
    return unsupported(i, "an instruction the converter does not emit");
  }

  std::span<const Insn> e_;
  std::vector<Unit> units_;
  std::vector<int64_t> unit_of_;  // eBPF index -> the unit starting there, or -1
  std::vector<bool> targeted_;    // some jump lands on this eBPF index
};

}  // namespace

Result<std::vector<CbpfInsn>> lift_converted(std::span<const isa::Insn> ebpf) {
  return Lifter(ebpf).run();
}

}  // namespace bombus::net
