// Reader slots and epochs of read_section.h. The reader publishes its slot and then walks; the
// writer unlinks and then scans the slots; a sequentially consistent fence on each side makes
// sure that either the writer sees the slot or the reader's walk sees the unlink (so it cannot
// reach the element). Slots are claimed with one CAS per run and map, starting at a place picked
// by the thread id, so threads rarely share a cache line.
#include "vm/maps/read_section.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "vm/abi.h"

namespace bombus::vm {
namespace {

template <typename T>
std::atomic_ref<T> A(T& v) {
  return std::atomic_ref<T>(v);
}

struct Pin {
  GraceArea* area;
  ReaderSlot* slot;
};
// The sections this thread's current run holds: one per map, and a program uses at most 64 maps
// (the kernel's MAX_USED_MAPS). Trivial types, so a lookup's check costs no TLS init guard.
constexpr uint32_t kMaxPins = 64;
constinit thread_local Pin t_pins[kMaxPins] = {};
constinit thread_local uint32_t t_npins = 0;
constinit thread_local uint32_t t_start = 0;

void end_sections() {
  for (uint32_t i = 0; i < t_npins; ++i) {
    A(t_pins[i].slot->pid).store(0, std::memory_order_relaxed);
    A(t_pins[i].slot->epoch).store(0, std::memory_order_release);
  }
  t_npins = 0;
}

// This process's id, cached (getpid is a system call) and renewed in a forked child.
std::atomic<uint32_t> g_pid{0};
uint32_t my_pid() {
  uint32_t pid = g_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    static const bool hooked = [] {
      return pthread_atfork(nullptr, nullptr, [] { g_pid.store(0); }) == 0;
    }();
    (void)hooked;
    pid = static_cast<uint32_t>(getpid());
    g_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

}  // namespace

void grace_init(GraceArea& a) {
  A(a.epoch).store(1, std::memory_order_relaxed);
  a.safe_below = 1;
}

bool read_section_enter(GraceArea& a) {
  if (current_run_state() == nullptr) return false;
  for (uint32_t i = 0; i < t_npins; ++i)
    if (t_pins[i].area == &a) return true;
  if (t_npins == kMaxPins) return false;  // more maps than a program can use
  if (t_start == 0) t_start = static_cast<uint32_t>(syscall(SYS_gettid)) * 2654435761u | 1;
  for (;;) {
    const uint64_t e = A(a.epoch).load(std::memory_order_seq_cst);
    for (uint32_t i = 0; i < kReaderSlots; ++i) {
      ReaderSlot& s = a.slots[(t_start + i) % kReaderSlots];
      uint64_t free = 0;
      if (A(s.epoch).load(std::memory_order_relaxed) != 0 ||
          !A(s.epoch).compare_exchange_strong(free, e, std::memory_order_seq_cst))
        continue;
      A(s.pid).store(my_pid(), std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);  // the slot before the walk
      t_pins[t_npins++] = Pin{&a, &s};
      detail::t_run_end = &end_sections;
      return true;
    }
    sched_yield();  // every slot busy: readers are short, wait for one
  }
}

uint64_t grace_retire(GraceArea& a) {
  return A(a.epoch).fetch_add(1, std::memory_order_seq_cst);
}

bool grace_reclaimable(GraceArea& a, uint64_t epoch) {
  if (epoch < a.safe_below) return true;
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the unlinks before the scan
  // Readers that enter after this see the current epoch or later: none of them can hold
  // an element retired before it.
  uint64_t low = A(a.epoch).load(std::memory_order_seq_cst);
  for (ReaderSlot& s : a.slots) {
    const uint64_t e = A(s.epoch).load(std::memory_order_acquire);
    if (e != 0 && e < low) low = e;
  }
  a.safe_below = low;
  return epoch < low;
}

uint32_t grace_reap_dead(GraceArea& a) {
  uint32_t n = 0;
  for (ReaderSlot& s : a.slots) {
    uint64_t e = A(s.epoch).load(std::memory_order_acquire);
    const uint32_t pid = A(s.pid).load(std::memory_order_relaxed);
    if (e == 0 || pid == 0 || pid == my_pid()) continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (A(s.epoch).compare_exchange_strong(e, 0, std::memory_order_acq_rel)) {
      A(s.pid).store(0, std::memory_order_relaxed);
      ++n;
    }
  }
  return n;
}

}  // namespace bombus::vm
