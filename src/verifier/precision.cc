// Static precision: for every instruction, the registers whose exact scalar value may still
// matter. A value matters when, before being overwritten, it can reach a comparison, a memory
// address or pointer offset, a helper or function argument, a store (it may be read back), or
// the return value. Backward dataflow over the CFG, conservative everywhere it cannot tell. The
// pruning rule ignores the bounds of scalars outside this set — the kernel's "imprecise"
// scalars — which lets loops whose other registers keep changing converge.
#include "verifier/engine.h"

namespace bombus::verifier {

using isa::Insn;
using isa::OpKind;

std::vector<uint16_t> compute_precise_regs(const Program& prog, const CfgInfo& cfg) {
  const auto& insns = prog.insns;
  const int n = static_cast<int>(insns.size());
  std::vector<uint16_t> before(n, 0);
  constexpr auto bit = reg_bit;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pc = n - 1; pc >= 0; --pc) {
      const Insn& in = insns[pc];
      const auto k = isa::op_info(in.opcode).kind;
      auto at = [&](int t) -> uint16_t { return t >= 0 && t < n ? before[t] : 0; };
      int succ[2];
      const int ns = insn_successors(insns, pc, succ);
      uint16_t out = 0;  // needed after this insn
      for (int i = 0; i < ns; ++i) out |= at(succ[i]);
      uint16_t need = out;
      const bool x = (in.opcode & isa::kSrcX) != 0;
      switch (k) {
        case OpKind::AluK:
        case OpKind::AluX:
        case OpKind::Neg:
        case OpKind::End:
        case OpKind::Bswap: {
          const bool mov = is_alu_mov(in);
          const bool add_sub = (in.opcode & 0xf0) == 0x00 || (in.opcode & 0xf0) == 0x10;
          if (mov) {
            bool dst_needed = need & bit(in.dst);
            need &= ~bit(in.dst);
            if (x && dst_needed) need |= bit(in.src);
          } else {
            // dst = dst op src: dst's old value flows into the result.
            if (x && (need & bit(in.dst))) need |= bit(in.src);
            // ptr += scalar (or scalar += ptr): the scalar becomes a pointer offset, which is
            // always compared exactly. Statically either operand may be the scalar.
            if (x && add_sub && isa::insn_class(in.opcode) == isa::kClassAlu64) {
              need |= bit(in.src);
              if ((in.opcode & 0xf0) == 0x00) need |= bit(in.dst);
            }
          }
          break;
        }
        case OpKind::Ldx:
        case OpKind::Ldxsx:
          need &= ~bit(in.dst);
          need |= bit(in.src);
          break;
        case OpKind::St:
          need |= bit(in.dst);
          break;
        case OpKind::Stx:
        case OpKind::Atomic:
          need |= bit(in.dst) | bit(in.src);
          if (in.imm == isa::kAtomicCmpxchg && k == OpKind::Atomic) need |= bit(0);
          break;
        case OpKind::Lddw:
          need &= ~bit(in.dst);
          break;
        case OpKind::LdAbs:
        case OpKind::LdInd:
          need &= ~kRegCallerSaved;
          need |= bit(6);
          if (k == OpKind::LdInd) need |= bit(in.src);
          break;
        case OpKind::JccK:
        case OpKind::JccX:
          need |= bit(in.dst);
          if (x) need |= bit(in.src);
          break;
        case OpKind::Call:
          need &= ~kRegCallerSaved;
          need |= kRegArgs;
          break;
        case OpKind::Exit:
          need = bit(0);
          break;
        case OpKind::Ja:
        case OpKind::Jal:
        case OpKind::MayGoto:  // read no register
          break;
        default:
          need = 0x7ff;
          break;
      }
      need |= bit(isa::kFramePointer);
      if (need != before[pc]) {
        before[pc] |= need;
        changed = true;
      }
    }
  }
  (void)cfg;
  return before;
}

}  // namespace bombus::verifier
