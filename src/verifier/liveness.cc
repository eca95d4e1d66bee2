// Register liveness, computed once before exploration like the kernel's compute_live_registers
// (6.15+): for every instruction, the registers whose value may be read before being written on
// some path from there (live-in). A backward dataflow over each function's CFG; calls read
// r1..r5 and define r0..r5 (the callee's frame is analysed as its own function), exit reads r0,
// LD_ABS/LD_IND read r6 (and the index) and define r0..r5. Anything unclear counts as a read.
// The pruning rule ignores registers that are dead at a checkpoint's instruction: no
// continuation can observe them, so any value there is as good as any other.
#include "verifier/engine.h"

namespace bombus::verifier {

using isa::Insn;
using isa::OpKind;

namespace {

constexpr auto bit = reg_bit;
constexpr uint16_t kAll = 0x7ff;

// Registers an instruction reads (use) and writes unconditionally (def).
void use_def(const Insn& in, uint16_t* use, uint16_t* def) {
  const auto k = isa::op_info(in.opcode).kind;
  const bool x = (in.opcode & isa::kSrcX) != 0;
  *use = 0;
  *def = 0;
  switch (k) {
    case OpKind::AluK:
    case OpKind::AluX:
    case OpKind::Neg:
    case OpKind::End:
    case OpKind::Bswap: {
      const bool mov = is_alu_mov(in);
      if (!mov) *use |= bit(in.dst);
      if (k == OpKind::AluX) *use |= bit(in.src);
      *def = bit(in.dst);
      break;
    }
    case OpKind::Ldx:
    case OpKind::Ldxsx:
      *use = bit(in.src);
      *def = bit(in.dst);
      break;
    case OpKind::St:
      *use = bit(in.dst);
      break;
    case OpKind::Stx:
      *use = bit(in.dst) | bit(in.src);
      break;
    case OpKind::Atomic:
      // Reads both operands (and r0 for cmpxchg); what it writes back is left live.
      *use = bit(in.dst) | bit(in.src) | bit(0);
      break;
    case OpKind::Lddw:
      *def = bit(in.dst);
      break;
    case OpKind::LdAbs:
    case OpKind::LdInd:
      *use = bit(6) | (k == OpKind::LdInd ? bit(in.src) : 0);
      *def = kRegCallerSaved;
      break;
    case OpKind::JccK:
    case OpKind::JccX:
      *use = bit(in.dst) | (x ? bit(in.src) : 0);
      break;
    case OpKind::Call:
      *use = kRegArgs;
      *def = kRegCallerSaved;
      break;
    case OpKind::Exit:
      *use = bit(0);
      break;
    case OpKind::Ja:
    case OpKind::Jal:
    case OpKind::MayGoto:
      break;
    default:
      *use = kAll;
      break;
  }
  *use &= kAll;
  *def &= kAll;
}

}  // namespace

int insn_successors(const std::vector<Insn>& insns, int pc, int out[2]) {
  const Insn& in = insns[pc];
  switch (isa::op_info(in.opcode).kind) {
    case OpKind::Exit:
      return 0;
    case OpKind::Ja:
      out[0] = pc + 1 + in.off;
      return 1;
    case OpKind::Jal:
      out[0] = pc + 1 + in.imm;
      return 1;
    case OpKind::JccK:
    case OpKind::JccX:
    case OpKind::MayGoto:
      out[0] = pc + 1;
      out[1] = pc + 1 + in.off;
      return 2;
    case OpKind::Lddw:
      out[0] = pc + 2;
      return 1;
    default:
      out[0] = pc + 1;
      return 1;
  }
}

std::vector<uint16_t> compute_live_regs(const Program& prog, const CfgInfo& cfg) {
  const auto& insns = prog.insns;
  const int n = static_cast<int>(insns.size());
  std::vector<uint16_t> use(n, 0), def(n, 0), live(n, 0);
  for (int pc = 0; pc < n; ++pc) use_def(insns[pc], &use[pc], &def[pc]);
  auto in_fn = [&](int pc, int t) {
    return t >= 0 && t < n && (cfg.subprog_of.empty() || cfg.subprog_of[t] == cfg.subprog_of[pc]);
  };
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pc = n - 1; pc >= 0; --pc) {
      auto at = [&](int t) -> uint16_t {
        if (t < 0 || t >= n) return 0;
        return in_fn(pc, t) ? live[t] : kAll;  // a jump out of the function: assume everything
      };
      int succ[2];
      const int ns = insn_successors(insns, pc, succ);
      uint16_t out = 0;
      for (int i = 0; i < ns; ++i) out |= at(succ[i]);
      uint16_t v = static_cast<uint16_t>(use[pc] | (out & ~def[pc]) | bit(isa::kFramePointer));
      if (v != live[pc]) {
        live[pc] |= v;
        changed = true;
      }
    }
  }
  return live;
}

}  // namespace bombus::verifier
