// Marking PROBE_MEM loads for the engines (see probe_loads.h).
#include "runtime/probe_loads.h"

#include "vm/probe_mem.h"

namespace bombus::runtime {

bool may_read_kernel_objects(platform::ProgType type, std::span<const isa::Insn> insns) {
  if (type == platform::ProgType::kTracing) return true;
  constexpr int32_t kGetCurrentTaskBtf = 158;
  for (const isa::Insn& in : insns) {
    const auto kind = isa::op_info(in.opcode).kind;
    if (kind == isa::OpKind::Call &&
        (in.src == isa::kPseudoKfuncCall ||
         (in.src == isa::kPseudoCallHelper && in.imm == kGetCurrentTaskBtf)))
      return true;
    if (kind == isa::OpKind::Lddw && in.src == isa::kPseudoBtfId) return true;
  }
  return false;
}

void mark_probe_loads(std::vector<isa::Insn>& insns,
                      const std::vector<verifier::InsnFacts>& facts) {
  for (size_t i = 0; i < insns.size() && i < facts.size(); ++i)
    if (facts[i].probe_mem) insns[i].imm = vm::kLdxProbeMemImm;
}

}  // namespace bombus::runtime
