// Thread CPU time for timing batches of packets on a shared machine (wall time would also count
// the time a thread waited for a core), and the cost of reading it, which the runners subtract
// from every timed batch so that short per-packet costs are not drowned by the clock's own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <ctime>

namespace bombus::net {

inline uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// What one timed interval adds by itself: the smallest of many back-to-back readings of `now`.
template <typename Now>
uint64_t clock_overhead_ns(Now now) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 64; ++i) {
    const uint64_t a = now();
    best = std::min(best, now() - a);
  }
  return best;
}

inline uint64_t thread_cpu_overhead_ns() {
  static const uint64_t kOverhead = clock_overhead_ns(thread_cpu_ns);
  return kOverhead;
}

// The CPU time since `t0`, less the clock's own cost.
inline uint64_t thread_cpu_since(uint64_t t0) {
  const uint64_t d = thread_cpu_ns() - t0, o = thread_cpu_overhead_ns();
  return d > o ? d - o : 0;
}

// Wall time (CLOCK_MONOTONIC, read in user space through the vDSO) for intervals too short for
// thread CPU time: reading CLOCK_THREAD_CPUTIME_ID is a system call (650 ns on the 2-vCPU VM
// the figures in docs/PERFORMANCE.md come from), more than a fast engine takes for a whole
// batch, and its side effects on the caches cannot be subtracted. A batch the scheduler
// interrupts counts the interruption.
inline uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t wall_since(uint64_t t0) {
  static const uint64_t kOverhead = clock_overhead_ns(wall_ns);
  const uint64_t d = wall_ns() - t0;
  return d > kOverhead ? d - kOverhead : 0;
}

}  // namespace bombus::net
