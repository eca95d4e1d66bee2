// vm::Map: the eBPF maps, with the kernel's semantics, flags and error codes, living in shared
// memory (shm.h) so several threads and processes use one map at once.
//
// Two faces:
//  - program side (helpers, inlined by engines): lookup() returns a pointer into the shared
//    value storage (per-CPU maps: the copy of the current execution slot); update/remove/push/
//    pop/peek return 0 or a negative errno exactly as the kernel's helpers do.
//  - user side (the bpf() syscall's commands, used by the runtime facade and the CLI):
//    sys_lookup copies the value out (per-CPU maps: every slot's copy, each rounded up to 8
//    bytes), sys_update/sys_delete honour BPF_F_RDONLY/freeze, get_next_key restarts from the
//    first key when the key is null or missing, batch operations walk with a key cursor.
//
// Concurrency: lookups take no locks; updates are atomic per element (hash maps link a fully
// written element in under a per-bucket lock, readers validate with a per-bucket sequence
// counter); bpf_spin_lock and atomic instructions on values work across processes because the
// values are in MAP_SHARED memory. Element slots are preallocated, as the kernel preallocates.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "platform/uapi.h"
#include "vm/maps/shm.h"

namespace bombus::vm {

struct MapSpec {
  platform::MapType type = platform::MapType::kUnspec;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;          // BPF_F_*
  uint64_t map_extra = 0;      // bloom filter: number of hash functions (0 = 5)
  std::string name;            // up to 15 characters are kept in the map file
  int32_t spin_lock_off = -1;  // offset of a struct bpf_spin_lock in the value (from BTF)
  int32_t timer_off = -1;      // offset of a struct bpf_timer in the value (from BTF)
};

struct MapOptions {
  std::string dir;     // where the map file is created ("" = anonymous memfd)
  std::string file;    // file name inside dir ("" = "map-<id>-<name>")
  uint32_t ncpus = 0;  // execution slots for per-CPU maps (0 = hardware threads)
  uint32_t id = 0;     // the map's id (store id), written in the header
};

namespace map_layout {
inline constexpr uint64_t kMagic = 0x3150414d53554d42ULL;  // "BMUSMAP1"
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderSize = 4096;

// First page of every map file. Fields up to `name` never change after creation.
struct Header {
  uint64_t magic;
  uint32_t version;
  uint32_t type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t flags;
  uint32_t ncpus;
  uint32_t id;
  int32_t spin_lock_off;
  int32_t timer_off;
  uint64_t map_extra;
  uint64_t total_size;
  char name[16];
  // Layout of the type-specific area (set at creation).
  uint32_t n_buckets;
  uint32_t n_slots;
  uint32_t elem_size;
  uint32_t value_stride;
  uint64_t seed;
  uint64_t data_off;  // start of the type-specific area (page aligned)
  // Mutable, accessed atomically.
  uint32_t frozen;
  uint32_t writable_mmaps;
  uint32_t count;           // elements in hash-like maps
  uint32_t lock;            // general-purpose lock (free list, queue, ring producer)
  uint32_t free_head;       // free slot list (1-based, 0 = empty)
  uint32_t lru_hand;        // clock hand for LRU eviction
  uint64_t q_head, q_tail;  // queue/stack positions
  uint64_t reserved[32];
};
static_assert(sizeof(Header) <= kHeaderSize);
}  // namespace map_layout

class Map;
// Resolves a map id (map-in-map values, store references) to a live map in this process.
Map* find_map_by_id(uint32_t id);
void register_map_id(uint32_t id, Map* m);
void unregister_map_id(uint32_t id, Map* m);

class Map {
 public:
  virtual ~Map();

  // Creates a map (validating the spec like BPF_MAP_CREATE: -EINVAL conditions become kInvalid
  // errors naming the offending attribute).
  static Result<std::unique_ptr<Map>> create(const MapSpec& spec, const MapOptions& opts = {});
  // Maps an existing map file (created by this or another process).
  static Result<std::unique_ptr<Map>> open(const std::string& path);

