// The calling convention shared by the interpreter, the JIT and the helper implementations.
//
// Programs run on host addresses: r1 holds a real pointer to the context, r10 a real pointer to
// the top of a real stack, and a map reference (lddw of a map) is the host address of the map's
// vm::Map object. Engines receive *resolved* instructions: every lddw pseudo form has already
// been replaced by the plain 64-bit value it stands for.
//
// A helper is an ordinary C function of five 64-bit arguments. State a helper needs (the program,
// its context, the execution slot, tail-call count) lives in the thread's RunState, which the
// engine sets up for the duration of a run.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bombus::vm {

using HelperFn = uint64_t (*)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

inline constexpr int kMaxHelperId = 256;  // helper ids are below this (kernel: ~212)
inline constexpr int32_t kHelperTailCall = 12;

// Packet bytes of an skb-like context, for the legacy LD_ABS/LD_IND loads.
struct PacketView {
  uint8_t* data = nullptr;
  size_t len = 0;
};

// Hooks the runtime gives an engine (set once when the engine image is created; copied into the
// RunState of every run so helpers see them too). Both may be null.
//  - tail_call_target: resolves bpf_tail_call(ctx, map, index) to the target program's engine
//    image (for the interpreter a `const vm::Interpreter*`), or null when the slot is empty.
//    `map` is the host address of the prog-array map, as the program passed it in r2.
//  - packet_data: the packet an skb-like context stands for (LD_ABS/LD_IND read it with r6 as
//    the context). Returning {nullptr, 0} makes every legacy packet load end the program with 0.
using TailCallTargetFn = const void* (*)(uint64_t map, uint64_t index);
using PacketDataFn = PacketView (*)(void* ctx);
//  - call_function: runs the program's own function that starts at absolute instruction
//    `target` (the value a resolved lddw BPF_PSEUDO_FUNC carries) with r1..r5 on a fresh frame,
//    returning its r0. `program` is RunState::program of the run that asks. Helpers that take
//    callbacks (bpf_loop, bpf_for_each_map_elem, bpf_timer, user_ringbuf_drain) use it; when null
//    they fail with -EOPNOTSUPP. (Added by the runtime helper; engines fill it in.)
using CallFunctionFn = uint64_t (*)(const void* program, uint64_t target, uint64_t r1, uint64_t r2,
                                    uint64_t r3, uint64_t r4, uint64_t r5);
struct EngineHooks {
  TailCallTargetFn tail_call_target = nullptr;
  PacketDataFn packet_data = nullptr;
  CallFunctionFn call_function = nullptr;
};

// A span of host memory a checked engine lets a program touch (see memory_registry.h).
struct MemRegion {
  uintptr_t start = 0;
  size_t len = 0;
  bool writable = false;
};

struct RunState;

// Per-thread state of the run in progress. Engines push one on entry and pop it on exit
// (runs nest when a helper runs a callback).
struct RunState {
  void* ctx = nullptr;            // the program's context pointer (r1 at entry)
  const void* program = nullptr;  // engine-specific handle of the running program
  void* runtime = nullptr;        // opaque: the runtime object that owns the program
  uint32_t cpu = 0;               // execution slot ("CPU"), for per-CPU maps and smp_processor_id
  uint32_t tail_calls = 0;        // tail calls taken so far in this run (limit kMaxTailCalls)
  bool stop = false;              // a helper asks the engine to stop with r0 = stop_value
  uint64_t stop_value = 0;
  EngineHooks hooks;       // the running engine's hooks (tail calls, packet data)
  void* engine = nullptr;  // engine-private state of the run (e.g. for hooks.call_function)
  RunState* prev = nullptr;
};

namespace detail {
// The innermost run of this thread (defined in abi.cc). initial-exec: the library is linked
// statically, and the default model in PIC code costs a __tls_get_addr call per access.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local RunState* t_run_state;
// Called once when this thread's outermost run ends, then cleared (maps end their readers'
// grace-period sections with it; see vm/maps/read_section.h). Null almost always.
using RunEndFn = void (*)();
[[gnu::tls_model("initial-exec")]] extern constinit thread_local RunEndFn t_run_end;
void call_run_end();
}  // namespace detail

inline RunState* current_run_state() {
  return detail::t_run_state;
}

// RAII: makes `s` current for this thread while alive.
class RunScope {
 public:
  explicit RunScope(RunState& s) : s_(s) {
    s_.prev = detail::t_run_state;
    detail::t_run_state = &s_;
  }
  ~RunScope() {
    detail::t_run_state = s_.prev;
    if (detail::t_run_end != nullptr && s_.prev == nullptr) [[unlikely]]
      detail::call_run_end();
  }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  RunState& s_;
};

}  // namespace bombus::vm
