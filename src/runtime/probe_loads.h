// PROBE_MEM at load time: the verifier finds the loads that go through BTF-typed (kernel
// object) pointers (InsnFacts::probe_mem); the runtime marks them in the instructions the
// engines take (vm/probe_mem.h), so they read 0 instead of faulting on a bad address.
#pragma once

#include <span>
#include <vector>

#include "isa/insn.h"
#include "platform/uapi.h"
#include "verifier/verifier.h"

namespace bombus::runtime {

// Whether a program may load through BTF-typed pointers (a tracing program, or one that calls a
// kfunc or bpf_get_current_task_btf, or loads a typed ksym): it must then be verified even when
// the verification cache says it need not be, since only the verifier finds those loads.
bool may_read_kernel_objects(platform::ProgType type, std::span<const isa::Insn> insns);

// Sets the PROBE_MEM mark on every load the verifier marked (facts sized like insns, or empty).
void mark_probe_loads(std::vector<isa::Insn>& insns, const std::vector<verifier::InsnFacts>& facts);

}  // namespace bombus::runtime
