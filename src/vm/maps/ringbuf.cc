// RingBuf: reserve/commit under the producer lock, futex wake-ups for waiting consumers.
#include "vm/maps/ringbuf.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vm/maps/map_types.h"

namespace bombus::vm {

namespace {
size_t page_size() {
  return static_cast<size_t>(sysconf(_SC_PAGESIZE));
}
}  // namespace

Status RingBuf::setup() {
  size_t pg = page_size();
  cons_ = reinterpret_cast<uint64_t*>(data());
  prod_ = reinterpret_cast<uint64_t*>(data() + pg);
  wake_seq_ = reinterpret_cast<uint32_t*>(data() + pg + 64);
  waiters_ = reinterpret_cast<uint32_t*>(data() + pg + 128);
  lock_ = reinterpret_cast<uint32_t*>(data() + pg + 192);
  drain_busy_ = reinterpret_cast<uint32_t*>(data() + 64);
  ring_ = data() + 2 * pg;
  mask_ = spec_.max_entries - 1;
  return {};
}

// Room for `total` bytes at producer position p? The consumer position is re-read only when
// the cached one says the ring is full, so a producer touches the consumer's cache line about
// once per lap instead of once per record. Called under the producer lock.
bool RingBuf::has_room(uint64_t p, uint64_t total) {
  if (p + total - cons_cache_ <= spec_.max_entries) return true;
  cons_cache_ = cons().load(std::memory_order_acquire);
  return p + total - cons_cache_ <= spec_.max_entries;
}

void* RingBuf::reserve(uint64_t size) {
  if (size > spec_.max_entries - kHdrSize || size > 0x3fffffff) return nullptr;
  uint64_t total = (size + kHdrSize + 7) & ~7ULL;
  shm_lock(lock_);
  uint64_t p = prod().load(std::memory_order_relaxed);
  if (!has_room(p, total)) {
    shm_unlock(lock_);
    return nullptr;
  }
  uint8_t* rec = ring_ + (p & mask_);
  uint32_t hdr[2] = {static_cast<uint32_t>(size) | kBusy, static_cast<uint32_t>((p & mask_) >> 3)};
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(rec))
      .store(hdr[0], std::memory_order_relaxed);
  std::memcpy(rec + 4, &hdr[1], 4);
  prod().store(p + total, std::memory_order_release);
  shm_unlock(lock_);
  return rec + kHdrSize;
}

void RingBuf::commit(void* sample, bool discard, uint64_t flags) {
  auto* hdr = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(sample) - kHdrSize);
  std::atomic_ref<uint32_t> a(*hdr);
  uint32_t len = a.load(std::memory_order_relaxed) & ~kBusy;
  if (discard) len |= kDiscard;
  a.store(len, std::memory_order_release);
  if (flags & platform::kRbNoWakeup) return;
  uint8_t* ring = reinterpret_cast<uint8_t*>(hdr) - static_cast<size_t>(hdr[1]) * 8;
  uint8_t* prod_page = ring - page_size();
  wake(reinterpret_cast<uint32_t*>(prod_page + 64), reinterpret_cast<uint32_t*>(prod_page + 128));
}

// bpf_ringbuf_output: the record is small and already complete, so it is written whole under the
// producer lock and published committed (no BUSY phase, no second header store).
long RingBuf::output(const void* data, uint64_t size, uint64_t flags) {
  if (flags & ~(platform::kRbNoWakeup | platform::kRbForceWakeup)) return -22;
  if (size > spec_.max_entries - kHdrSize || size > 0x3fffffff) return -11;
  uint64_t total = (size + kHdrSize + 7) & ~7ULL;
  shm_lock(lock_);
  uint64_t p = prod().load(std::memory_order_relaxed);
  if (!has_room(p, total)) {
    shm_unlock(lock_);
    return -11;  // EAGAIN
  }
  uint8_t* rec = ring_ + (p & mask_);
  std::memcpy(rec + kHdrSize, data, size);
  uint32_t pg = static_cast<uint32_t>((p & mask_) >> 3);
  std::memcpy(rec + 4, &pg, 4);
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(rec))
      .store(static_cast<uint32_t>(size), std::memory_order_release);
  prod().store(p + total, std::memory_order_release);
  shm_unlock(lock_);
  if (!(flags & platform::kRbNoWakeup)) wake(wake_seq_, waiters_);
  return 0;
}

uint64_t RingBuf::query(uint64_t what) const {
  switch (what) {
    case platform::kRbAvailData:
      return prod().load(std::memory_order_acquire) - cons().load(std::memory_order_acquire);
    case platform::kRbRingSize:
      return spec_.max_entries;
    case platform::kRbConsPos:
      return cons().load(std::memory_order_acquire);
    case platform::kRbProdPos:
      return prod().load(std::memory_order_acquire);
    default:
      return 0;
  }
}

void RingBuf::wake(uint32_t* wake_seq, uint32_t* waiters) {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with wait()'s waiters increment
  if (std::atomic_ref<uint32_t>(*waiters).load(std::memory_order_acquire)) {
    std::atomic_ref<uint32_t>(*wake_seq).fetch_add(1, std::memory_order_release);
    syscall(SYS_futex, wake_seq, FUTEX_WAKE, 0x7fffffff, nullptr, nullptr, 0);
  }
}

bool RingBuf::wait(int timeout_ms) {
  std::atomic_ref<uint32_t> seq(*wake_seq_);
  uint32_t s = seq.load(std::memory_order_acquire);
  if (!empty()) return true;
  std::atomic_ref<uint32_t>(*waiters_).fetch_add(1);
  if (empty()) {
    timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    syscall(SYS_futex, wake_seq_, FUTEX_WAIT, s, timeout_ms < 0 ? nullptr : &ts, nullptr, 0);
  }
  std::atomic_ref<uint32_t>(*waiters_).fetch_sub(1);
  return !empty();
}

std::vector<std::span<uint8_t>> RingBuf::value_regions() const {
  return {std::span<uint8_t>(ring_, 2 * static_cast<size_t>(spec_.max_entries))};
}

namespace maps_detail {
TypeOps ringbuf_ops(platform::MapType) {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new RingBuf()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    h.n_slots = 0;
    return 2 * page_size() + h.max_entries;
  };
  ops.ring_from = [](const map_layout::Header& h) -> size_t {
    return map_layout::kHeaderSize + 2 * page_size();
  };
  return ops;
}
}  // namespace maps_detail

}  // namespace bombus::vm
