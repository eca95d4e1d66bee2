// PerfEventArray: byte rings of {u32 size, u32 pad, data} records, 8-byte aligned; a record that
// would cross the end is preceded by a wrap marker (size 0xffffffff) and written at offset 0.
#include "vm/maps/perf_array.h"

#include <cstring>

#include "vm/maps/map_types.h"

namespace bombus::vm {

namespace {
constexpr uint32_t kWrap = 0xffffffffu;
}

long PerfEventArray::output(uint64_t index, const void* data, uint64_t size) {
  if (index == platform::kFCurrentCpu) index = cur_cpu();
  if (index >= spec_.max_entries) return -7;
  Ring* r = ring(static_cast<uint32_t>(index));
  if (!std::atomic_ref<uint32_t>(r->open).load(std::memory_order_acquire)) return -2;
  uint64_t total = (size + 8 + 7) & ~7ULL;
  if (total > kRingBytes / 2) return -7;
  shm_lock(&r->lock);
  uint64_t head = r->head,
           tail = std::atomic_ref<uint64_t>(r->tail).load(std::memory_order_acquire);
  uint64_t off = head % kRingBytes;
  uint64_t need = total + (off + total > kRingBytes ? kRingBytes - off : 0);
  if (head + need - tail > kRingBytes) {
    ++r->lost;
    shm_unlock(&r->lock);
    return -28;  // ENOSPC, as perf reports a full buffer
  }
  if (off + total > kRingBytes) {
    std::memcpy(bytes(static_cast<uint32_t>(index)) + off, &kWrap, 4);
    head += kRingBytes - off;
    off = 0;
  }
  uint32_t sz = static_cast<uint32_t>(size);
  uint8_t* rec = bytes(static_cast<uint32_t>(index)) + off;
  std::memcpy(rec, &sz, 4);
  std::memcpy(rec + 8, data, size);
  std::atomic_ref<uint64_t>(r->head).store(head + total, std::memory_order_release);
  shm_unlock(&r->lock);
  return 0;
}

void PerfEventArray::open_slot(uint32_t index, bool open) {
  if (index < spec_.max_entries)
    std::atomic_ref<uint32_t>(ring(index)->open).store(open ? 1 : 0, std::memory_order_release);
}

long PerfEventArray::consume(const std::function<void(uint32_t, const void*, uint32_t)>& sample,
                             const std::function<void(uint32_t, uint64_t)>& lost) {
  long n = 0;
  for (uint32_t i = 0; i < spec_.max_entries; ++i) {
    Ring* r = ring(i);
    if (lost) {
      uint64_t l = std::atomic_ref<uint64_t>(r->lost).exchange(0);
      if (l) lost(i, l);
    }
    uint64_t tail = r->tail;
    uint64_t head = std::atomic_ref<uint64_t>(r->head).load(std::memory_order_acquire);
    while (tail < head) {
      uint64_t off = tail % kRingBytes;
      uint32_t sz;
      std::memcpy(&sz, bytes(i) + off, 4);
      if (sz == kWrap) {
        tail += kRingBytes - off;
        continue;
      }
      if (sample) sample(i, bytes(i) + off + 8, sz);
      ++n;
      tail += (uint64_t{sz} + 8 + 7) & ~7ULL;
    }
    std::atomic_ref<uint64_t>(r->tail).store(tail, std::memory_order_release);
  }
  return n;
}

long PerfEventArray::get_next_key(const void* key, void* next) {
  uint32_t i = 0, n;
  if (key) std::memcpy(&i, key, 4);
  if (!key || i >= spec_.max_entries)
    n = 0;
  else if (i + 1 >= spec_.max_entries)
    return -2;
  else
    n = i + 1;
  std::memcpy(next, &n, 4);
  return 0;
}

namespace maps_detail {
TypeOps perf_array_ops() {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new PerfEventArray()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    h.n_slots = h.max_entries;
    return static_cast<size_t>(h.max_entries) *
           (sizeof(PerfEventArray::Ring) + PerfEventArray::kRingBytes);
  };
  return ops;
}
}  // namespace maps_detail

}  // namespace bombus::vm
