// cBPF -> eBPF conversion (see cbpf_to_ebpf.h for the register and context contract). Each
// classic instruction becomes a short eBPF sequence; jumps are emitted with symbolic targets
// (a classic pc, or the shared "return 0" tail) and patched once every sequence is placed.
#include "net/cbpf_to_ebpf.h"

#include <fmt/format.h>

#include <limits>

namespace bombus::net {

using namespace cbpf;
using isa::Insn;

namespace {

constexpr uint8_t R0 = 0, R1 = 1, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
using converted::kRegA, converted::kRegX, converted::kRegCtx, converted::kRegData,
    converted::kRegCaplen, converted::kRegTmp, converted::kScratchBase;

Insn mk(uint8_t opcode, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  Insn i;
  i.opcode = opcode;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

class Converter {
 public:
  Converter(std::span<const CbpfInsn> prog, CbpfMode mode) : prog_(prog), mode_(mode) {}

  Result<std::vector<Insn>> run() {
    BOMBUS_TRY(check_cbpf(prog_, mode_));
    first_.assign(prog_.size(), 0);
    emit(mk(0xbf, kRegCtx, R1, 0, 0));  // r6 = r1
    emit(mk(0xb4, kRegA, 0, 0, 0));     // A = 0
    emit(mk(0xb4, kRegX, 0, 0, 0));     // X = 0
    if (mode_ != CbpfMode::kSeccomp) {
      emit(mk(0x79, kRegData, kRegCtx, kCtxOffData, 0));
      emit(mk(0x61, kRegCaplen, kRegCtx, kCtxOffCaplen, 0));
    }
    for (pc_ = 0; pc_ < prog_.size(); ++pc_) {
      first_[pc_] = out_.size();
      BOMBUS_TRY(convert(prog_[pc_]));
    }
    ret0_ = out_.size();
    emit(mk(0xb4, kRegA, 0, 0, 0));
    emit(mk(0x95, 0, 0, 0, 0));
    for (const Fixup& f : fixups_) {
      int64_t target =
          f.to_ret0 ? static_cast<int64_t>(ret0_) : static_cast<int64_t>(first_[f.cbpf_pc]);
      int64_t off = target - static_cast<int64_t>(f.at) - 1;
      if (off > std::numeric_limits<int16_t>::max() || off < std::numeric_limits<int16_t>::min()) {
        Location where;
        where.insn = static_cast<int64_t>(f.from_pc);
        return make_error(Errc::kTooBig,
                          fmt::format("converted jump spans {} eBPF instructions, more than a "
                                      "16-bit offset holds",
                                      off),
                          where);
      }
      out_[f.at].off = static_cast<int16_t>(off);
    }
    return std::move(out_);
  }

 private:
  struct Fixup {
    size_t at;
    bool to_ret0;
    size_t cbpf_pc;
    size_t from_pc;
  };

  void emit(Insn i) { out_.push_back(i); }
  void jump_to_pc(Insn i, size_t target_pc) {
    fixups_.push_back({out_.size(), false, target_pc, pc_});
    emit(i);
  }
  void jump_to_ret0(Insn i) {
    fixups_.push_back({out_.size(), true, 0, pc_});
    emit(i);
  }

  // dst = big-endian `bytes` at data + off (a constant), returning 0 when out of bounds.
  void load_abs(uint8_t dst, uint64_t off, int bytes) {
    if (off + bytes > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      jump_to_ret0(mk(0x05, 0, 0, 0, 0));  // can never be inside a capture
      return;
    }
    jump_to_ret0(mk(0xa5, kRegCaplen, 0, 0, static_cast<int32_t>(off + bytes)));  // caplen < end
    uint8_t base = kRegData;
    int16_t disp = 0;
    if (off <= static_cast<uint64_t>(std::numeric_limits<int16_t>::max())) {
      disp = static_cast<int16_t>(off);
    } else {
      emit(mk(0xbf, kRegTmp, kRegData, 0, 0));
      emit(mk(0x07, kRegTmp, 0, 0, static_cast<int32_t>(off)));
      base = kRegTmp;
    }
    load_and_swap(dst, base, disp, bytes);
  }

  void load_and_swap(uint8_t dst, uint8_t base, int16_t disp, int bytes) {
    uint8_t ldx = bytes == 4 ? 0x61 : bytes == 2 ? 0x69 : 0x71;
    emit(mk(ldx, dst, base, disp, 0));
    if (bytes > 1) emit(mk(0xdc, dst, 0, 0, bytes * 8));  // to big-endian = swap on LE hosts
  }

  Status ancillary(uint32_t which) {
    int field = -1;
    switch (which) {
      case kAdProtocol:
        field = 0;
        break;
      case kAdPktType:
        field = 1;
        break;
      case kAdIfIndex:
        field = 2;
        break;
      case kAdMark:
        field = 3;
        break;
      case kAdQueue:
        field = 4;
        break;
      case kAdHaType:
        field = 5;
        break;
      case kAdRxHash:
        field = 6;
        break;
      case kAdCpu:
        field = 7;
        break;
      case kAdVlanTag:
        field = 8;
        break;
      case kAdVlanTagPresent:
        field = 9;
        break;
      case kAdVlanTpid:
        field = 10;
        break;
      case kAdAluXorX:
        emit(mk(0xac, kRegA, kRegX, 0, 0));
        return {};
      default: {
        Location where;
        where.insn = static_cast<int64_t>(pc_);
        return make_error(Errc::kUnsupported,
                          fmt::format("ancillary load '{}' (SKF_AD_OFF + {}) needs a kernel "
                                      "helper and is not supported",
                                      ancillary_name(which), which),
                          where);
      }
    }
    emit(mk(0x61, kRegA, kRegCtx, static_cast<int16_t>(kCtxOffMeta + 4 * field), 0));
    return {};
  }

  Status convert(const CbpfInsn& i) {
    const int bytes = size(i.code) == kW ? 4 : size(i.code) == kH ? 2 : 1;
    switch (i.code) {
      case kLd | kW | kAbs:
      case kLd | kH | kAbs:
      case kLd | kB | kAbs: {
        uint32_t which = 0;
        if (is_ancillary(i, &which)) return ancillary(which);
        if (mode_ == CbpfMode::kSeccomp) {  // checked: k < 64, aligned, W only
          emit(mk(0x61, kRegA, kRegCtx, static_cast<int16_t>(i.k), 0));
          return {};
        }
        if (i.k >= kLlOff && i.k < kNetOff) {
          load_abs(kRegA, i.k - kLlOff, bytes);  // link layer = start of the frame
        } else if (i.k >= kNetOff) {
          jump_to_ret0(mk(0x05, 0, 0, 0, 0));  // network-header-relative loads: not modelled
        } else {
          load_abs(kRegA, i.k, bytes);
        }
        return {};
      }
      case kLd | kW | kInd:
      case kLd | kH | kInd:
      case kLd | kB | kInd:
        emit(mk(0xbc, kRegTmp, kRegX, 0, 0));                      // w8 = X
        emit(mk(0x04, kRegTmp, 0, 0, static_cast<int32_t>(i.k)));  // w8 += k (wraps)
        emit(mk(0xbf, R4, kRegTmp, 0, 0));                         // r4 = r8
        emit(mk(0x07, R4, 0, 0, bytes));                           // r4 += size
        jump_to_ret0(mk(0x2d, R4, kRegCaplen, 0, 0));              // if r4 > caplen: ret 0
        emit(mk(0x0f, kRegTmp, kRegData, 0, 0));                   // r8 += data
        load_and_swap(kRegA, kRegTmp, 0, bytes);
        return {};
      case kLdx | kB | kMsh:
        if (i.k >= static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
          jump_to_ret0(mk(0x05, 0, 0, 0, 0));
          return {};
        }
        load_abs(kRegX, i.k, 1);
        emit(mk(0x54, kRegX, 0, 0, 0xf));
        emit(mk(0x64, kRegX, 0, 0, 2));
        return {};
      case kLd | kW | kLen:
      case kLdx | kW | kLen: {
        uint8_t dst = cls(i.code) == kLd ? kRegA : kRegX;
        if (mode_ == CbpfMode::kSeccomp)
          emit(mk(0xb4, dst, 0, 0, 64));
        else
          emit(mk(0x61, dst, kRegCtx, kCtxOffWireLen, 0));
        return {};
      }
      case kLd | kImm:
        emit(mk(0xb4, kRegA, 0, 0, static_cast<int32_t>(i.k)));
        return {};
      case kLdx | kImm:
        emit(mk(0xb4, kRegX, 0, 0, static_cast<int32_t>(i.k)));
        return {};
      case kLd | kMem:
        emit(mk(0x61, kRegA, R10, scratch(i.k), 0));
        return {};
      case kLdx | kMem:
        emit(mk(0x61, kRegX, R10, scratch(i.k), 0));
        return {};
      case kSt:
        emit(mk(0x63, R10, kRegA, scratch(i.k), 0));
        return {};
      case kStx:
        emit(mk(0x63, R10, kRegX, scratch(i.k), 0));
        return {};
      case kMisc | kTax:
        emit(mk(0xbc, kRegX, kRegA, 0, 0));
        return {};
      case kMisc | kTxa:
        emit(mk(0xbc, kRegA, kRegX, 0, 0));
        return {};
      case kRet | kK:
        emit(mk(0xb4, kRegA, 0, 0, static_cast<int32_t>(i.k)));
        emit(mk(0x95, 0, 0, 0, 0));
        return {};
      case kRet | kA:
        emit(mk(0x95, 0, 0, 0, 0));
        return {};
      case kAlu | kNeg:
        emit(mk(0x84, kRegA, 0, 0, 0));
        return {};
      case kJmp | kJa:
        if (i.k != 0)  // signed: only kLibpcap programs jump backward
          jump_to_pc(mk(0x05, 0, 0, 0, 0), static_cast<size_t>(static_cast<int64_t>(pc_) + 1 +
                                                               static_cast<int32_t>(i.k)));
        return {};
      default:
        break;
    }
    if (cls(i.code) == kAlu) {
      // The classic and eBPF ALU operation fields coincide; ALU class = 32-bit ops on A.
      if (src(i.code) == kX) {
        if (op(i.code) == kDiv || op(i.code) == kMod)
          jump_to_ret0(mk(0x16, kRegX, 0, 0, 0));  // if w7 == 0: return 0
        emit(mk(static_cast<uint8_t>(0x04 | op(i.code) | 0x08), kRegA, kRegX, 0, 0));
      } else {
        emit(mk(static_cast<uint8_t>(0x04 | op(i.code)), kRegA, 0, 0, static_cast<int32_t>(i.k)));
      }
      return {};
    }
    if (is_cond_jump(i.code)) {
      size_t t = pc_ + 1 + i.jt, f = pc_ + 1 + i.jf;
      const bool x = src(i.code) == kX;
      auto jcc = [&](uint16_t eop) {
        return mk(static_cast<uint8_t>(0x06 | eop | (x ? 0x08 : 0)), kRegA, x ? kRegX : 0, 0,
                  x ? 0 : static_cast<int32_t>(i.k));
      };
      if (t == f) {
        if (i.jt != 0) jump_to_pc(mk(0x05, 0, 0, 0, 0), t);
        return {};
      }
      uint16_t inverse = 0;
      switch (op(i.code)) {
        case kJeq:
          inverse = 0x50;
          break;  // jne
        case kJgt:
          inverse = 0xb0;
          break;  // jle
        case kJge:
          inverse = 0xa0;
          break;  // jlt
        default:
          break;  // jset has no inverse
      }
      if (i.jt == 0 && inverse != 0) {
        jump_to_pc(jcc(inverse), f);
        return {};
      }
      jump_to_pc(jcc(op(i.code)), t);
      if (i.jf != 0) jump_to_pc(mk(0x05, 0, 0, 0, 0), f);
      return {};
    }
    Location where;
    where.insn = static_cast<int64_t>(pc_);
    return make_error(Errc::kInvalid, fmt::format("cannot convert code {:#06x}", i.code), where);
  }

  static int16_t scratch(uint32_t k) { return static_cast<int16_t>(kScratchBase + 4 * k); }

  std::span<const CbpfInsn> prog_;
  CbpfMode mode_;
  size_t pc_ = 0;
  size_t ret0_ = 0;
  std::vector<size_t> first_;
  std::vector<Insn> out_;
  std::vector<Fixup> fixups_;
};

}  // namespace

Result<std::vector<isa::Insn>> convert_cbpf(std::span<const CbpfInsn> prog, CbpfMode mode) {
  return Converter(prog, mode).run();
}

}  // namespace bombus::net
