// The eBPF instruction: the 8-byte wire format of struct bpf_insn, the uapi constants, and the
// opcode table (opcodes.def) turned into an enum and a 256-entry lookup of OpInfo.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace bombus::isa {

struct Insn {
  uint8_t opcode = 0;
  uint8_t dst : 4 = 0;
  uint8_t src : 4 = 0;
  int16_t off = 0;
  int32_t imm = 0;

  friend bool operator==(const Insn&, const Insn&) = default;
};
static_assert(sizeof(Insn) == 8);

// Instruction classes (low 3 bits).
inline constexpr uint8_t kClassLd = 0x00, kClassLdx = 0x01, kClassSt = 0x02, kClassStx = 0x03,
                         kClassAlu = 0x04, kClassJmp = 0x05, kClassJmp32 = 0x06, kClassAlu64 = 0x07;
// Size field (load/store).
inline constexpr uint8_t kSizeW = 0x00, kSizeH = 0x08, kSizeB = 0x10, kSizeDW = 0x18;
// Mode field (load/store).
inline constexpr uint8_t kModeImm = 0x00, kModeAbs = 0x20, kModeInd = 0x40, kModeMem = 0x60,
                         kModeMemsx = 0x80, kModeAtomic = 0xc0;
// Source bit (ALU/JMP).
inline constexpr uint8_t kSrcK = 0x00, kSrcX = 0x08;

// Atomic operations (imm of an atomic instruction).
inline constexpr int32_t kAtomicAdd = 0x00, kAtomicOr = 0x40, kAtomicAnd = 0x50, kAtomicXor = 0xa0,
                         kAtomicFetch = 0x01, kAtomicXchg = 0xe0 | 0x01,
                         kAtomicCmpxchg = 0xf0 | 0x01;

// lddw pseudo sources (src register of the first half).
inline constexpr uint8_t kPseudoMapFd = 1, kPseudoMapValue = 2, kPseudoBtfId = 3, kPseudoFunc = 4,
                         kPseudoMapIdx = 5, kPseudoMapIdxValue = 6;
// call sources.
inline constexpr uint8_t kPseudoCallHelper = 0, kPseudoCall = 1, kPseudoKfuncCall = 2;

inline constexpr int kNumRegs = 11;  // r0..r10
inline constexpr int kFramePointer = 10;
inline constexpr int kStackSize = 512;
inline constexpr int kMaxCallFrames = 8;
inline constexpr int kMaxTailCalls = 33;
// may_goto: fall-throughs one program run may take before every may_goto jumps (the kernel's
// BPF_MAX_LOOPS).
inline constexpr uint64_t kMaxLoops = 8 * 1024 * 1024;
// BPF_JCOND (0xe0) with src BPF_MAY_GOTO (0).
inline constexpr uint8_t kOpMayGoto = 0xe5;

enum class OpKind : uint8_t {
  kInvalid,
  AluK,
  AluX,
  Neg,
  End,
  Bswap,
  Ldx,
  Ldxsx,
  St,
  Stx,
  Atomic,
  Lddw,
  LdAbs,
  LdInd,
  Ja,
  Jal,
  JccK,
  JccX,
  Call,
  Callx,
  Exit,
  MayGoto,  // BPF_JMP | BPF_JCOND: bounded-loop escape (see opcodes.def)
};

enum class Op : uint8_t {
  kInvalid = 0,
#define BOMBUS_OP(ident, byte, kind, mnem, cop) ident,
#include "isa/opcodes.def"
  kCount,
};

struct OpInfo {
  Op op = Op::kInvalid;
  OpKind kind = OpKind::kInvalid;
  uint8_t opcode = 0;
  std::string_view mnemonic;  // bpf_conformance-style base mnemonic ("add32", "ldxw", "jeq")
  std::string_view c_op;      // kernel-log operator ("+=", "s>", ...)
};

namespace detail {
consteval std::array<OpInfo, 256> build_op_table() {
  std::array<OpInfo, 256> t{};
#define BOMBUS_OP(ident, byte, kind_, mnem, cop) \
  t[byte] = OpInfo{Op::ident, OpKind::kind_, byte, mnem, cop};
#include "isa/opcodes.def"
  return t;
}
}  // namespace detail

inline constexpr std::array<OpInfo, 256> kOpTable = detail::build_op_table();

inline const OpInfo& op_info(uint8_t opcode) {
  return kOpTable[opcode];
}
inline uint8_t insn_class(uint8_t opcode) {
  return opcode & 0x07;
}
inline uint8_t insn_size(uint8_t opcode) {
  return opcode & 0x18;
}
inline int size_bytes(uint8_t opcode) {
  switch (opcode & 0x18) {
    case kSizeW:
      return 4;
    case kSizeH:
      return 2;
    case kSizeB:
      return 1;
    default:
      return 8;
  }
}
inline bool is_lddw(const Insn& i) {
  return i.opcode == 0x18;
}

// Value of an lddw pair (low 32 bits in the first insn, high in the second).
inline uint64_t lddw_imm64(const Insn& first, const Insn& second) {
  return static_cast<uint32_t>(first.imm) |
         (static_cast<uint64_t>(static_cast<uint32_t>(second.imm)) << 32);
}

}  // namespace bombus::isa
