// Map base: creation/opening of map files, the id registry, user-side defaults, batch ops,
// freeze, and the shared-memory spin lock.
#include "vm/maps/map.h"

#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "vm/abi.h"
#include "vm/helpers/timers.h"
#include "vm/maps/map_types.h"
#include "vm/maps/redirect_maps.h"

namespace bombus::vm {

using platform::MapType;
using namespace maps_detail;

namespace {
std::mutex g_ids_mu;
std::unordered_map<uint32_t, Map*>& ids() {
  static std::unordered_map<uint32_t, Map*> m;
  return m;
}

TypeOps ops_for(MapType t) {
  switch (t) {
    case MapType::kArray:
    case MapType::kPercpuArray:
    case MapType::kProgArray:
    case MapType::kArrayOfMaps:
    case MapType::kDevmap:
    case MapType::kCgroupArray:
      return array_ops(t);
    case MapType::kHash:
    case MapType::kPercpuHash:
    case MapType::kLruHash:
    case MapType::kLruPercpuHash:
    case MapType::kHashOfMaps:
    case MapType::kDevmapHash:
      return hash_ops(t);
    case MapType::kLpmTrie:
      return lpm_ops();
    case MapType::kQueue:
    case MapType::kStack:
      return queue_ops(t);
    case MapType::kBloomFilter:
      return bloom_ops();
    case MapType::kRingbuf:
    case MapType::kUserRingbuf:
      return ringbuf_ops(t);
    case MapType::kPerfEventArray:
      return perf_array_ops();
    case MapType::kCpumap:
    case MapType::kXskmap:
      return redirect_map_ops(t);
    default:
      return {};
  }
}

uint32_t default_ncpus() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}
}  // namespace

Map* find_map_by_id(uint32_t id) {
  std::lock_guard g(g_ids_mu);
  auto it = ids().find(id);
  return it == ids().end() ? nullptr : it->second;
}
void register_map_id(uint32_t id, Map* m) {
  std::lock_guard g(g_ids_mu);
  ids()[id] = m;
}
void unregister_map_id(uint32_t id, Map* m) {
  std::lock_guard g(g_ids_mu);
  auto it = ids().find(id);
  if (it != ids().end() && it->second == m) ids().erase(it);
}

void shm_lock(uint32_t* word) {
  std::atomic_ref<uint32_t> a(*word);
  for (int spins = 0;; ++spins) {
    uint32_t exp = 0;
    if (a.load(std::memory_order_relaxed) == 0 &&
        a.compare_exchange_weak(exp, 1, std::memory_order_acquire))
      return;
    if (spins < 64)
      __builtin_ia32_pause();
    else
      sched_yield();
  }
}
void shm_unlock(uint32_t* word) {
  std::atomic_ref<uint32_t>(*word).store(0, std::memory_order_release);
}

Map::~Map() {
  if (spec_.timer_off >= 0) TimerService::global().forget_map(this);
  if (hdr_) unregister_map_id(hdr_->id, this);
}

void Map::free_special_fields(void* value) {
  if (spec_.timer_off >= 0)
    TimerService::global().free_timer(static_cast<uint8_t*>(value) + spec_.timer_off);
}

bool Map::is_percpu() const {
  return spec_.type == MapType::kPercpuArray || spec_.type == MapType::kPercpuHash ||
         spec_.type == MapType::kLruPercpuHash;
}

uint32_t Map::user_value_size() const {
  return is_percpu() ? hdr_->ncpus * round8(spec_.value_size) : spec_.value_size;
}

uint32_t Map::cur_cpu() const {
  RunState* s = current_run_state();
  uint32_t c = s ? s->cpu : 0;
  return c < hdr_->ncpus ? c : c % hdr_->ncpus;
}

void Map::copy_value(void* dst, const void* src) const {
  auto* d = static_cast<uint8_t*>(dst);
  auto* s = static_cast<const uint8_t*>(src);
  uint32_t n = spec_.value_size;
  if (spec_.spin_lock_off < 0 && spec_.timer_off < 0) {
    std::memcpy(d, s, n);
    return;
  }
  // Copy around the special fields (each skipped range: lock 4 bytes, timer 16 bytes).
  struct Skip {
    int32_t off, len;
  } skips[2] = {{spec_.spin_lock_off, 4}, {spec_.timer_off, 16}};
  if (skips[0].off > skips[1].off) std::swap(skips[0], skips[1]);
  uint32_t pos = 0;
  for (auto& k : skips) {
    if (k.off < 0) continue;
    std::memcpy(d + pos, s + pos, k.off - pos);
    pos = k.off + k.len;
  }
  if (pos < n) std::memcpy(d + pos, s + pos, n - pos);
}

