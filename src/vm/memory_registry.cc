// The process-wide registry of memory ranges checked engines accept (see memory_registry.h).
#include "vm/memory_registry.h"

#include <algorithm>

namespace bombus::vm {

MemoryRegistry& MemoryRegistry::global() {
  static MemoryRegistry* r = new MemoryRegistry();  // never destroyed: maps may outlive statics
  return *r;
}

MemoryRegistry::Registration MemoryRegistry::add(const void* start, size_t len, bool writable) {
  std::unique_lock lock(mu_);
  uint64_t id = next_id_++;
  entries_.push_back(Entry{MemRegion{reinterpret_cast<uintptr_t>(start), len, writable}, id});
  return Registration(this, id);
}

void MemoryRegistry::remove(uint64_t id) {
  std::unique_lock lock(mu_);
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; });
  if (it != entries_.end()) entries_.erase(it);
}

bool MemoryRegistry::contains(uintptr_t addr, size_t len, bool write) const {
  std::shared_lock lock(mu_);
  for (const Entry& e : entries_) {
    const MemRegion& r = e.region;
    if (addr >= r.start && len <= r.len && addr - r.start <= r.len - len) {
      if (!write || r.writable) return true;
    }
  }
  return false;
}

size_t MemoryRegistry::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

MemoryRegistry::Registration& MemoryRegistry::Registration::operator=(Registration&& o) noexcept {
  if (this != &o) {
    reset();
    reg_ = o.reg_;
    id_ = o.id_;
    o.reg_ = nullptr;
  }
  return *this;
}

void MemoryRegistry::Registration::reset() {
  if (reg_ != nullptr) reg_->remove(id_);
  reg_ = nullptr;
}

}  // namespace bombus::vm
