// mmap/mprotect backing of ExecMemory (W^X: RW while filling, RX afterwards).
//
// Mappings are recycled: a freed program's pages go to a small process-wide cache (still
// read+execute, never writable) and the next compile of a similar size takes them back with one
// mprotect to read+write. That saves the mmap, the munmap and the page faults of first touch,
// which were about a quarter of the JIT's compile time; the W^X rule holds throughout (cached
// pages are RX, a page being filled is RW and owned by exactly one ExecMemory).
#include "jit/exec_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace bombus::jit {

namespace {

constexpr size_t kMaxCachedMapping = size_t{1} << 20;  // larger mappings are unmapped at once
constexpr size_t kMaxCachedBytes = size_t{16} << 20;
constexpr size_t kMaxCachedMappings = 256;

struct Cached {
  void* base;
  size_t mapped;
};

struct PageCache {
  std::mutex mu;
  std::vector<Cached> free;
  size_t bytes = 0;

  // The smallest cached mapping of at least `need` bytes (and at most 4x that), or none.
  bool take(size_t need, Cached* out) {
    std::lock_guard<std::mutex> lock(mu);
    size_t best = free.size();
    for (size_t i = 0; i < free.size(); ++i) {
      const size_t m = free[i].mapped;
      if (m >= need && m / 4 <= need && (best == free.size() || m < free[best].mapped)) best = i;
    }
    if (best == free.size()) return false;
    *out = free[best];
    free[best] = free.back();
    free.pop_back();
    bytes -= out->mapped;
    return true;
  }
  bool give(void* base, size_t mapped) {
    if (mapped > kMaxCachedMapping) return false;
    std::lock_guard<std::mutex> lock(mu);
    if (bytes + mapped > kMaxCachedBytes || free.size() >= kMaxCachedMappings) return false;
    free.push_back({base, mapped});
    bytes += mapped;
    return true;
  }
};

// Never destroyed: ExecMemory objects with static storage may be freed after main returns.
PageCache& page_cache() {
  static PageCache* cache = new PageCache;
  return *cache;
}

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

Result<std::unique_ptr<ExecMemory>> ExecMemory::map_rw(size_t size) {
  if (size == 0) return make_error(Errc::kInvalid, "jit: empty code buffer");
  const size_t page = page_size();
  const size_t mapped = (size + page - 1) / page * page;
  Cached c;
  if (page_cache().take(mapped, &c)) {
    if (mprotect(c.base, c.mapped, PROT_READ | PROT_WRITE) == 0) {
      return std::unique_ptr<ExecMemory>(new ExecMemory(c.base, size, c.mapped));
    }
    munmap(c.base, c.mapped + page);  // could not flip it back: give it up and map afresh
  }
  // One more page, kept PROT_NONE: code mappings then never border each other, so flipping
  // one between RW and RX changes a whole VMA instead of splitting and re-merging neighbours
  // (most of mprotect's cost). The guard page is never touched, so it costs no memory.
  void* p =
      mmap(nullptr, mapped + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(Errc::kNoMem,
                      std::string("jit: mmap of code buffer failed: ") + std::strerror(errno));
  }
  if (mprotect(static_cast<uint8_t*>(p) + mapped, page, PROT_NONE) != 0) {
    munmap(p, mapped + page);
    return make_error(
        Errc::kIo, std::string("jit: mprotect of the guard page failed: ") + std::strerror(errno));
  }
  return std::unique_ptr<ExecMemory>(new ExecMemory(p, size, mapped));
}

Status ExecMemory::seal() {
  if (mprotect(base_, mapped_, PROT_READ | PROT_EXEC) != 0) {
    return make_error(Errc::kIo, std::string("jit: mprotect(PROT_READ|PROT_EXEC) failed: ") +
                                     std::strerror(errno));
  }
  sealed_ = true;
  return {};
}

ExecMemory::~ExecMemory() {
  if (base_ == nullptr) return;
  // Only sealed (RX) mappings are cached: a mapping whose fill failed may still be writable.
  if (sealed_ && page_cache().give(base_, mapped_)) return;
  munmap(base_, mapped_ + page_size());  // with its guard page
}

}  // namespace bombus::jit
