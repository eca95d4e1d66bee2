// TimerService: timer records, the firing thread (or the manual clock), and helpers 169-172.
//
// A callback runs as the engine runs bpf_loop's: through EngineHooks::call_function, which needs
// an engine run to nest in. The firing thread provides one with a two-instruction trampoline
// program (`call 1; exit`, its own helper table) run by the interpreter; its helper calls the
// captured call_function with the program, the callback's instruction and (map, key, value).
#include "vm/helpers/timers.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "platform/uapi.h"
#include "vm/helpers/helpers.h"
#include "vm/interp.h"
#include "vm/maps/map.h"

namespace bombus::vm {

namespace {

constexpr uint64_t kTimerAbs = 1, kTimerCpuPin = 2;  // BPF_F_TIMER_ABS, BPF_F_TIMER_CPU_PIN
constexpr long kEinval = -22, kEbusy = -16, kEperm = -1, kEdeadlk = -35, kEopnotsupp = -95;

struct Timer {
  uint64_t id = 0;
  const Map* map = nullptr;
  uint8_t* addr = nullptr;
  uint8_t* value = nullptr;
  int clock = CLOCK_MONOTONIC;
  bool has_cb = false;
  const void* program = nullptr;
  uint64_t target = 0;
  EngineHooks hooks;
  void* runtime = nullptr;
  uint32_t cpu = 0;
  bool armed = false;
  uint64_t deadline = 0;  // in `clock` nanoseconds
  bool running = false;
  std::thread::id running_on;
};

// What a firing callback needs, copied out of the record so the record may go away meanwhile.
struct Fire {
  const void* program;
  uint64_t target;
  EngineHooks hooks;
  void* runtime;
  uint32_t cpu;
  uint64_t map, key, value;
};
thread_local const Fire* t_fire = nullptr;

std::atomic_ref<uint64_t> word(void* timer, int i) {
  return std::atomic_ref<uint64_t>(static_cast<uint64_t*>(timer)[i]);
}

uint64_t trampoline_helper(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  const Fire* f = t_fire;
  return f->hooks.call_function(f->program, f->target, f->map, f->key, f->value, 0, 0);
}

}  // namespace

struct TimerService::Impl {
  mutable std::mutex mu;
  std::condition_variable wake, done;
  std::unordered_map<uint64_t, Timer> timers;
  uint64_t next_id = 1;
  bool manual = false;
  uint64_t manual_now = 0;
  std::thread thread;
  bool stop = false;
  uint64_t pid = static_cast<uint64_t>(getpid());