  const MapSpec& spec() const { return spec_; }
  platform::MapType type() const { return spec_.type; }
  uint32_t ncpus() const { return hdr_->ncpus; }
  uint32_t id() const { return hdr_->id; }
  const std::string& path() const { return region_.path(); }
  int fd() const { return region_.fd(); }
  uint32_t value_stride() const { return hdr_->value_stride; }
  bool is_percpu() const;
  // Size of the value buffer for the user-side calls (ncpus * round_up(value, 8) for per-CPU).
  uint32_t user_value_size() const;

  // ---- program side ----
  virtual void* lookup(const void* key) { return nullptr; }
  virtual void* lookup_percpu(const void* key, uint32_t cpu) { return nullptr; }
  virtual long update(const void* key, const void* value, uint64_t flags) { return -95; }
  virtual long remove(const void* key) { return -95; }
  virtual long push(const void* value, uint64_t flags) { return -95; }
  virtual long pop(void* value) { return -95; }
  virtual long peek(void* value) { return -95; }
  // Visits elements (for_each_map_elem): cb(key, value) returns nonzero to stop. Returns the
  // number of elements visited.
  virtual long for_each(const std::function<long(const void* key, void* value)>& cb) { return -95; }

  // ---- user side (0 or negative errno) ----
  virtual long sys_lookup(const void* key, void* value, uint64_t flags);
  virtual long sys_update(const void* key, const void* value, uint64_t flags);
  virtual long sys_delete(const void* key);
  virtual long sys_lookup_and_delete(const void* key, void* value, uint64_t flags);
  virtual long get_next_key(const void* key, void* next_key) { return -95; }
  // BPF_MAP_*_BATCH: processes up to *count elements starting after `in_cursor` (a key; null =
  // from the start), stores the last key processed in out_cursor; *count becomes the number
  // done. Returns -ENOENT when the end was reached (elements may still have been returned).
  long lookup_batch(const void* in_cursor, void* out_cursor, void* keys, void* values,
                    uint32_t* count, bool and_delete);
  long update_batch(const void* keys, const void* values, uint32_t* count, uint64_t flags);
  long delete_batch(const void* keys, uint32_t* count);
  // BPF_MAP_FREEZE: -EBUSY when already frozen or mmap'd writable.
  long freeze();
  bool frozen() const;

  // Memory programs reach through lookup(): for the checked engine's registry.
  virtual std::vector<std::span<uint8_t>> value_regions() const;
  // BPF_F_MMAPABLE arrays: the value array, for mmap-like direct access.
  virtual uint8_t* mmap_data() { return nullptr; }

 protected:
  Map() = default;
  // Allocates the file: header + `data_bytes` of type area.
  Status init_region(const MapSpec& spec, const MapOptions& opts, size_t data_bytes,
                     size_t double_map_from = 0);
  Status attach_region(SharedRegion r);
  uint8_t* data() const { return region_.data() + hdr_->data_off; }
  uint32_t cur_cpu() const;
  // Copies a value into map storage, leaving bpf_spin_lock / bpf_timer fields alone.
  void copy_value(void* dst, const void* src) const;
  void copy_value_locked(void* dst, const void* src) const;  // under the value's spin lock
  void read_value_locked(void* dst, const void* src) const;
  // The value is deleted or overwritten: frees its bpf_timer (cancelling it), as the kernel's
  // bpf_obj_free_fields does.
  void free_special_fields(void* value);
  // Zeroes bpf_spin_lock / bpf_timer in a value copied out to user space.
  void zero_special_fields(void* value) const;
  virtual Status setup() { return {}; }  // per-type init after region creation/attach

  MapSpec spec_;
  SharedRegion region_;
  map_layout::Header* hdr_ = nullptr;
};

// Spin lock on a u32 in shared memory (bpf_spin_lock, bucket locks).
void shm_lock(uint32_t* word);
void shm_unlock(uint32_t* word);

inline uint32_t round8(uint32_t n) {
  return (n + 7) & ~7u;
}

}  // namespace bombus::vm
