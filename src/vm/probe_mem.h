// PROBE_MEM loads: reads through BTF-typed (kernel object) pointers that never fault. The
// verifier marks them (InsnFacts::probe_mem) and the runtime sets the LDX's reserved imm to
// kLdxProbeMemImm; the interpreter and the JIT then load only from memory a run may read (for
// kernel objects: the synthetic objects registered in vm::MemoryRegistry) and give 0 for any
// other address, as the kernel's exception table does for a faulting load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace bombus::vm {

// LDX imm (0 in the uapi encoding, which the verifier enforces) marking a PROBE_MEM load.
inline constexpr int32_t kLdxProbeMemImm = 1;

// The value of a PROBE_MEM load of `size` bytes (1, 2, 4, 8) at `addr`, sign-extended when
// `sign`: the bytes when [addr, addr + size) lies in a registered readable range, else 0.
uint64_t probe_load(uint64_t addr, uint32_t size, bool sign);

// The objects of the event a tracing run reads, looked up first and without a lock while the
// scope lasts (they must outlive it); any other address goes to vm::MemoryRegistry.
struct ProbeRange {
  uintptr_t start = 0;
  size_t len = 0;
};
class ProbeObjectsScope {
 public:
  explicit ProbeObjectsScope(std::span<const ProbeRange> objects);
  ~ProbeObjectsScope();
  ProbeObjectsScope(const ProbeObjectsScope&) = delete;
  ProbeObjectsScope& operator=(const ProbeObjectsScope&) = delete;

 private:
  std::span<const ProbeRange> prev_;
};

// The task_struct bpf_get_current_task_btf returns on this thread: the synthetic event's
// "current" object while a tracing test run lasts (CurrentTaskScope), else a zeroed block.
const void* current_task();
class CurrentTaskScope {
 public:
  explicit CurrentTaskScope(const void* task);
  ~CurrentTaskScope();
  CurrentTaskScope(const CurrentTaskScope&) = delete;
  CurrentTaskScope& operator=(const CurrentTaskScope&) = delete;

 private:
  const void* prev_;
};

}  // namespace bombus::vm
