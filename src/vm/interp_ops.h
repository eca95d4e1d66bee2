// Internal to the interpreter: the list of pre-decoded operations (one per handler in the
// dispatch loop of interp_exec.cc, which create() in interp.cc selects), and the per-run machine
// state the loop works on. Variants the wire format selects through off/imm (sdiv, movsx, atomic
// kinds, byte-swap widths) are separate ops, so no handler decodes anything at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "isa/insn.h"
#include "vm/abi.h"
#include "vm/interp.h"

namespace bombus::vm::interp_detail {

// clang-format off
#define BOMBUS_INTERP_OPS(X)                                                              \
  X(ADD64K) X(ADD64X) X(SUB64K) X(SUB64X) X(MUL64K) X(MUL64X) X(DIV64K) X(DIV64X)        \
  X(SDIV64K) X(SDIV64X) X(MOD64K) X(MOD64X) X(SMOD64K) X(SMOD64X) X(OR64K) X(OR64X)       \
  X(AND64K) X(AND64X) X(LSH64K) X(LSH64X) X(RSH64K) X(RSH64X) X(ARSH64K) X(ARSH64X)       \
  X(XOR64K) X(XOR64X) X(MOV64K) X(MOV64X) X(MOVSX64B) X(MOVSX64H) X(MOVSX64W) X(NEG64)    \
  X(ADD32K) X(ADD32X) X(SUB32K) X(SUB32X) X(MUL32K) X(MUL32X) X(DIV32K) X(DIV32X)        \
  X(SDIV32K) X(SDIV32X) X(MOD32K) X(MOD32X) X(SMOD32K) X(SMOD32X) X(OR32K) X(OR32X)       \
  X(AND32K) X(AND32X) X(LSH32K) X(LSH32X) X(RSH32K) X(RSH32X) X(ARSH32K) X(ARSH32X)       \
  X(XOR32K) X(XOR32X) X(MOV32K) X(MOV32X) X(MOVSX32B) X(MOVSX32H) X(NEG32)                \
  X(BSWAP16) X(BSWAP32) X(BSWAP64) X(ZEXT16) X(ZEXT32) X(NOP)                             \
  X(LDXB) X(LDXH) X(LDXW) X(LDXDW) X(LDXSB) X(LDXSH) X(LDXSW)                             \
  X(PLDXB) X(PLDXH) X(PLDXW) X(PLDXDW) X(PLDXSB) X(PLDXSH) X(PLDXSW)                      \
  X(STB) X(STH) X(STW) X(STDW) X(STXB) X(STXH) X(STXW) X(STXDW)                           \
  X(AADD32) X(AOR32) X(AAND32) X(AXOR32) X(AFADD32) X(AFOR32) X(AFAND32) X(AFXOR32)       \
  X(AXCHG32) X(ACMPXCHG32)                                                                \
  X(AADD64) X(AOR64) X(AAND64) X(AXOR64) X(AFADD64) X(AFOR64) X(AFAND64) X(AFXOR64)       \
  X(AXCHG64) X(ACMPXCHG64)                                                                \
  X(LDDW) X(LDABSB) X(LDABSH) X(LDABSW) X(LDINDB) X(LDINDH) X(LDINDW)                     \
  X(JA) X(MAYGOTO)                                                                        \
  X(JEQK) X(JEQX) X(JGTK) X(JGTX) X(JGEK) X(JGEX) X(JSETK) X(JSETX) X(JNEK) X(JNEX)       \
  X(JSGTK) X(JSGTX) X(JSGEK) X(JSGEX) X(JLTK) X(JLTX) X(JLEK) X(JLEX) X(JSLTK) X(JSLTX)   \
  X(JSLEK) X(JSLEX)                                                                       \
  X(JEQ32K) X(JEQ32X) X(JGT32K) X(JGT32X) X(JGE32K) X(JGE32X) X(JSET32K) X(JSET32X)       \
  X(JNE32K) X(JNE32X) X(JSGT32K) X(JSGT32X) X(JSGE32K) X(JSGE32X) X(JLT32K) X(JLT32X)     \
  X(JLE32K) X(JLE32X) X(JSLT32K) X(JSLT32X) X(JSLE32K) X(JSLE32X)                         \
  X(CALL) X(TAILCALL) X(CALLLOCAL) X(CALLX) X(EXIT)                                       \
  X(LDDWHI) X(END)
// clang-format on

enum class IOp : uint8_t {
#define BOMBUS_X(name) name,
  BOMBUS_INTERP_OPS(BOMBUS_X)
#undef BOMBUS_X
      kCount
};
static_assert(static_cast<int>(IOp::kCount) <= 256);

inline constexpr size_t kFrameBytes = isa::kStackSize;                    // 512
inline constexpr size_t kStackBytes = kFrameBytes * isa::kMaxCallFrames;  // 4096

// Why a run stopped early.
enum class Fault : uint8_t {
  kNone,
  kBadRead,        // checked: load outside every allowed region
  kBadWrite,       // checked: store outside every allowed (writable) region
  kMisaligned,     // checked: atomic on a misaligned address
  kBudget,         // checked: instruction budget exhausted
  kCallDepth,      // more than 8 nested bpf-to-bpf frames
  kBadCallx,       // callx register holds no known helper id
  kFellOff,        // ran past the last instruction
  kBadTailTarget,  // tail_call_target returned something that is not an interpreter image
  kLddwHalf,       // executed the second half of an lddw (unreachable after create())
  kBadCallback,    // call_function target is not an instruction of the program
};

struct Frame {
  const Slot* ret;
  const Interpreter* prog;
  uint64_t saved[4];  // r6..r9
  uint64_t fp;        // r10
  uint64_t loops;     // the caller's may_goto budget, back when the callee returns
};

// State of one run. The loop keeps registers in its own locals; this holds inputs and the
// fault report.
struct Machine {
  const Interpreter* entry = nullptr;
  RunState* rs = nullptr;
  uint8_t* stack = nullptr;  // kStackBytes, frame 0 at the top
  uintptr_t ctx = 0;
  size_t ctx_len = 0;
  std::span<const MemRegion> regions;
  uint64_t budget = 0;
  uint64_t executed = 0;  // checked mode: instructions dispatched
  bool checked = false;
  // Callbacks (EngineHooks::call_function): where to start, r1..r5, and the run that called the
  // helper (its stack and context stay accessible), nesting depth.
  size_t entry_pc = 0;
  const uint64_t* args = nullptr;
  const Machine* parent = nullptr;
  unsigned nesting = 0;
  // may_goto: the running function's budget, as the kernel keeps a counter in each function's
  // frame: isa::kMaxLoops at the start of a run, of a callback run, of every bpf-to-bpf call
  // (the caller's is saved in its Frame) and after a tail call.
  uint64_t loops_left = isa::kMaxLoops;
  uint64_t* loops = &loops_left;
  // Fault report (valid when fault != kNone).
  Fault fault = Fault::kNone;
  const Interpreter* fault_prog = nullptr;
  size_t fault_pc = 0;
  uint64_t fault_addr = 0;
  uint32_t fault_size = 0;
  bool fault_in_callback = false;
};

// EngineHooks::call_function of the interpreter: runs `target` of `program` (an Interpreter) as
// a callback of the run in progress on this thread.
uint64_t call_function(const void* program, uint64_t target, uint64_t r1, uint64_t r2, uint64_t r3,
                       uint64_t r4, uint64_t r5);

// Label addresses of the fast loop, indexed by IOp (used by create() to link slots).
const void* const* fast_labels();

}  // namespace bombus::vm::interp_detail

namespace bombus::vm {
template <bool kChecked>
uint64_t interp_exec(interp_detail::Machine& m);
}  // namespace bombus::vm
