// Helpers of tracing programs that hand out kernel objects: bpf_get_current_task_btf (158)
// returns the current synthetic task (vm/probe_mem.h), never NULL, as the kernel's never is.
#include "vm/helpers/helpers.h"
#include "vm/probe_mem.h"

namespace bombus::vm {

namespace {

uint64_t get_current_task_btf(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  return reinterpret_cast<uint64_t>(current_task());
}

}  // namespace

namespace helper_impl {
void add_tracing(Table& t) {
  t[158] = get_current_task_btf;
}
}  // namespace helper_impl

}  // namespace bombus::vm
