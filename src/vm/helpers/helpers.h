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
#include <vector>

#include "platform/uapi.h"
#include "vm/abi.h"

namespace bombus::vm {

class Map;

// Where a run's last bpf_redirect / bpf_redirect_map sent the packet (the kernel's per-CPU
// bpf_redirect_info). The helpers write it through HelperEnv::redirect; a runner that acts on
// redirects gives each thread its own HelperEnv copy pointing at its own record, clears the
// record before a run and reads it after.
struct RedirectRecord {
  enum class Kind : uint8_t {
    kNone,       // no target (never redirected, or the last redirect_map missed)
    kIfindex,    // a device: bpf_redirect, or a DEVMAP / DEVMAP_HASH entry's ifindex
    kCpu,        // a CPUMAP entry: index is the CPU (the key)
    kXsk,        // an XSKMAP entry: index is the queue (the key)
    kBroadcast,  // BPF_F_BROADCAST: every device of `map` (a devmap)
  };
  Kind kind = Kind::kNone;
  uint32_t index = 0;
  // bpf_redirect in tc: BPF_F_INGRESS (1) kept; kBroadcast: BPF_F_EXCLUDE_INGRESS (1 << 4) kept.
  uint64_t flags = 0;
  Map* map = nullptr;  // the map of a redirect_map hit (kBroadcast: the devmap to expand)
};
inline constexpr uint64_t kRedirectFIngress = 1;                 // BPF_F_INGRESS
inline constexpr uint64_t kRedirectFBroadcast = 1ULL << 3;       // BPF_F_BROADCAST
inline constexpr uint64_t kRedirectFExcludeIngress = 1ULL << 4;  // BPF_F_EXCLUDE_INGRESS

// The devices a devmap (DEVMAP or DEVMAP_HASH; value: struct bpf_devmap_val, ifindex first)
// holds, in key order for DEVMAP and iteration order for DEVMAP_HASH, without empty entries
// and without `exclude` (0: none). Appends to `out`.
void devmap_ifindexes(Map& map, uint32_t exclude, std::vector<uint32_t>& out);

// What RunState::runtime points at when the runtime runs a program.
struct HelperEnv {
  platform::ProgType prog_type = platform::ProgType::kUnspec;
  // trace_printk / trace_vprintk output: one formatted message (without the trace_pipe prefix).
  // Null: the process-wide sink (set_trace_sink), else dropped.
  std::function<void(std::string_view)> trace;
  uint64_t attach_cookie = 0;          // bpf_get_attach_cookie
  uint64_t func_ip = 0;                // bpf_get_func_ip
  uint32_t mtu = 1500;                 // bpf_check_mtu's device MTU
  RedirectRecord* redirect = nullptr;  // bpf_redirect / bpf_redirect_map record here (null: not)
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
void add_timers(Table& t);   // timers.cc
void add_sock(Table& t);     // helpers_sock.cc
void add_tracing(Table& t);  // helpers_tracing.cc
HelperEnv* env();
}  // namespace helper_impl

}  // namespace bombus::vm
