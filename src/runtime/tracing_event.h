// Synthetic events for tracing programs (tp_btf, fentry, fexit, fmod_ret): the target's
// arguments as the u64 array the program's ctx is, where a pointer to a kernel struct points to
// a synthetic object laid out by the kernel's BTF (sizes, offsets, bit fields) and filled from
// JSON. The objects are registered in vm::MemoryRegistry while the event lives, so the
// engines' PROBE_MEM loads read them; any other address reads as 0.
//
// JSON: one key per argument name of the target's BTF prototype (unnamed ones: "argN"), plus
// "ret" (fexit/fmod_ret: the return value slot) and "current" (the task_struct
// bpf_get_current_task_btf returns). A struct argument is an object of field names: numbers
// (integers, enums, bit fields, pointers as raw addresses), strings (char arrays, char
// pointers), arrays (arrays), objects (nested structs, or a pointer to a struct: a further
// synthetic object). Fields not named stay zero. For sched_switch:
//   {"preempt": 0, "prev": {"pid": 1, "comm": "a"}, "next": {"pid": 2, "comm": "b"}}
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "btf/btf.h"
#include "platform/uapi.h"
#include "vm/memory_registry.h"
#include "vm/probe_mem.h"

namespace bombus::runtime {

class SyntheticObjects {
 public:
  // A zeroed object of BTF type `type_id` (struct or union, after modifiers) with the fields
  // `json` names set; returns its address. `where` names the value in error messages.
  Result<uint64_t> build(const btf::Btf& b, uint32_t type_id, std::string_view json,
                         const std::string& where);
  size_t count() const { return blocks_.size(); }
  // Where the objects are, for vm::ProbeObjectsScope.
  std::span<const vm::ProbeRange> ranges() const { return ranges_; }

  // Internal (tracing_event.cc): zeroed registered storage of `size` bytes.
  uint8_t* alloc(size_t size);

 private:
  std::vector<std::unique_ptr<uint8_t[]>> blocks_;
  std::vector<vm::MemoryRegistry::Registration> regs_;
  std::vector<vm::ProbeRange> ranges_;
};

struct TracingEvent {
  std::array<uint64_t, 12> args{};  // the ctx: u64 args[12]
  uint32_t nargs = 0;               // slots the target has (fexit/fmod_ret: + the return value)
  const void* current = nullptr;    // "current" task, or null
  SyntheticObjects objects;
};

// The event for target `target` of a tracing program with `attach` (tp_btf: the tracepoint's
// btf_trace_<target>; fentry/fexit/fmod_ret: the kernel function), from `json` (empty: all
// arguments 0). Errors name the argument or field at fault.
Result<std::unique_ptr<TracingEvent>> build_tracing_event(const btf::Btf& b,
                                                          uapi::AttachType attach,
                                                          const std::string& target,
                                                          std::string_view json);

}  // namespace bombus::runtime
