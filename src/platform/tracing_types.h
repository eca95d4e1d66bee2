// BPF_PROG_TYPE_TRACING (tp_btf, fentry, fexit, fmod_ret) as platform data: its context is up
// to 12 u64 arguments of the attach target, typed by the kernel's BTF (the verifier's
// btf_access.cc gives each slot its type), read-only; which helpers it may call; what it must
// return per attach type. program_types.cc consults these for ProgType::kTracing.
#pragma once

#include <cstdint>

#include "platform/program_types.h"

namespace bombus::platform {

const ProgTypeInfo* tracing_prog_type_info();
// Helpers a tracing program may call beyond the base set (tracing_prog_func_proto's own).
bool tracing_helper_allowed(int32_t id);
// fentry/fexit must return 0, iter 0 or 1; tp_btf and fmod_ret anything (false).
bool tracing_return_range(uapi::AttachType attach, int32_t& lo, int32_t& hi);

}  // namespace bombus::platform
