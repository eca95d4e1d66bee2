// Core helpers: map operations, time, ids, random numbers, ring buffers, perf output, spin locks.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "vm/helpers/helpers.h"
#include "vm/maps/map.h"
#include "vm/maps/perf_array.h"
#include "vm/maps/ringbuf.h"

namespace bombus::vm::helper_impl {
namespace {

using u64 = uint64_t;
using platform::MapType;

Map* M(u64 p) {
  return reinterpret_cast<Map*>(p);
}
void* P(u64 p) {
  return reinterpret_cast<void*>(p);
}
u64 R(long v) {
  return static_cast<u64>(static_cast<int64_t>(v));
}

u64 map_lookup_elem(u64 map, u64 key, u64, u64, u64) {
  return reinterpret_cast<u64>(M(map)->lookup(P(key)));
}
u64 map_update_elem(u64 map, u64 key, u64 value, u64 flags, u64) {
  return R(M(map)->update(P(key), P(value), flags));
}
u64 map_delete_elem(u64 map, u64 key, u64, u64, u64) {
  return R(M(map)->remove(P(key)));
}
u64 map_push_elem(u64 map, u64 value, u64 flags, u64, u64) {
  return R(M(map)->push(P(value), flags));
}
u64 map_pop_elem(u64 map, u64 value, u64, u64, u64) {
  return R(M(map)->pop(P(value)));
}
u64 map_peek_elem(u64 map, u64 value, u64, u64, u64) {
  return R(M(map)->peek(P(value)));
}
u64 map_lookup_percpu_elem(u64 map, u64 key, u64 cpu, u64, u64) {
  if (cpu >= M(map)->ncpus()) return 0;
  return reinterpret_cast<u64>(M(map)->lookup_percpu(P(key), static_cast<uint32_t>(cpu)));
}

u64 clock_ns(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return static_cast<u64>(ts.tv_sec) * 1000000000ULL + static_cast<u64>(ts.tv_nsec);
}
u64 ktime_get_ns(u64, u64, u64, u64, u64) {
  return clock_ns(CLOCK_MONOTONIC);
}
u64 ktime_get_boot_ns(u64, u64, u64, u64, u64) {
  return clock_ns(CLOCK_BOOTTIME);
}
u64 ktime_get_coarse_ns(u64, u64, u64, u64, u64) {
  return clock_ns(CLOCK_MONOTONIC_COARSE);
}
u64 ktime_get_tai_ns(u64, u64, u64, u64, u64) {
  return clock_ns(CLOCK_TAI);
}
u64 jiffies64(u64, u64, u64, u64, u64) {
  return clock_ns(CLOCK_MONOTONIC) / (1000000000ULL / 250);  // CONFIG_HZ=250
}

u64 get_prandom_u32(u64, u64, u64, u64, u64) {
  thread_local u64 s =
      clock_ns(CLOCK_MONOTONIC) ^ (static_cast<u64>(gettid()) << 32) ^ 0x9E3779B97F4A7C15ULL;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return static_cast<uint32_t>(s * 0x2545F4914F6CDD1DULL >> 32);
}
u64 get_smp_processor_id(u64, u64, u64, u64, u64) {
  RunState* s = current_run_state();
  return s ? s->cpu : 0;
}
u64 get_numa_node_id(u64, u64, u64, u64, u64) {
  return 0;
}
u64 get_current_pid_tgid(u64, u64, u64, u64, u64) {
  return (static_cast<u64>(getpid()) << 32) | static_cast<uint32_t>(gettid());
}
u64 get_current_uid_gid(u64, u64, u64, u64, u64) {
  return (static_cast<u64>(getgid()) << 32) | getuid();
}
u64 get_current_comm(u64 buf, u64 size, u64, u64, u64) {
  char name[17] = {};
  prctl(PR_GET_NAME, name);
  if (size == 0) return R(-22);
  size_t n = strnlen(name, 16);
  if (n > size - 1) n = size - 1;
  std::memcpy(P(buf), name, n);
  std::memset(static_cast<char*>(P(buf)) + n, 0, size - n);
  return 0;
}
u64 get_current_cgroup_id(u64, u64, u64, u64, u64) {
  return 0;
}
u64 get_current_task(u64, u64, u64, u64, u64) {
  return 0;
}

u64 ringbuf_output(u64 map, u64 data, u64 size, u64 flags, u64) {
  return R(static_cast<RingBuf*>(M(map))->output(P(data), size, flags));
}
u64 ringbuf_reserve(u64 map, u64 size, u64 flags, u64, u64) {
  if (flags) return 0;
  return reinterpret_cast<u64>(static_cast<RingBuf*>(M(map))->reserve(size));
}
u64 ringbuf_submit(u64 sample, u64 flags, u64, u64, u64) {
  RingBuf::commit(P(sample), false, flags);
  return 0;
}
u64 ringbuf_discard(u64 sample, u64 flags, u64, u64, u64) {
  RingBuf::commit(P(sample), true, flags);
  return 0;
}
u64 ringbuf_query(u64 map, u64 flags, u64, u64, u64) {
  return static_cast<RingBuf*>(M(map))->query(flags);
}

u64 perf_event_output(u64 ctx, u64 map, u64 flags, u64 data, u64 size) {
  if (flags & ~platform::kFIndexMask) return R(-22);
  return R(
      static_cast<PerfEventArray*>(M(map))->output(flags & platform::kFIndexMask, P(data), size));
}

u64 spin_lock(u64 lock, u64, u64, u64, u64) {
  shm_lock(static_cast<uint32_t*>(P(lock)));
  return 0;
}
u64 spin_unlock(u64 lock, u64, u64, u64, u64) {
  shm_unlock(static_cast<uint32_t*>(P(lock)));
  return 0;
}

u64 get_stack(u64 ctx, u64 buf, u64 size, u64 flags, u64) {
  if (size) std::memset(P(buf), 0, size);
  return 0;  // no frames are known in user space
}
u64 get_func_ip(u64, u64, u64, u64, u64) {
  HelperEnv* e = env();
  return e ? e->func_ip : 0;
}
u64 get_attach_cookie(u64, u64, u64, u64, u64) {
  HelperEnv* e = env();
  return e ? e->attach_cookie : 0;
}
u64 send_signal(u64 sig, u64, u64, u64, u64) {
  if (sig == 0 || sig > 64) return R(-22);
  return R(kill(getpid(), static_cast<int>(sig)) ? -1 : 0);
}
u64 send_signal_thread(u64 sig, u64, u64, u64, u64) {
  if (sig == 0 || sig > 64) return R(-22);
  return R(syscall(SYS_tgkill, getpid(), gettid(), static_cast<int>(sig)) ? -1 : 0);
}

}  // namespace

void add_core(Table& t) {
  t[1] = map_lookup_elem;
  t[2] = map_update_elem;
  t[3] = map_delete_elem;
  t[5] = ktime_get_ns;
  t[7] = get_prandom_u32;
  t[8] = get_smp_processor_id;
  t[14] = get_current_pid_tgid;
  t[15] = get_current_uid_gid;
  t[16] = get_current_comm;
  t[25] = perf_event_output;
  t[35] = get_current_task;
  t[42] = get_numa_node_id;
  t[67] = get_stack;
  t[80] = get_current_cgroup_id;
  t[87] = map_push_elem;
  t[88] = map_pop_elem;
  t[89] = map_peek_elem;
  t[93] = spin_lock;
  t[94] = spin_unlock;
  t[109] = send_signal;
  t[117] = send_signal_thread;
  t[118] = jiffies64;
  t[125] = ktime_get_boot_ns;
  t[130] = ringbuf_output;
  t[131] = ringbuf_reserve;
  t[132] = ringbuf_submit;
  t[133] = ringbuf_discard;
  t[134] = ringbuf_query;
  t[160] = ktime_get_coarse_ns;
  t[173] = get_func_ip;
  t[174] = get_attach_cookie;
  t[195] = map_lookup_percpu_elem;
  t[208] = ktime_get_tai_ns;
}

}  // namespace bombus::vm::helper_impl