void Map::copy_value_locked(void* dst, const void* src) const {
  auto* lock = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(dst) + spec_.spin_lock_off);
  shm_lock(lock);
  copy_value(dst, src);
  shm_unlock(lock);
}

void Map::read_value_locked(void* dst, const void* src) const {
  auto* lock = reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(static_cast<const uint8_t*>(src)) +
                                           spec_.spin_lock_off);
  shm_lock(lock);
  std::memcpy(dst, src, spec_.value_size);
  shm_unlock(lock);
  // The kernel zeroes the lock field in what it hands back.
  std::memset(static_cast<uint8_t*>(dst) + spec_.spin_lock_off, 0, 4);
}

Status maps_detail::validate_spec(const MapSpec& s) {
  auto bad = [&](const std::string& what) {
    return make_error(Errc::kInvalid, "map '" + s.name + "': " + what);
  };
  using namespace platform;
  const uint32_t known = kFNoPrealloc | kFNoCommonLru | kFNumaNode | kFRdonly | kFWronly |
                         kFStackBuildId | kFZeroSeed | kFRdonlyProg | kFWronlyProg | kFClone |
                         kFMmapable | kFPreserveElems | kFInnerMap;
  if (s.flags & ~known) return bad("unknown map_flags 0x" + std::to_string(s.flags));
  if ((s.flags & kFRdonly) && (s.flags & kFWronly)) return bad("BPF_F_RDONLY with BPF_F_WRONLY");
  if ((s.flags & kFRdonlyProg) && (s.flags & kFWronlyProg))
    return bad("BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG");
  if ((s.flags & kFMmapable) && s.type != MapType::kArray)
    return bad("BPF_F_MMAPABLE is only for array maps");
  if (s.spin_lock_off >= 0 && static_cast<uint32_t>(s.spin_lock_off) + 4 > s.value_size)
    return bad("bpf_spin_lock outside the value");
  if (s.timer_off >= 0 && static_cast<uint32_t>(s.timer_off) + 16 > s.value_size)
    return bad("bpf_timer outside the value");
  auto need = [&](bool cond, const std::string& what) -> Status {
    if (!cond) return bad(what);
    return {};
  };
  switch (s.type) {
    case MapType::kArray:
    case MapType::kPercpuArray:
      BOMBUS_TRY(need(s.key_size == 4, "key_size must be 4 for array maps"));
      BOMBUS_TRY(need(s.value_size > 0, "value_size must be > 0"));
      BOMBUS_TRY(need(s.max_entries > 0, "max_entries must be > 0"));
      if (s.type == MapType::kPercpuArray && s.value_size > 32768)
        return make_error(Errc::kTooBig, "map '" + s.name + "': per-CPU value_size over 32768");
      if (static_cast<uint64_t>(round8(s.value_size)) * s.max_entries > (1ULL << 34))
        return make_error(Errc::kTooBig, "map '" + s.name + "': array too large");
      return {};
    case MapType::kProgArray:
    case MapType::kPerfEventArray:
    case MapType::kArrayOfMaps:
    case MapType::kCgroupArray:
      BOMBUS_TRY(need(s.key_size == 4 && s.value_size == 4, "key_size and value_size must be 4"));
      BOMBUS_TRY(need(s.max_entries > 0, "max_entries must be > 0"));
      return {};
    case MapType::kDevmap:
    case MapType::kDevmapHash:
      BOMBUS_TRY(need(s.key_size == 4 && (s.value_size == 4 || s.value_size == 8),
                      "devmap needs key_size 4 and value_size 4 or 8"));
      BOMBUS_TRY(need(s.max_entries > 0, "max_entries must be > 0"));
      return {};
    case MapType::kCpumap:
      // The kernel's cpu_map_alloc: struct bpf_cpumap_val up to qsize or up to bpf_prog.fd.
      BOMBUS_TRY(need(s.key_size == 4 && (s.value_size == 4 || s.value_size == 8),
                      "cpumap needs key_size 4 and value_size 4 or 8"));
      BOMBUS_TRY(need(s.max_entries > 0, "max_entries must be > 0"));
      BOMBUS_TRY(need((s.flags & ~kFNumaNode) == 0, "cpumap takes no map_flags but NUMA_NODE"));
      if (s.max_entries > kCpumapMaxEntries)
        return make_error(Errc::kTooBig, "map '" + s.name + "': cpumap max_entries over " +
                                             std::to_string(kCpumapMaxEntries));
      return {};
    case MapType::kXskmap:
      BOMBUS_TRY(need(s.key_size == 4 && s.value_size == 4, "key_size and value_size must be 4"));
      BOMBUS_TRY(need(s.max_entries > 0, "max_entries must be > 0"));
      BOMBUS_TRY(need((s.flags & ~(kFNumaNode | kFRdonly | kFWronly)) == 0,
                      "xskmap takes only NUMA_NODE, RDONLY and WRONLY map_flags"));
      return {};
    case MapType::kHash:
    case MapType::kPercpuHash:
    case MapType::kLruHash:
    case MapType::kLruPercpuHash:
    case MapType::kHashOfMaps:
      BOMBUS_TRY(need(s.key_size > 0 && s.value_size > 0 && s.max_entries > 0,
                      "key_size, value_size and max_entries must be > 0"));
      if (s.type == MapType::kHashOfMaps && s.value_size != 4) return bad("value_size must be 4");
      if ((s.flags & kFNoCommonLru) && s.type != MapType::kLruHash &&
          s.type != MapType::kLruPercpuHash)
        return bad("BPF_F_NO_COMMON_LRU is only for LRU maps");
      if ((s.flags & kFNoPrealloc) &&
          (s.type == MapType::kLruHash || s.type == MapType::kLruPercpuHash))
        return make_error(Errc::kUnsupported, "map '" + s.name +
                                                  "': LRU maps are always preallocated "
                                                  "(BPF_F_NO_PREALLOC is not supported)");
      if (s.key_size > 512)
        return make_error(Errc::kTooBig, "map '" + s.name + "': key_size over 512");
      if (s.value_size > (1u << 20) || (s.type == MapType::kPercpuHash && s.value_size > 32768))
        return make_error(Errc::kTooBig, "map '" + s.name + "': value_size too large");
      return {};
    case MapType::kLpmTrie:
      BOMBUS_TRY(need(s.key_size >= 5 && s.key_size <= 4 + 256,
                      "lpm_trie key_size must be 5..260 (prefixlen + data)"));
      BOMBUS_TRY(
          need(s.value_size > 0 && s.max_entries > 0, "value_size and max_entries must be > 0"));
      BOMBUS_TRY(need(s.flags & kFNoPrealloc, "lpm_trie requires BPF_F_NO_PREALLOC"));
      return {};
    case MapType::kQueue:
    case MapType::kStack:
      BOMBUS_TRY(need(s.key_size == 0, "key_size must be 0 for queue/stack"));
      BOMBUS_TRY(
          need(s.value_size > 0 && s.max_entries > 0, "value_size and max_entries must be > 0"));
      return {};
    case MapType::kBloomFilter:
      BOMBUS_TRY(need(s.key_size == 0, "key_size must be 0 for bloom_filter"));
      BOMBUS_TRY(
          need(s.value_size > 0 && s.max_entries > 0, "value_size and max_entries must be > 0"));
      BOMBUS_TRY(need((s.map_extra & ~0xfULL) == 0, "map_extra must be the hash count (0..15)"));
      return {};
    case MapType::kRingbuf:
    case MapType::kUserRingbuf: {
      uint32_t n = s.max_entries;
      long page = sysconf(_SC_PAGESIZE);
      BOMBUS_TRY(need(s.key_size == 0 && s.value_size == 0, "key_size and value_size must be 0"));
      BOMBUS_TRY(need(n > 0 && (n & (n - 1)) == 0 && n % page == 0,
                      "max_entries must be a power of 2 and a multiple of the page size"));
      return {};
    }
    default:
      return make_error(Errc::kUnsupported, "map '" + s.name + "': map type " +
                                                std::to_string(static_cast<uint32_t>(s.type)) +
                                                " (" + std::string(map_type_name(s.type)) +
                                                ") is not supported");
  }
}

