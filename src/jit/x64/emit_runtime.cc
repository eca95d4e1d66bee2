// Instructions that need the engine's run-time support: bpf_tail_call (helper id 12, resolved
// through EngineHooks::tail_call_target, at most 33 per run, falling through on a missing entry)
// and the legacy packet loads LD_ABS/LD_IND (through EngineHooks::packet_data, r6 = context).
// Both go through small C++ functions called from the generated code; the eBPF registers the
// call would clobber are saved around it so the semantics match the interpreter's exactly.
#include <cstddef>

#include "base/bytes.h"
#include "jit/x64/compiler.h"

namespace bombus::jit {

namespace {
constexpr uintptr_t kBadTarget = 1;
}

// Returns the tail entry of the target, nullptr to fall through, or kBadTarget.
const void* jit_tail_lookup(JitRunCtx* rc, uint64_t map, uint64_t index) {
  vm::RunState* rs = rc->rs;
  const vm::TailCallTargetFn fn = rs->hooks.tail_call_target;
  if (fn == nullptr || rs->tail_calls >= static_cast<uint32_t>(isa::kMaxTailCalls)) return nullptr;
  const void* target = fn(map, index);
  if (target == nullptr) return nullptr;
  const auto* prog = static_cast<const JitProgram*>(target);
  if (prog->magic_ != JitProgram::kMagic) return reinterpret_cast<const void*>(kBadTarget);
  ++rs->tail_calls;
  rs->program = prog;
  return prog->tail_entry_;
}

namespace {
// Offsets at or above SKF_LL_OFF (-0x200000) and below SKF_NET_OFF (-0x100000) address the link
// layer, i.e. the packet start; other negative offsets are not supported and fail the load.
uint64_t jit_ld_pkt(JitRunCtx* rc, uint64_t ctx, int64_t off, uint64_t size) {
  constexpr int64_t kLlOff = -0x200000, kNetOff = -0x100000;
  const vm::RunState* rs = rc->rs;
  if (off < 0) {
    if (off < kLlOff || off >= kNetOff) {
      rc->pkt_fail = 1;
      return 0;
    }
    off -= kLlOff;
  }
  if (rs->hooks.packet_data == nullptr) {
    rc->pkt_fail = 1;
    return 0;
  }
  const vm::PacketView pv = rs->hooks.packet_data(reinterpret_cast<void*>(ctx));
  if (pv.data == nullptr || static_cast<uint64_t>(off) + size > pv.len) {
    rc->pkt_fail = 1;
    return 0;
  }
  const uint8_t* p = pv.data + off;
  switch (size) {
    case 1:
      return p[0];
    case 2:
      return __builtin_bswap16(load_unaligned<uint16_t>(p));
    default:
      return __builtin_bswap32(load_unaligned<uint32_t>(p));
  }
}
}  // namespace

bool Compiler::emit_tail_call(size_t pc) {
  auto& a = *a_;
  // r1..r3 = ctx, map, index are already rdi rsi rdx; r0..r5 stay as they were either way.
  const ax::Gp saved[] = {ax::rax, ax::rdi, ax::rsi, ax::rdx, ax::rcx, ax::r8};
  for (const ax::Gp& r : saved) a.push(r);  // 6 pushes keep rsp 16-byte aligned
  a.mov(ax::rdi, ax::r12);
  a.mov(ax::rax, reinterpret_cast<uint64_t>(&jit_tail_lookup));
  a.call(ax::rax);
  a.mov(ax::r11, ax::rax);
  for (int i = 5; i >= 0; --i) a.pop(saved[i]);
  asmjit::Label skip = a.newLabel();
  a.test(ax::r11, ax::r11);
  a.jz(skip);
  a.cmp(ax::r11, static_cast<int32_t>(kBadTarget));
  a.je(fault_stub(Fault::kBadTailTarget, pc));
  a.jmp(ax::r11);
  a.bind(skip);
  return true;
}

bool Compiler::emit_ld_pkt(size_t pc, const isa::Insn& in) {
  auto& a = *a_;
  const int size = isa::size_bytes(in.opcode);
  if (size == 8) return err(pc, "LD_ABS/LD_IND of 8 bytes is not defined");
  if (isa::op_info(in.opcode).kind == isa::OpKind::LdInd) {
    a.mov(ax::r11d, host_reg(in.src).r32());
    a.add(ax::r11d, in.imm);
    a.movsxd(ax::r11, ax::r11d);
  } else {
    a.mov(ax::r11, static_cast<int64_t>(in.imm));
  }
  const ax::Gp saved[] = {ax::rdi, ax::rsi, ax::rdx, ax::rcx, ax::r8, ax::r9};
  for (const ax::Gp& r : saved) a.push(r);
  a.mov(ax::rdi, ax::r12);
  a.mov(ax::rsi, host_reg(6));
  a.mov(ax::rdx, ax::r11);
  a.mov(ax::ecx, size);
  a.mov(ax::rax, reinterpret_cast<uint64_t>(&jit_ld_pkt));
  a.call(ax::rax);
  for (int i = 5; i >= 0; --i) a.pop(saved[i]);
  a.cmp(ax::dword_ptr(ax::r12, offsetof(JitRunCtx, pkt_fail)), 0);
  a.jne(pkt_fail_);
  return true;
}

}  // namespace bombus::jit
