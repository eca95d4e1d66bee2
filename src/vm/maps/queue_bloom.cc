// queue, stack and bloom_filter: the keyless maps (push/pop/peek).
// Queue/stack: values in a circular array of max_entries slots; q_tail is the oldest element and
// q_head one past the newest (monotonic counters), both under the header lock. Bloom filter: a
// bit array of a power-of-two size set with atomic OR, k hash functions of the value.
#include <cstring>

#include "vm/maps/map_types.h"

namespace bombus::vm::maps_detail {
namespace {

using platform::MapType;

class QueueMap : public Map {
 public:
  uint8_t* slot(uint64_t pos) const {
    return data() + (pos % spec_.max_entries) * hdr_->value_stride;
  }
  bool stack() const { return type() == MapType::kStack; }

  long push(const void* value, uint64_t flags) override {
    if ((flags & platform::kNoExist) || flags > platform::kExist) return -22;
    shm_lock(&hdr_->lock);
    if (hdr_->q_head - hdr_->q_tail >= spec_.max_entries) {
      if (!(flags & platform::kExist)) {
        shm_unlock(&hdr_->lock);
        return -7;
      }
      ++hdr_->q_tail;  // drop the oldest
    }
    std::memcpy(slot(hdr_->q_head), value, spec_.value_size);
    ++hdr_->q_head;
    shm_unlock(&hdr_->lock);
    return 0;
  }
  long take(void* value, bool remove) {
    shm_lock(&hdr_->lock);
    if (hdr_->q_head == hdr_->q_tail) {
      shm_unlock(&hdr_->lock);
      return -2;
    }
    uint64_t pos = stack() ? hdr_->q_head - 1 : hdr_->q_tail;
    std::memcpy(value, slot(pos), spec_.value_size);
    if (remove) {
      if (stack())
        --hdr_->q_head;
      else
        ++hdr_->q_tail;
    }
    shm_unlock(&hdr_->lock);
    return 0;
  }
  long pop(void* value) override { return take(value, true); }
  long peek(void* value) override { return take(value, false); }
  long update(const void* key, const void* value, uint64_t flags) override {
    return push(value, flags);
  }
  long remove(const void*) override { return -22; }
  long sys_lookup(const void* key, void* value, uint64_t flags) override {
    if (flags) return -22;
    return peek(value);
  }
  long get_next_key(const void*, void*) override { return -22; }
};

uint32_t mix(uint64_t seed, const void* p, uint32_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint64_t h = seed * 0x9E3779B97F4A7C15ULL + n;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, b, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    b += 8;
    n -= 8;
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, b, n);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
  }
  h ^= h >> 29;
  h *= 0x94d049bb133111ebULL;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

class BloomMap : public Map {
 public:
  uint32_t k() const { return spec_.map_extra ? static_cast<uint32_t>(spec_.map_extra) : 5; }
  uint64_t* bits() const { return reinterpret_cast<uint64_t*>(data()); }
  uint64_t bit(uint32_t i, const void* value) const {
    return mix(hdr_->seed + i, value, spec_.value_size) & (uint64_t{hdr_->n_slots} - 1);
  }
  long push(const void* value, uint64_t flags) override {
    if (flags != platform::kAny) return -22;
    for (uint32_t i = 0; i < k(); ++i) {
      uint64_t b = bit(i, value);
      std::atomic_ref<uint64_t>(bits()[b / 64])
          .fetch_or(1ULL << (b % 64), std::memory_order_relaxed);
    }
    return 0;
  }
  long peek(void* value) override {
    for (uint32_t i = 0; i < k(); ++i) {
      uint64_t b = bit(i, value);
      if (!(std::atomic_ref<uint64_t>(bits()[b / 64]).load(std::memory_order_relaxed) &
            (1ULL << (b % 64))))
        return -2;
    }
    return 0;
  }
  long update(const void* key, const void* value, uint64_t flags) override {
    return push(value, flags);
  }
  long remove(const void*) override { return -95; }
  long sys_lookup(const void* key, void* value, uint64_t flags) override {
    if (flags) return -22;
    return peek(value);
  }
  long get_next_key(const void*, void*) override { return -95; }
};

}  // namespace

TypeOps queue_ops(platform::MapType) {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new QueueMap()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    h.n_slots = h.max_entries;
    return static_cast<size_t>(uint64_t{h.max_entries} * h.value_stride);
  };
  return ops;
}

TypeOps bloom_ops() {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new BloomMap()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    uint64_t k = h.map_extra ? h.map_extra : 5;
    uint64_t want = uint64_t{h.max_entries} * k * 3 / 2 + 64;  // ~ n*k/ln2
    uint64_t bits = 64;
    while (bits < want) bits <<= 1;
    if (bits > (1ULL << 32)) return make_error(Errc::kTooBig, "bloom filter too large");
    h.n_slots = static_cast<uint32_t>(bits == (1ULL << 32) ? 0x80000000u : bits);
    return static_cast<size_t>(h.n_slots / 8);
  };
  return ops;
}

}  // namespace bombus::vm::maps_detail