Result<std::unique_ptr<Map>> Map::create(const MapSpec& spec, const MapOptions& opts) {
  BOMBUS_TRY(validate_spec(spec));
  TypeOps ops = ops_for(spec.type);
  if (!ops.make) return make_error(Errc::kUnsupported, "map type not supported");
  std::unique_ptr<Map> m = ops.make();
  m->spec_ = spec;
  map_layout::Header h{};
  h.type = static_cast<uint32_t>(spec.type);
  h.key_size = spec.key_size;
  h.value_size = spec.value_size;
  h.max_entries = spec.max_entries;
  h.flags = spec.flags;
  h.ncpus = opts.ncpus ? opts.ncpus : default_ncpus();
  h.map_extra = spec.map_extra;
  h.value_stride = round8(spec.value_size);
  size_t bytes;
  BOMBUS_ASSIGN_OR_RETURN(bytes, ops.layout(h));
  m->spec_.max_entries = h.max_entries;  // a layout may round it (per-CPU LRU lists)
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  h.data_off = map_layout::kHeaderSize;
  h.total_size = (h.data_off + bytes + page - 1) / page * page;
  std::string file = opts.file.empty()
                         ? "map-" + std::to_string(opts.id) + "-" + spec.name.substr(0, 15)
                         : opts.file;
  size_t ring_from = ops.ring_from ? ops.ring_from(h) : 0;
  BOMBUS_ASSIGN_OR_RETURN(m->region_,
                          SharedRegion::create(opts.dir, file, h.total_size, ring_from));
  auto* hdr = reinterpret_cast<map_layout::Header*>(m->region_.data());
  h.magic = map_layout::kMagic;
  h.version = map_layout::kVersion;
  h.id = opts.id;
  h.spin_lock_off = spec.spin_lock_off;
  h.timer_off = spec.timer_off;
  std::strncpy(h.name, spec.name.c_str(), sizeof(h.name) - 1);
  if (!(spec.flags & platform::kFZeroSeed))
    h.seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  std::memcpy(hdr, &h, sizeof(h));
  m->hdr_ = hdr;
  BOMBUS_TRY(m->setup());
  if (opts.id) register_map_id(opts.id, m.get());
  return m;
}

