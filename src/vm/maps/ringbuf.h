// BPF ring buffers (BPF_MAP_TYPE_RINGBUF and USER_RINGBUF) in shared memory, with the kernel's
// record format so a consumer in another process reads them the same way: a consumer page
// (consumer position), a producer page (producer position), then the data area mapped twice in a
// row so a record that wraps is one contiguous range. Each record starts with an 8-byte header
// {u32 len | BUSY bit 31 | DISCARD bit 30, u32 pg_off}; records are 8-byte aligned.
// Producers are serialised by a spin lock (as in the kernel); committing a record is one atomic
// store of its header, so the consumer never takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "vm/maps/map.h"

namespace bombus::vm {

class RingBuf : public Map {
 public:
  static constexpr uint32_t kBusy = 1u << 31, kDiscard = 1u << 30, kHdrSize = 8;

  // ---- producer (bpf_ringbuf_* helpers; for USER_RINGBUF, the user process) ----
  void* reserve(uint64_t size);
  void submit(void* sample, uint64_t flags) { commit(sample, false, flags); }
  void discard(void* sample, uint64_t flags) { commit(sample, true, flags); }
  // Commits a record given only its address (bpf_ringbuf_submit/discard do not name the map):
  // the header's second word holds the record's offset in the ring in 8-byte units.
  static void commit(void* sample, bool discard, uint64_t flags);
  long output(const void* data, uint64_t size, uint64_t flags);
  uint64_t query(uint64_t what) const;

  // ---- consumer ----
  // Calls cb(data, len) for every committed record, in order, and frees them; stops early when
  // cb returns nonzero (that record is consumed). Returns the number of records handled.
  template <typename F>
  long consume(F&& cb, uint64_t max_records = ~0ULL);
  // Blocks until a record may be available or timeout_ms passes (-1: forever). True when data.
  bool wait(int timeout_ms);
  bool empty() const {
    return cons().load(std::memory_order_acquire) == prod().load(std::memory_order_acquire);
  }
  uint64_t size() const { return spec_.max_entries; }
  uint8_t* ring() const { return ring_; }
  // BPF_MAP_TYPE_USER_RINGBUF, the program's side (bpf_user_ringbuf_drain): user space produces
  // with reserve/submit/discard; this hands committed samples in order to cb(data, len), which
  // returns nonzero to stop after its sample, skips discarded ones, stops at a sample still being
  // written, and frees each sample after its callback. Returns the samples handed out, or the
  // kernel's errnos: -EBUSY while another drain runs, -EINVAL for a producer position or sample
  // length that cannot be right, -E2BIG for a sample larger than the ring.
  static constexpr long kMaxUserSamples = 128 * 1024;  // BPF_MAX_USER_RINGBUF_SAMPLES
  template <typename F>
  long drain_user(F&& cb);

  std::vector<std::span<uint8_t>> value_regions() const override;
  long get_next_key(const void*, void*) override { return -22; }
  long sys_lookup(const void*, void*, uint64_t) override { return -22; }
  long sys_update(const void*, const void*, uint64_t) override { return -22; }
  long sys_delete(const void*) override { return -22; }

 protected:
  Status setup() override;

 private:
  static void wake(uint32_t* wake_seq, uint32_t* waiters);
  bool has_room(uint64_t p, uint64_t total);
  std::atomic_ref<uint64_t> cons() const { return std::atomic_ref<uint64_t>(*cons_); }
  std::atomic_ref<uint64_t> prod() const { return std::atomic_ref<uint64_t>(*prod_); }
  uint64_t* cons_ = nullptr;
  uint64_t* prod_ = nullptr;
  uint32_t* wake_seq_ = nullptr;
  uint32_t* waiters_ = nullptr;
  uint32_t* lock_ = nullptr;
  uint32_t* drain_busy_ = nullptr;  // on the consumer page
  uint8_t* ring_ = nullptr;
  uint64_t mask_ = 0;
  uint64_t cons_cache_ = 0;  // last consumer position this process's producers saw (a lower bound)
};

template <typename F>
long RingBuf::consume(F&& cb, uint64_t max_records) {
  uint64_t c = cons().load(std::memory_order_relaxed);
  long n = 0;
  uint64_t p = prod().load(std::memory_order_acquire);
  uint64_t since_store = 0;
  while (static_cast<uint64_t>(n) < max_records) {
    if (c >= p) {
      p = prod().load(std::memory_order_acquire);
      if (c >= p) break;
    }
    auto* hdr = reinterpret_cast<uint32_t*>(ring_ + (c & mask_));
    uint32_t len = std::atomic_ref<uint32_t>(*hdr).load(std::memory_order_acquire);
    if (len & kBusy) break;
    uint32_t data_len = len & ~(kBusy | kDiscard);
    uint64_t next = c + ((data_len + kHdrSize + 7) & ~7ULL);
    int stop = 0;
    if (!(len & kDiscard)) {
      stop = cb(static_cast<void*>(ring_ + (c & mask_) + kHdrSize), static_cast<size_t>(data_len));
      ++n;
    }
    c = next;
    // Publish the consumer position every few KiB (and at the end) rather than per record, so
    // the producer's cache line is not pulled away on every record.
    since_store += data_len + kHdrSize;
    if (since_store >= 4096) {
      cons().store(c, std::memory_order_release);
      since_store = 0;
    }
    if (stop) break;
  }
  cons().store(c, std::memory_order_release);
  return n;
}

template <typename F>
long RingBuf::drain_user(F&& cb) {
  std::atomic_ref<uint32_t> busy(*drain_busy_);
  uint32_t idle = 0;
  if (!busy.compare_exchange_strong(idle, 1, std::memory_order_acquire)) return -16;
  long samples = 0, err = 0;
  while (samples < kMaxUserSamples) {
    uint64_t p = prod().load(std::memory_order_acquire);
    if (p % 8) {
      err = -22;
      break;
    }
    uint64_t c = cons().load(std::memory_order_acquire);
    if (c >= p) break;
    auto* hdr = reinterpret_cast<uint32_t*>(ring_ + (c & mask_));
    uint32_t len = std::atomic_ref<uint32_t>(*hdr).load(std::memory_order_acquire);
    uint32_t flags = len & (kBusy | kDiscard), data_len = len & ~(kBusy | kDiscard);
    uint64_t total = (uint64_t{data_len} + kHdrSize + 7) & ~7ULL;
    if (total > p - c) {
      err = -22;
      break;
    }
    if (total > spec_.max_entries) {
      err = -7;
      break;
    }
    if (flags & kBusy) break;  // not committed yet: nothing more to drain now
    if (flags & kDiscard) {
      cons().store(c + total, std::memory_order_release);
      continue;
    }
    long stop = cb(static_cast<void*>(ring_ + (c & mask_) + kHdrSize), data_len);
    cons().store(c + total, std::memory_order_release);
    ++samples;
    if (stop) break;
  }
  busy.store(0, std::memory_order_release);
  return err ? err : samples;
}

}  // namespace bombus::vm
