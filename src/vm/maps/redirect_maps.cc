// CPUMAP and XSKMAP (see redirect_maps.h): an array of max_entries 8-byte entries, each replaced
// with one atomic store so a program's lookup sees a whole entry or none. CPUMAP entries hold
// {qsize, program id} (qsize 0 = empty); XSKMAP entries hold {queue id, endpoint} (endpoint 0 =
// empty). Both iterate keys like arrays (get_next_key from 0, -ENOENT after the last index).
#include "vm/maps/redirect_maps.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "vm/maps/map_types.h"

namespace bombus::vm {
namespace maps_detail {
namespace {

using platform::MapType;

constexpr int kAfXdp = 44;           // AF_XDP
constexpr uint32_t kEndpoint = ~0u;  // an XSKMAP entry bound by xskmap_bind (no inode is ~0u)
constexpr long kEperm = -1, kEnoent = -2, kEbadf = -9, kEexist = -17, kEinval = -22, kE2big = -7,
               kEoverflow = -75, kEnotsock = -88, kEopnotsupp = -95, kEnodev = -19;

class RedirectMap : public Map {
 public:
  std::atomic_ref<uint64_t> entry(uint32_t i) const {
    return std::atomic_ref<uint64_t>(reinterpret_cast<uint64_t*>(data())[i]);
  }
  bool index(const void* key, uint32_t* i) const {
    std::memcpy(i, key, 4);
    return *i < spec_.max_entries;
  }
  // The entry's address when it is in use (both entry kinds are empty when their low or high
  // half, as the type says, is zero).
  void* lookup(const void* key) override {
    uint32_t i;
    if (!index(key, &i) || !in_use(entry(i).load(std::memory_order_acquire))) return nullptr;
    return reinterpret_cast<uint64_t*>(data()) + i;
  }
  void* lookup_percpu(const void* key, uint32_t cpu) override {
    return cpu < hdr_->ncpus ? lookup(key) : nullptr;
  }
  long get_next_key(const void* key, void* next) override {
    uint32_t i = 0, n = 0;
    if (key) std::memcpy(&i, key, 4);
    if (key && i < spec_.max_entries) {
      if (i == spec_.max_entries - 1) return kEnoent;
      n = i + 1;
    }
    std::memcpy(next, &n, 4);
    return 0;
  }
  // The kernel's delete: any in-range key empties its entry (0 even when it was empty).
  long remove(const void* key) override {
    uint32_t i;
    if (!index(key, &i)) return kEinval;
    entry(i).store(0, std::memory_order_release);
    return 0;
  }
  long sys_delete(const void* key) override {
    if ((spec_.flags & platform::kFRdonly) || frozen()) return kEperm;
    return remove(key);
  }
  long for_each(const std::function<long(const void*, void*)>&) override { return kEopnotsupp; }

 protected:
  virtual bool in_use(uint64_t e) const = 0;
};

class CpuMap : public RedirectMap {
 public:
  bool in_use(uint64_t e) const override { return static_cast<uint32_t>(e) != 0; }
  // Programs may only redirect into a CPUMAP (the verifier refuses lookups and updates), so the
  // program-side update is the syscall's.
  long update(const void* key, const void* value, uint64_t flags) override {
    uint32_t v[2] = {0, 0};
    std::memcpy(v, value, spec_.value_size);
    if (flags > platform::kExist) return kEinval;
    uint32_t i;
    if (!index(key, &i)) return kE2big;
    if (flags == platform::kNoExist) return kEexist;  // every entry exists
    if (v[0] > kCpumapMaxQsize) return kEoverflow;
    if (i >= hdr_->ncpus) return kEnodev;  // not one of bombus's CPUs
    if (spec_.value_size == 8 && static_cast<int32_t>(v[1]) > 0) return kEopnotsupp;
    entry(i).store(v[0], std::memory_order_release);  // qsize 0: the entry is deleted
    return 0;
  }
  long sys_lookup(const void* key, void* value, uint64_t flags) override {
    if (flags) return kEinval;
    uint32_t i;
    if (!index(key, &i)) return kEnoent;
    const uint64_t e = entry(i).load(std::memory_order_acquire);
    if (!in_use(e)) return kEnoent;
    const uint32_t v[2] = {static_cast<uint32_t>(e), static_cast<uint32_t>(e >> 32)};
    std::memcpy(value, v, spec_.value_size);
    return 0;
  }
};

class XskMap : public RedirectMap {
 public:
  bool in_use(uint64_t e) const override { return (e >> 32) != 0; }
  long update(const void*, const void*, uint64_t) override { return kEopnotsupp; }
  long sys_lookup(const void*, void*, uint64_t) override { return kEopnotsupp; }
  long sys_update(const void* key, const void* value, uint64_t flags) override {
    if ((spec_.flags & platform::kFRdonly) || frozen()) return kEperm;
    if (flags > platform::kExist) return kEinval;
    uint32_t i;
    if (!index(key, &i)) return kE2big;
    int fd;
    std::memcpy(&fd, value, 4);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return kEbadf;
    if (!S_ISSOCK(st.st_mode)) return kEnotsock;
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != kAfXdp)
      return kEopnotsupp;
    // The socket's inode names it while it is open; an unbound socket has queue 0.
    const uint64_t next = (st.st_ino & 0xffffffffu ? st.st_ino & 0xffffffffu : 1) << 32;
    return replace(i, next, flags);
  }
  // The kernel's order: the same socket again is fine under any flag, then NOEXIST / EXIST.
  long replace(uint32_t i, uint64_t next, uint64_t flags) {
    std::lock_guard g(lock_);
    const uint64_t old = entry(i).load(std::memory_order_relaxed);
    if (old != 0 && (old >> 32) == (next >> 32)) return 0;
    if (old != 0 && flags == platform::kNoExist) return kEexist;
    if (old == 0 && flags == platform::kExist) return kEnoent;
    entry(i).store(next, std::memory_order_release);
    return 0;
  }
  long bind(uint32_t key, uint32_t queue) {
    if (key >= spec_.max_entries) return kE2big;
    entry(key).store(uint64_t{kEndpoint} << 32 | queue, std::memory_order_release);
    return 0;
  }

 private:
  std::mutex lock_;  // user-side updates of this process (programs cannot update an XSKMAP)
};

Result<size_t> layout(map_layout::Header& h) {
  h.n_slots = h.max_entries;
  h.value_stride = 8;
  return static_cast<size_t>(h.max_entries) * 8;
}

}  // namespace

TypeOps redirect_map_ops(platform::MapType t) {
  TypeOps ops;
  if (t == MapType::kCpumap)
    ops.make = [] { return std::unique_ptr<Map>(new CpuMap()); };
  else
    ops.make = [] { return std::unique_ptr<Map>(new XskMap()); };
  ops.layout = layout;
  return ops;
}

}  // namespace maps_detail

long xskmap_bind(Map& m, uint32_t key, uint32_t queue) {
  if (m.type() != platform::MapType::kXskmap) return maps_detail::kEinval;
  return static_cast<maps_detail::XskMap&>(m).bind(key, queue);
}

}  // namespace bombus::vm
