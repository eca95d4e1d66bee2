// BPF_PROG_TYPE_TRACING platform facts (see tracing_types.h).
#include "platform/tracing_types.h"

#include <algorithm>
#include <iterator>

namespace bombus::platform {

namespace {

constexpr uint32_t kMaxArgs = 12;  // MAX_BPF_FUNC_ARGS: the ctx holds u64 args[12]

// Beyond the base set (kernel facts: tracing_prog_func_proto and bpf_tracing_func_proto):
// probe_read (4), ktime/trace_printk/... (6, 27, 45, 67), perf_event_output (25), get_stackid
// (27), get_stack (67), skb_output (111), xdp_output (121), seq_printf/write/printf_btf (126,
// 127, 150), d_path (147), snprintf_btf (149), get_func_ip (173), get_attach_cookie (174),
// get_func_arg/ret/arg_cnt (183-185), task_pt_regs (175), get_branch_snapshot (176).
constexpr int32_t kTracingOwn[] = {4,   6,   25,  27,  45,  67,  111, 121, 126, 127,
                                   147, 149, 150, 173, 174, 175, 176, 183, 184, 185};
static_assert(std::is_sorted(std::begin(kTracingOwn), std::end(kTracingOwn)));

}  // namespace

const ProgTypeInfo* tracing_prog_type_info() {
  static const ProgTypeInfo info = [] {
    ProgTypeInfo i;
    i.type = ProgType::kTracing;
    i.name = "tracing";
    i.model = CtxModel::kBytes;
    i.ctx_size = i.real_ctx_size = 8 * kMaxArgs;
    i.bytes_min = 0;
    i.bytes_max = 8 * kMaxArgs;
    i.test_run = true;  // on a synthetic event (runtime/tracing_event.h)
    return i;
  }();
  return &info;
}

bool tracing_helper_allowed(int32_t id) {
  return std::binary_search(std::begin(kTracingOwn), std::end(kTracingOwn), id);
}

bool tracing_return_range(uapi::AttachType attach, int32_t& lo, int32_t& hi) {
  switch (attach) {
    case uapi::AttachType::kTraceFentry:
    case uapi::AttachType::kTraceFexit:
      lo = hi = 0;
      return true;
    case uapi::AttachType::kTraceIter:
      lo = 0, hi = 1;
      return true;
    default:
      return false;
  }
}

}  // namespace bombus::platform