Result<std::unique_ptr<Map>> Map::open(const std::string& path) {
  BOMBUS_ASSIGN_OR_RETURN(SharedRegion r, SharedRegion::open(path));
  if (r.size() < map_layout::kHeaderSize)
    return make_error(Errc::kInvalid, path + ": not a bombus map file (too short)");
  map_layout::Header h;
  std::memcpy(&h, r.data(), sizeof(h));
  if (h.magic != map_layout::kMagic || h.version != map_layout::kVersion)
    return make_error(Errc::kInvalid, path + ": not a bombus map file (bad magic or version)");
  if (h.total_size != r.size())
    return make_error(Errc::kInvalid, path + ": map file size does not match its header");
  MapSpec spec;
  spec.type = static_cast<MapType>(h.type);
  spec.key_size = h.key_size;
  spec.value_size = h.value_size;
  spec.max_entries = h.max_entries;
  spec.flags = h.flags;
  spec.map_extra = h.map_extra;
  spec.name = std::string(h.name, strnlen(h.name, sizeof(h.name)));
  spec.spin_lock_off = h.spin_lock_off;
  spec.timer_off = h.timer_off;
  BOMBUS_TRY(validate_spec(spec));
  TypeOps ops = ops_for(spec.type);
  map_layout::Header check = h;
  BOMBUS_ASSIGN_OR_RETURN(size_t bytes, ops.layout(check));
  if (check.n_slots != h.n_slots || check.n_buckets != h.n_buckets ||
      h.data_off + bytes > h.total_size)
    return make_error(Errc::kInvalid, path + ": map file layout does not match its header");
  size_t ring_from = ops.ring_from ? ops.ring_from(h) : 0;
  if (ring_from) {
    BOMBUS_ASSIGN_OR_RETURN(r, r.remap(ring_from));
  }
  std::unique_ptr<Map> m = ops.make();
  m->spec_ = spec;
  m->region_ = std::move(r);
  m->hdr_ = reinterpret_cast<map_layout::Header*>(m->region_.data());
  BOMBUS_TRY(m->setup());
  return m;
}

