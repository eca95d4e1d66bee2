// Helper calls the JIT replaces with machine code (see JitOptions::inline_helpers): array-map
// lookups with a constant map, and bpf_get_smp_processor_id. Each is used only when the helper
// table holds the runtime's own implementation, so the result is the helper's result bit for
// bit; r1-r5 are left as they were (a verified program does not read them after a call).
#include <cstddef>

#include "jit/x64/compiler.h"
#include "platform/uapi.h"
#include "vm/helpers/helpers.h"
#include "vm/maps/map.h"

namespace bombus::jit {

namespace {
constexpr int32_t kHelperMapLookup = 1;
constexpr int32_t kHelperSmpProcessorId = 8;
constexpr size_t kMaxLookback = 32;  // instructions searched for the lddw that set r1

bool is_runtime_helper(const JitOptions& o, int32_t id) {
  const auto table = vm::helper_table();
  return static_cast<size_t>(id) < o.helpers.size() && static_cast<size_t>(id) < table.size() &&
         o.helpers[id] != nullptr && o.helpers[id] == table[id];
}

// True when `in` may change register r (conservatively: calls and packet loads clobber r0-r5).
bool may_write(const isa::Insn& in, int r) {
  using K = isa::OpKind;
  switch (isa::op_info(in.opcode).kind) {
    case K::AluK:
    case K::AluX:
    case K::Neg:
    case K::End:
    case K::Bswap:
    case K::Ldx:
    case K::Ldxsx:
    case K::Lddw:
      return in.dst == r;
    case K::Atomic:
      return ((in.imm & isa::kAtomicFetch) != 0 && in.src == r) || r == 0;
    case K::Call:
    case K::Callx:
    case K::LdAbs:
    case K::LdInd:
      return r <= 5;
    default:
      return false;
  }
}
}  // namespace

// The constant r1 holds at the call at pc, when every path to it passes through one
// "lddw r1, value" with no write to r1 in between (same basic block, looking back a little).
std::optional<uint64_t> Compiler::r1_constant_at(size_t pc) const {
  for (size_t k = 1; k <= kMaxLookback && k <= pc; ++k) {
    const size_t q = pc - k;
    if (is_target_[q + 1] || is_func_[q + 1]) return std::nullopt;  // another path joins
    const isa::Insn& in = insns_[q];
    if (second_half_[q]) {
      // q is the second half of an lddw: look at the pair.
      const isa::Insn& first = insns_[q - 1];
      if (first.dst == 1) return isa::lddw_imm64(first, in);
      if (is_target_[q] || is_func_[q]) return std::nullopt;
      ++k;  // skip the first half too
      continue;
    }
    if (may_write(in, 1)) return std::nullopt;
  }
  return std::nullopt;
}

bool Compiler::try_inline_call(size_t pc, const isa::Insn& in) {
  if (!opts_.inline_helpers || in.src != isa::kPseudoCallHelper) return false;
  auto& a = *a_;
  if (in.imm == kHelperSmpProcessorId && is_runtime_helper(opts_, in.imm)) {
    a.mov(ax::r11, ax::qword_ptr(ax::r12, offsetof(JitRunCtx, rs)));
    a.mov(ax::eax, ax::dword_ptr(ax::r11, offsetof(vm::RunState, cpu)));
    return true;
  }
  if (in.imm != kHelperMapLookup || opts_.maps.empty() || !is_runtime_helper(opts_, in.imm))
    return false;
  const auto value = r1_constant_at(pc);
  if (!value) return false;
  vm::Map* map = nullptr;
  for (vm::Map* m : opts_.maps) {
    if (reinterpret_cast<uint64_t>(m) == *value) map = m;
  }
  if (map == nullptr || map->type() != platform::MapType::kArray) return false;
  const uint32_t max_entries = map->spec().max_entries;
  const uint32_t stride = map->value_stride();
  if (max_entries == 0 || stride == 0 || stride > INT32_MAX || max_entries > INT32_MAX)
    return false;
  const uint32_t zero = 0;
  void* values = map->lookup(&zero);  // element 0: the start of the value array
  if (values == nullptr) return false;
  // r0 = key < max_entries ? values + key * stride : 0   (r2 = rsi holds the key pointer)
  asmjit::Label null = a.newLabel(), done = a.newLabel();
  a.mov(ax::eax, ax::dword_ptr(ax::rsi));
  a.cmp(ax::eax, static_cast<int32_t>(max_entries));
  a.jae(null);
  if ((stride & (stride - 1)) == 0) {
    const int shift = __builtin_ctz(stride);
    if (shift != 0) a.shl(ax::rax, shift);
  } else {
    a.imul(ax::rax, ax::rax, static_cast<int32_t>(stride));
  }
  mov_imm64(ax::r10, reinterpret_cast<uint64_t>(values));
  a.add(ax::rax, ax::r10);
  a.jmp(done);
  a.bind(null);
  a.xor_(ax::eax, ax::eax);
  a.bind(done);
  return true;
}

}  // namespace bombus::jit
