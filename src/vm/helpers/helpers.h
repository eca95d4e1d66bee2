// Helper implementations, indexed by the kernel's helper id (the same ids as the prototype table
// in platform/helper_protos.h). Each is a plain C-ABI function of five u64 arguments, so the
// interpreter and the JIT call them the same way; state comes from vm::current_run_state():
//  - RunState::cpu: the execution slot (per-CPU maps, get_smp_processor_id),
//  - RunState::runtime: null or a vm::HelperEnv (trace output, program type, attach cookie),
//  - RunState::hooks.call_function: for callbacks (loop, for_each_map_elem, timers).
// Map arguments are host addresses of vm::Map objects (see abi.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "platform/uapi.h"
#include "vm/abi.h"

namespace bombus::vm {

// What RunState::runtime points at when the runtime runs a program.
struct HelperEnv {
  platform::ProgType prog_type = platform::ProgType::kUnspec;
  // trace_printk / trace_vprintk output: one formatted message (without the trace_pipe prefix).
  // Null: the process-wide sink (set_trace_sink), else dropped.
  std::function<void(std::string_view)> trace;
  uint64_t attach_cookie = 0;  // bpf_get_attach_cookie
  uint64_t func_ip = 0;        // bpf_get_func_ip
  uint32_t mtu = 1500;         // bpf_check_mtu's device MTU
};

// Helper table: entry id is the implementation of helper `id`, or null when bombus has none.
// Id 12 (tail_call) is null: engines handle it.
std::span<const HelperFn> helper_table();
bool helper_implemented(int32_t id);

// Process-wide trace sink used when the run has no HelperEnv::trace.
void set_trace_sink(std::function<void(std::string_view)> sink);

// The kernel's bpf_trace_printk format subset (%d %i %u %x %X %c %s %p %pK %px %pI4 %pI6 with
// l/ll/h/z modifiers, %%): formats into `out` and returns the length, or -EINVAL for a bad format.
// `args` are raw u64 values; %s reads strings safely (probe_read_str semantics).
long bpf_format(std::string& out, const char* fmt, uint32_t fmt_size,
                std::span<const uint64_t> args);

// Safe copies of possibly unmapped memory (probe_read semantics): 0 or -EFAULT.
long safe_read(void* dst, const void* src, size_t len);
long safe_write(void* dst, const void* src, size_t len);
// Reads a NUL-terminated string of at most size-1 characters; returns bytes including the NUL
// or -EFAULT (dst[0] = 0 then).
long safe_read_str(char* dst, const void* src, size_t size);

namespace helper_impl {
using Table = std::array<HelperFn, kMaxHelperId>;
void add_core(Table& t);
void add_mem(Table& t);
void add_net(Table& t);
void add_callbacks(Table& t);
void add_timers(Table& t);  // timers.cc
HelperEnv* env();
}  // namespace helper_impl

}  // namespace bombus::vm
