// PROBE_MEM loads (vm/probe_mem.h): a load through a BTF-typed pointer, which the verifier lets
// a program make without a NULL check, must give 0 instead of faulting on an address that is no
// object. The generated code calls vm::probe_load, which range-checks against the registered
// objects; the eBPF registers the call would clobber (r0-r5) are saved around it, as for tail
// calls, so only the destination register changes.
#include "jit/x64/compiler.h"
#include "vm/probe_mem.h"

namespace bombus::jit {

bool Compiler::emit_probe_ldx(const isa::Insn& in, bool sign) {
  auto& a = *a_;
  const int bytes = isa::size_bytes(in.opcode);
  a.lea(ax::r11, ax::ptr(host_reg(in.src), in.off));
  const ax::Gp saved[] = {ax::rax, ax::rdi, ax::rsi, ax::rdx, ax::rcx, ax::r8};
  for (const ax::Gp& r : saved) a.push(r);  // 6 pushes keep rsp 16-byte aligned
  a.mov(ax::rdi, ax::r11);
  a.mov(ax::esi, static_cast<uint32_t>(bytes));
  a.mov(ax::edx, sign ? 1u : 0u);
  a.mov(ax::rax, reinterpret_cast<uint64_t>(&vm::probe_load));
  a.call(ax::rax);
  a.mov(ax::r11, ax::rax);
  for (int i = 5; i >= 0; --i) a.pop(saved[i]);
  a.mov(host_reg(in.dst), ax::r11);
  return true;
}

}  // namespace bombus::jit