  Timer* get(void* timer) {
    uint64_t id = word(timer, 0).load(std::memory_order_acquire);
    if (!id || word(timer, 1).load(std::memory_order_relaxed) != pid) return nullptr;
    auto it = timers.find(id);
    return it == timers.end() ? nullptr : &it->second;
  }
  uint64_t now(int clock) const {
    if (manual) return manual_now;
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
  }
  // Waits (lock held) until the record `id` has no callback running on another thread.
  void wait_idle(std::unique_lock<std::mutex>& lk, uint64_t id) {
    for (;;) {
      auto it = timers.find(id);
      if (it == timers.end() || !it->second.running ||
          it->second.running_on == std::this_thread::get_id())
        return;
      done.wait(lk);
    }
  }
  void ensure_thread() {
    if (!manual && !thread.joinable()) thread = std::thread([this] { loop(); });
  }
  // The earliest due timer, or null; *wait_ns gets the time until the earliest armed one.
  Timer* next_due(uint64_t* wait_ns) {
    Timer* best = nullptr;
    int64_t best_left = 0;
    for (auto& [id, t] : timers) {
      if (!t.armed) continue;
      int64_t left = static_cast<int64_t>(t.deadline - now(t.clock));
      if (!best || left < best_left) best = &t, best_left = left;
    }
    *wait_ns = best ? static_cast<uint64_t>(std::max<int64_t>(best_left, 0)) : ~0ULL;
    return best && best_left <= 0 ? best : nullptr;
  }
  // Runs timer t's callback (lock held on entry and exit, released while it runs).
  void fire(std::unique_lock<std::mutex>& lk, Timer& t) {
    t.armed = false;
    if (!t.has_cb) return;
    t.running = true;
    t.running_on = std::this_thread::get_id();
    uint64_t id = t.id;
    uint32_t key_index = 0;
    Fire f{t.program, t.target,
           t.hooks,   t.runtime,
           t.cpu,     reinterpret_cast<uint64_t>(t.map),
           0,         reinterpret_cast<uint64_t>(t.value)};
    auto regions = t.map->value_regions();
    using platform::MapType;
    MapType mt = t.map->type();
    if (mt == MapType::kArray && !regions.empty()) {
      key_index = static_cast<uint32_t>((t.value - regions[0].data()) / t.map->value_stride());
      f.key = reinterpret_cast<uint64_t>(&key_index);
    } else {
      // Hash-like elements keep the key (rounded to 8 bytes) right before the value.
      f.key = reinterpret_cast<uint64_t>(t.value - round8(t.map->spec().key_size));
    }
    lk.unlock();
    static const std::array<HelperFn, 2> kTable = {nullptr, trampoline_helper};
    const isa::Insn insns[2] = {{isa::kClassJmp | 0x80, 0, 0, 0, 1}, {isa::kClassJmp | 0x90}};
    InterpOptions o;
    o.helpers = kTable;
    o.hooks = f.hooks;
    auto ip = Interpreter::create(insns, o);
    if (ip.ok()) {
      const Fire* prev = t_fire;
      t_fire = &f;
      RunArgs a;
      a.runtime = f.runtime;
      a.cpu = f.cpu;
      (void)ip->run(nullptr, 0, a);
      t_fire = prev;
    }
    lk.lock();
    auto it = timers.find(id);
    if (it != timers.end()) it->second.running = false;
    done.notify_all();
  }
  void loop() {
    std::unique_lock lk(mu);
    while (!stop) {
      if (manual) {
        wake.wait(lk);
        continue;
      }
      uint64_t wait_ns;
      if (Timer* t = next_due(&wait_ns)) {
        fire(lk, *t);
      } else if (wait_ns == ~0ULL) {
        wake.wait(lk);
      } else {
        wake.wait_for(lk, std::chrono::nanoseconds(std::min<uint64_t>(wait_ns, 1000000000ULL)));
      }
    }
  }
  void erase(uint64_t id, void* timer) {
    timers.erase(id);
    word(timer, 0).store(0, std::memory_order_release);
    word(timer, 1).store(0, std::memory_order_relaxed);
  }
};

TimerService::TimerService() : impl_(std::make_unique<Impl>()) {}

TimerService::~TimerService() {
  {
    std::lock_guard g(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

TimerService& TimerService::global() {
  // Never destroyed: maps in other static objects may free their timers during exit.
  static TimerService* s = new TimerService();
  return *s;
}

long TimerService::init(void* timer, Map* map, uint64_t flags) {
  int clock = static_cast<int>(flags & 15);
  if (flags >= 16 ||
      (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME))
    return kEinval;
  if (!map || map->spec().timer_off < 0) return kEperm;
  auto* a = static_cast<uint8_t*>(timer);
  bool inside = false;
  for (auto r : map->value_regions()) inside |= a >= r.data() && a + 16 <= r.data() + r.size();
  if (!inside) return kEperm;  // not a timer of this map
  std::lock_guard g(impl_->mu);
  if (word(timer, 0).load(std::memory_order_acquire) != 0) return kEbusy;
  Timer t;
  t.id = impl_->next_id++;
  t.map = map;
  t.addr = a;
  t.value = a - map->spec().timer_off;
  t.clock = clock;
  word(timer, 1).store(impl_->pid, std::memory_order_relaxed);
  word(timer, 0).store(t.id, std::memory_order_release);
  impl_->timers.emplace(t.id, t);
  return 0;
}

long TimerService::set_callback(void* timer, uint64_t callback_insn) {
  std::lock_guard g(impl_->mu);
  Timer* t = impl_->get(timer);
  if (!t) return kEinval;
  if (const Fire* f = t_fire) {
    // Inside a timer callback: the running program is the one that armed the firing timer.
    t->program = f->program;
    t->hooks = f->hooks;
    t->runtime = f->runtime;
    t->cpu = f->cpu;
  } else {
    RunState* rs = current_run_state();
    if (!rs || !rs->hooks.call_function) return kEopnotsupp;
    t->program = rs->program;
    t->hooks = rs->hooks;
    t->runtime = rs->runtime;
    t->cpu = rs->cpu;
  }
  t->target = callback_insn;
  t->has_cb = true;
  return 0;
}

long TimerService::start(void* timer, uint64_t nsecs, uint64_t flags) {
  if (flags & ~(kTimerAbs | kTimerCpuPin)) return kEinval;
  {
    std::lock_guard g(impl_->mu);
    Timer* t = impl_->get(timer);
    if (!t || !t->has_cb) return kEinval;
    t->deadline = (flags & kTimerAbs) ? nsecs : impl_->now(t->clock) + nsecs;
    t->armed = true;
    impl_->ensure_thread();
  }
  impl_->wake.notify_all();
  return 0;
}

long TimerService::cancel(void* timer) {
  std::unique_lock lk(impl_->mu);
  Timer* t = impl_->get(timer);
  if (!t) return kEinval;
  if (t->running && t->running_on == std::this_thread::get_id()) return kEdeadlk;
  t->has_cb = false;
  uint64_t id = t->id;
  impl_->wait_idle(lk, id);
  auto it = impl_->timers.find(id);
  if (it == impl_->timers.end()) return 0;
  bool was = it->second.armed;
  it->second.armed = false;
  return was ? 1 : 0;
}

void TimerService::free_timer(void* timer) {
  std::unique_lock lk(impl_->mu);
  uint64_t id = word(timer, 0).load(std::memory_order_acquire);
  if (!id) return;
  if (word(timer, 1).load(std::memory_order_relaxed) == impl_->pid) {
    auto it = impl_->timers.find(id);
    if (it != impl_->timers.end()) {
      it->second.armed = false;
      it->second.has_cb = false;
      impl_->wait_idle(lk, id);
    }
  }
  impl_->erase(id, timer);
}

void TimerService::forget_map(const Map* map) {
  std::unique_lock lk(impl_->mu);
  std::vector<std::pair<uint64_t, void*>> mine;
  for (auto& [id, t] : impl_->timers)
    if (t.map == map) {
      t.armed = false;
      t.has_cb = false;
      mine.emplace_back(id, t.addr);
    }
  for (auto& [id, addr] : mine) {
    impl_->wait_idle(lk, id);
    impl_->erase(id, addr);
  }
}

void TimerService::use_manual_clock(uint64_t now_ns) {
  std::lock_guard g(impl_->mu);
  impl_->manual = true;
  impl_->manual_now = now_ns;
}

void TimerService::use_real_clock() {
  {
    std::lock_guard g(impl_->mu);
    impl_->manual = false;
    if (!impl_->timers.empty()) impl_->ensure_thread();
  }
  impl_->wake.notify_all();
}

uint64_t TimerService::now(int clock_id) const {
  std::lock_guard g(impl_->mu);
  return impl_->now(clock_id);
}

size_t TimerService::advance(uint64_t delta_ns) {
  uint64_t to;
  {
    std::lock_guard g(impl_->mu);
    to = impl_->manual_now + delta_ns;
  }
  return advance_to(to);
}

size_t TimerService::advance_to(uint64_t now_ns) {
  std::unique_lock lk(impl_->mu);
  if (!impl_->manual) return 0;
  size_t n = 0;
  for (;;) {
    // Step the clock to each deadline in turn so callbacks see their own firing time.
    Timer* best = nullptr;
    for (auto& [id, t] : impl_->timers)
      if (t.armed && t.deadline <= now_ns && (!best || t.deadline < best->deadline)) best = &t;
    if (!best) break;
    impl_->manual_now = std::max(impl_->manual_now, best->deadline);
    bool had_cb = best->has_cb;
    impl_->fire(lk, *best);
    n += had_cb ? 1 : 0;
  }
  impl_->manual_now = std::max(impl_->manual_now, now_ns);
  return n;
}

size_t TimerService::pending() const {
  std::lock_guard g(impl_->mu);
  size_t n = 0;
  for (auto& [id, t] : impl_->timers) n += t.armed;
  return n;
}

namespace helper_impl {
namespace {
uint64_t R(long v) {
  return static_cast<uint64_t>(static_cast<int64_t>(v));
}
uint64_t timer_init(uint64_t timer, uint64_t map, uint64_t flags, uint64_t, uint64_t) {
  return R(TimerService::global().init(reinterpret_cast<void*>(timer), reinterpret_cast<Map*>(map),
                                       flags));
}
uint64_t timer_set_callback(uint64_t timer, uint64_t fn, uint64_t, uint64_t, uint64_t) {
  return R(TimerService::global().set_callback(reinterpret_cast<void*>(timer), fn));
}
uint64_t timer_start(uint64_t timer, uint64_t nsecs, uint64_t flags, uint64_t, uint64_t) {
  return R(TimerService::global().start(reinterpret_cast<void*>(timer), nsecs, flags));
}
uint64_t timer_cancel(uint64_t timer, uint64_t, uint64_t, uint64_t, uint64_t) {
  return R(TimerService::global().cancel(reinterpret_cast<void*>(timer)));
}
}  // namespace

void add_timers(Table& t) {
  t[169] = timer_init;
  t[170] = timer_set_callback;
  t[171] = timer_start;
  t[172] = timer_cancel;
}
}  // namespace helper_impl

}  // namespace bombus::vm
