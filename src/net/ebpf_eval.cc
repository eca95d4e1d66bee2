// The converted-filter evaluator: a switch over the opcode byte, registers as u64, host
// addresses for memory (the same ABI as vm's engines: r1 = ctx pointer, r10 = stack top).
#include "net/ebpf_eval.h"

#include <cstring>

namespace bombus::net {

namespace {

template <typename T>
T ld(uint64_t addr) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof(T));
  return v;
}
template <typename T>
void st(uint64_t addr, T v) {
  std::memcpy(reinterpret_cast<void*>(addr), &v, sizeof(T));
}

bool cond(uint8_t op, uint64_t a, uint64_t b, bool is32) {
  if (is32) {
    a = static_cast<uint32_t>(a);
    b = static_cast<uint32_t>(b);
  }
  int64_t sa = is32 ? static_cast<int32_t>(a) : static_cast<int64_t>(a);
  int64_t sb = is32 ? static_cast<int32_t>(b) : static_cast<int64_t>(b);
  switch (op) {
    case 0x10:
      return a == b;
    case 0x20:
      return a > b;
    case 0x30:
      return a >= b;
    case 0x40:
      return (a & b) != 0;
    case 0x50:
      return a != b;
    case 0x60:
      return sa > sb;
    case 0x70:
      return sa >= sb;
    case 0xa0:
      return a < b;
    case 0xb0:
      return a <= b;
    case 0xc0:
      return sa < sb;
    case 0xd0:
      return sa <= sb;
  }
  return false;
}

uint64_t alu64(uint8_t op, uint64_t a, uint64_t b) {
  switch (op) {
    case 0x00:
      return a + b;
    case 0x10:
      return a - b;
    case 0x20:
      return a * b;
    case 0x30:
      return b ? a / b : 0;
    case 0x40:
      return a | b;
    case 0x50:
      return a & b;
    case 0x60:
      return a << (b & 63);
    case 0x70:
      return a >> (b & 63);
    case 0x80:
      return 0 - a;
    case 0x90:
      return b ? a % b : a;
    case 0xa0:
      return a ^ b;
    case 0xb0:
      return b;
    case 0xc0:
      return static_cast<uint64_t>(static_cast<int64_t>(a) >> (b & 63));
  }
  return a;
}

uint32_t alu32(uint8_t op, uint32_t a, uint32_t b) {
  switch (op) {
    case 0x00:
      return a + b;
    case 0x10:
      return a - b;
    case 0x20:
      return a * b;
    case 0x30:
      return b ? a / b : 0;
    case 0x40:
      return a | b;
    case 0x50:
      return a & b;
    case 0x60:
      return a << (b & 31);
    case 0x70:
      return a >> (b & 31);
    case 0x80:
      return 0 - a;
    case 0x90:
      return b ? a % b : a;
    case 0xa0:
      return a ^ b;
    case 0xb0:
      return b;
    case 0xc0:
      return static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31));
  }
  return a;
}

uint64_t byteswap(uint64_t v, int bits, bool to_be) {
  // Hosts are little-endian (x86-64): "le" truncates, "be" swaps and truncates.
  switch (bits) {
    case 16:
      return to_be ? __builtin_bswap16(static_cast<uint16_t>(v)) : static_cast<uint16_t>(v);
    case 32:
      return to_be ? __builtin_bswap32(static_cast<uint32_t>(v)) : static_cast<uint32_t>(v);
    default:
      return to_be ? __builtin_bswap64(v) : v;
  }
}

}  // namespace

bool ebpf_subset_supports(std::span<const isa::Insn> prog) {
  for (const isa::Insn& i : prog) {
    const isa::OpInfo& info = isa::op_info(i.opcode);
    switch (info.kind) {
      case isa::OpKind::AluK:
      case isa::OpKind::AluX:
      case isa::OpKind::Neg:
      case isa::OpKind::End:
      case isa::OpKind::Ldx:
      case isa::OpKind::St:
      case isa::OpKind::Stx:
      case isa::OpKind::Ja:
      case isa::OpKind::JccK:
      case isa::OpKind::JccX:
      case isa::OpKind::Exit:
        if ((info.kind == isa::OpKind::AluK || info.kind == isa::OpKind::AluX) && i.off != 0)
          return false;  // sdiv/smod/movsx
        break;
      default:
        return false;
    }
  }
  return true;
}

uint64_t eval_ebpf_subset(std::span<const isa::Insn> prog, const void* ctx) {
  alignas(16) uint8_t stack[isa::kStackSize];
  uint64_t r[isa::kNumRegs] = {};
  r[1] = reinterpret_cast<uint64_t>(ctx);
  r[10] = reinterpret_cast<uint64_t>(stack + sizeof(stack));
  const size_t n = prog.size();
  for (size_t pc = 0; pc < n; ++pc) {
    const isa::Insn& i = prog[pc];
    const uint8_t cls = i.opcode & 0x07, op = i.opcode & 0xf0;
    const bool x = (i.opcode & 0x08) != 0;
    switch (cls) {
      case isa::kClassAlu64:
        r[i.dst] =
            alu64(op, r[i.dst], x ? r[i.src] : static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
        break;
      case isa::kClassAlu:
        if (op == 0xd0) {
          r[i.dst] = byteswap(r[i.dst], i.imm, x);
        } else {
          r[i.dst] = alu32(op, static_cast<uint32_t>(r[i.dst]),
                           x ? static_cast<uint32_t>(r[i.src]) : static_cast<uint32_t>(i.imm));
        }
        break;
      case isa::kClassLdx: {
        uint64_t a = r[i.src] + i.off;
        switch (i.opcode & 0x18) {
          case isa::kSizeB:
            r[i.dst] = ld<uint8_t>(a);
            break;
          case isa::kSizeH:
            r[i.dst] = ld<uint16_t>(a);
            break;
          case isa::kSizeW:
            r[i.dst] = ld<uint32_t>(a);
            break;
          default:
            r[i.dst] = ld<uint64_t>(a);
            break;
        }
        break;
      }
      case isa::kClassSt:
      case isa::kClassStx: {
        uint64_t a = r[i.dst] + i.off;
        uint64_t v =
            cls == isa::kClassStx ? r[i.src] : static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        switch (i.opcode & 0x18) {
          case isa::kSizeB:
            st<uint8_t>(a, static_cast<uint8_t>(v));
            break;
          case isa::kSizeH:
            st<uint16_t>(a, static_cast<uint16_t>(v));
            break;
          case isa::kSizeW:
            st<uint32_t>(a, static_cast<uint32_t>(v));
            break;
          default:
            st<uint64_t>(a, v);
            break;
        }
        break;
      }
      case isa::kClassJmp:
      case isa::kClassJmp32:
        if (op == 0x90) return r[0];  // exit
        if (op == 0x00) {
          pc += i.off;
        } else if (cond(op, r[i.dst],
                        x ? r[i.src] : static_cast<uint64_t>(static_cast<int64_t>(i.imm)),
                        cls == isa::kClassJmp32)) {
          pc += i.off;
        }
        break;
      default:
        return r[0];
    }
  }
  return r[0];
}

}  // namespace bombus::net