long Map::sys_lookup(const void* key, void* value, uint64_t flags) {
  if (spec_.flags & platform::kFWronly) return -1;  // EPERM
  if (flags & ~platform::kFLock) return -22;
  if ((flags & platform::kFLock) && spec_.spin_lock_off < 0) return -22;
  if (is_percpu()) {
    if (flags) return -22;
    uint32_t stride = round8(spec_.value_size);
    void* first = lookup_percpu(key, 0);
    if (!first) return -2;
    for (uint32_t c = 0; c < hdr_->ncpus; ++c) {
      void* v = lookup_percpu(key, c);
      std::memset(static_cast<uint8_t*>(value) + c * stride, 0, stride);
      std::memcpy(static_cast<uint8_t*>(value) + c * stride, v, spec_.value_size);
    }
    return 0;
  }
  void* v = lookup(key);
  if (!v) return -2;
  if (flags & platform::kFLock)
    read_value_locked(value, v);
  else
    std::memcpy(value, v, spec_.value_size);
  zero_special_fields(value);
  return 0;
}

void Map::zero_special_fields(void* value) const {
  // The kernel hands values back with bpf_spin_lock and bpf_timer zeroed.
  auto* d = static_cast<uint8_t*>(value);
  if (spec_.spin_lock_off >= 0) std::memset(d + spec_.spin_lock_off, 0, 4);
  if (spec_.timer_off >= 0) std::memset(d + spec_.timer_off, 0, 16);
}

long Map::sys_update(const void* key, const void* value, uint64_t flags) {
  if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
  return update(key, value, flags);
}

long Map::sys_delete(const void* key) {
  if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
  return remove(key);
}

long Map::sys_lookup_and_delete(const void* key, void* value, uint64_t flags) {
  if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
  if (type() == MapType::kQueue || type() == MapType::kStack) {
    if (flags) return -22;
    return pop(value);
  }
  long r = sys_lookup(key, value, flags);
  if (r) return r;
  return remove(key);
}

long Map::lookup_batch(const void* in_cursor, void* out_cursor, void* keys, void* values,
                       uint32_t* count, bool and_delete) {
  uint32_t ks = spec_.key_size, vs = user_value_size();
  if (*count == 0) return -22;
  std::vector<uint8_t> cur(ks), next(ks);
  bool have = in_cursor != nullptr;
  if (have) std::memcpy(cur.data(), in_cursor, ks);
  uint32_t done = 0;
  long rc = 0;
  std::vector<std::vector<uint8_t>> to_delete;
  while (done < *count) {
    long r = get_next_key(have ? cur.data() : nullptr, next.data());
    if (r == -2) {
      rc = -2;
      break;
    }
    if (r) return r;
    uint8_t* vdst = static_cast<uint8_t*>(values) + static_cast<size_t>(done) * vs;
    if (sys_lookup(next.data(), vdst, 0) == 0) {
      std::memcpy(static_cast<uint8_t*>(keys) + static_cast<size_t>(done) * ks, next.data(), ks);
      if (and_delete) to_delete.push_back(next);
      ++done;
    }
    cur = next;
    have = true;
  }
  for (auto& k : to_delete) remove(k.data());
  if (have) std::memcpy(out_cursor, cur.data(), ks);
  *count = done;
  return rc;
}

long Map::update_batch(const void* keys, const void* values, uint32_t* count, uint64_t flags) {
  uint32_t ks = spec_.key_size, vs = user_value_size();
  for (uint32_t i = 0; i < *count; ++i) {
    long r = sys_update(static_cast<const uint8_t*>(keys) + static_cast<size_t>(i) * ks,
                        static_cast<const uint8_t*>(values) + static_cast<size_t>(i) * vs, flags);
    if (r) {
      *count = i;
      return r;
    }
  }
  return 0;
}

long Map::delete_batch(const void* keys, uint32_t* count) {
  uint32_t ks = spec_.key_size;
  for (uint32_t i = 0; i < *count; ++i) {
    long r = sys_delete(static_cast<const uint8_t*>(keys) + static_cast<size_t>(i) * ks);
    if (r) {
      *count = i;
      return r;
    }
  }
  return 0;
}

long Map::freeze() {
  std::atomic_ref<uint32_t> f(hdr_->frozen);
  if (std::atomic_ref<uint32_t>(hdr_->writable_mmaps).load() != 0) return -16;
  uint32_t exp = 0;
  if (!f.compare_exchange_strong(exp, 1)) return -16;  // EBUSY
  return 0;
}

bool Map::frozen() const {
  return std::atomic_ref<uint32_t>(hdr_->frozen).load(std::memory_order_acquire) != 0;
}

std::vector<std::span<uint8_t>> Map::value_regions() const {
  return {std::span<uint8_t>(data(), hdr_->total_size - hdr_->data_off)};
}

}  // namespace bombus::vm
