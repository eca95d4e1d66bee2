// Array-like maps: array, percpu_array, and the fd arrays (prog_array, array_of_maps,
// cgroup_array, devmap) whose values are ids of other objects. Element i lives at a fixed place
// (per-CPU: i * ncpus + cpu), so lookups are an index computation and never fail for i < max.
#include <cstring>

#include "vm/maps/map_types.h"

namespace bombus::vm::maps_detail {
namespace {

using platform::MapType;

class ArrayMap : public Map {
 public:
  uint8_t* elem(uint32_t i, uint32_t cpu) const {
    size_t slot = percpu_ ? static_cast<size_t>(i) * hdr_->ncpus + cpu : i;
    return data() + slot * hdr_->value_stride;
  }
  Status setup() override {
    percpu_ = type() == MapType::kPercpuArray;
    fd_array_ = type() == MapType::kProgArray || type() == MapType::kArrayOfMaps ||
                type() == MapType::kCgroupArray;
    return {};
  }
  bool index(const void* key, uint32_t* i) const {
    std::memcpy(i, key, 4);
    return *i < spec_.max_entries;
  }

  void* lookup(const void* key) override {
    uint32_t i;
    if (!index(key, &i)) return nullptr;
    if (type() == MapType::kArrayOfMaps) {
      uint32_t id;
      std::memcpy(&id, elem(i, 0), 4);
      return id ? find_map_by_id(id) : nullptr;
    }
    if (fd_array_) return nullptr;
    return elem(i, percpu_ ? cur_cpu() : 0);
  }
  void* lookup_percpu(const void* key, uint32_t cpu) override {
    uint32_t i;
    if (!index(key, &i) || cpu >= hdr_->ncpus) return nullptr;
    return elem(i, percpu_ ? cpu : 0);
  }

  long check_flags(uint64_t flags) const {
    if (flags > platform::kFLock) return -22;
    if ((flags & 3) == 3) return -22;
    if ((flags & platform::kFLock) && spec_.spin_lock_off < 0) return -22;
    return 0;
  }

  long update(const void* key, const void* value, uint64_t flags) override {
    if (long r = check_flags(flags)) return r;
    uint32_t i;
    if (!index(key, &i)) return -7;                     // E2BIG
    if ((flags & 3) == platform::kNoExist) return -17;  // every element exists
    uint8_t* dst = elem(i, percpu_ ? cur_cpu() : 0);
    if (flags & platform::kFLock)
      copy_value_locked(dst, value);
    else
      copy_value(dst, value);
    if (spec_.timer_off >= 0) free_special_fields(dst);  // the kernel cancels the old timer
    return 0;
  }

  long get_next_key(const void* key, void* next) override {
    uint32_t i = 0;
    if (key) std::memcpy(&i, key, 4);
    uint32_t n;
    if (!key || i >= spec_.max_entries)
      n = 0;
    else if (i == spec_.max_entries - 1)
      return -2;
    else
      n = i + 1;
    std::memcpy(next, &n, 4);
    return 0;
  }

  long sys_lookup(const void* key, void* value, uint64_t flags) override {
    if (fd_array_) {
      uint32_t i;
      if (flags) return -22;
      if (!index(key, &i)) return -2;
      uint32_t id;
      std::memcpy(&id, elem(i, 0), 4);
      if (!id) return -2;
      std::memcpy(value, &id, 4);
      return 0;
    }
    return Map::sys_lookup(key, value, flags);
  }

  long sys_update(const void* key, const void* value, uint64_t flags) override {
    if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
    if (fd_array_) {
      if (flags != platform::kAny) return -22;
      uint32_t i;
      if (!index(key, &i)) return -7;
      std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(elem(i, 0)))
          .store(*static_cast<const uint32_t*>(value), std::memory_order_release);
      return 0;
    }
    if (!percpu_) return update(key, value, flags);
    if (flags & platform::kFLock) return -22;
    if (long r = check_flags(flags)) return r;
    uint32_t i;
    if (!index(key, &i)) return -7;
    if ((flags & 3) == platform::kNoExist) return -17;
    for (uint32_t c = 0; c < hdr_->ncpus; ++c)
      copy_value(elem(i, c), static_cast<const uint8_t*>(value) + c * hdr_->value_stride);
    return 0;
  }

  long sys_delete(const void* key) override {
    if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
    if (!fd_array_ && type() != MapType::kDevmap) return -22;
    uint32_t i;
    if (!index(key, &i)) return -22;
    auto a = std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(elem(i, 0)));
    if (type() == MapType::kDevmap) {
      std::memset(elem(i, 0), 0, spec_.value_size);
      return 0;
    }
    return a.exchange(0) ? 0 : -2;
  }
  long remove(const void* key) override {
    return type() == MapType::kDevmap ? sys_delete(key) : -22;
  }

  long for_each(const std::function<long(const void*, void*)>& cb) override {
    long n = 0;
    uint32_t cpu = percpu_ ? cur_cpu() : 0;
    for (uint32_t i = 0; i < spec_.max_entries; ++i) {
      ++n;
      if (cb(&i, elem(i, cpu))) break;
    }
    return n;
  }

  uint8_t* mmap_data() override { return (spec_.flags & platform::kFMmapable) ? data() : nullptr; }

 private:
  bool percpu_ = false;
  bool fd_array_ = false;
};

}  // namespace

TypeOps array_ops(platform::MapType t) {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new ArrayMap()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    uint64_t copies = h.type == static_cast<uint32_t>(MapType::kPercpuArray) ? h.ncpus : 1;
    h.n_slots = h.max_entries;
    return static_cast<size_t>(copies * h.max_entries * h.value_stride);
  };
  return ops;
}

}  // namespace bombus::vm::maps_detail
