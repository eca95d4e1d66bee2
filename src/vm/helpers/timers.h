// bpf_timer: the helpers bpf_timer_init/set_callback/start/cancel (ids 169-172) and the runtime
// side that fires timers.
//
// A `struct bpf_timer` (16 bytes) lives in a map value at the offset the map's BTF gives
// (MapSpec::timer_off). bombus keeps the timer's state in this process's TimerService and
// writes {timer id, owning pid} into the 16 bytes; the map value copy paths skip them, deleting
// or replacing the element (hash maps), updating it (arrays) or destroying the map frees the
// timer, as the kernel frees special fields.
//
// Semantics and errnos are the kernel's: init takes a clock id (CLOCK_MONOTONIC, CLOCK_REALTIME,
// CLOCK_BOOTTIME; anything else -EINVAL) and fails with -EBUSY on an initialised timer and
// -EPERM when `map` is not the map holding the timer; set_callback/start/cancel on a timer that
// was never initialised are -EINVAL; start needs a callback (-EINVAL) and takes
// BPF_F_TIMER_ABS / BPF_F_TIMER_CPU_PIN (others -EINVAL); timers are one-shot and a callback may
// re-arm its own timer; cancel returns 1 when it disarmed a pending timer and 0 otherwise,
// waits for a callback running on another thread, returns -EDEADLK from the timer's own
// callback, and clears the callback (a restart needs bpf_timer_set_callback again).
//
// Callbacks `long cb(void *map, void *key, void *value)` run on the TimerService's thread (one
// per process, started on first use) through the engine's EngineHooks::call_function (the
// interpreter's or the JIT's; engines without callbacks make set_callback -EOPNOTSUPP). For
// deterministic tests an embedder switches to a manual clock: then nothing fires by itself and
// advance()/advance_to() run the due callbacks, in deadline order, on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace bombus::vm {

class Map;

class TimerService {
 public:
  static TimerService& global();

  // ---- helpers (0/1 or a negative errno) ----
  long init(void* timer, Map* map, uint64_t flags);
  long set_callback(void* timer, uint64_t callback_insn);
  long start(void* timer, uint64_t nsecs, uint64_t flags);
  long cancel(void* timer);

  // ---- map side ----
  // The value holding `timer` is deleted or overwritten: cancel the timer (waiting for a
  // callback running elsewhere) and forget it; the 16 bytes become zero.
  void free_timer(void* timer);
  // The map is going away: free every timer it holds.
  void forget_map(const Map* map);

  // ---- clock ----
  // Manual clock for deterministic runs: every clock id reads `now_ns`; callbacks run only from
  // advance()/advance_to(). use_real_clock() goes back to the system clocks and the thread.
  void use_manual_clock(uint64_t now_ns);
  void use_real_clock();
  uint64_t now(int clock_id) const;
  // Manual clock: moves it forward and runs every callback that became due (also those armed
  // by callbacks for a time not after the new now). Returns the number of callbacks run.
  size_t advance(uint64_t delta_ns);
  size_t advance_to(uint64_t now_ns);
  // Timers armed and not yet fired.
  size_t pending() const;

  ~TimerService();

 private:
  TimerService();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bombus::vm
