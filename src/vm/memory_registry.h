// vm::MemoryRegistry: the process-wide list of host memory ranges a checked engine lets an
// unverified program read or write, besides its own stack, context and per-run regions.
//
// Whoever owns memory a program may legitimately reach through a helper's return value (a map's
// value storage, a ring buffer, an mmap-ed array map) registers it here for as long as it lives,
// with a Registration (RAII). The checked interpreter consults the registry only after the
// stack, context and per-run regions missed, so its cost matters only for map-heavy code.
// Thread-safe; lookups take a shared lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "vm/abi.h"

namespace bombus::vm {

class MemoryRegistry {
 public:
  class Registration;

  static MemoryRegistry& global();

  // Registers [start, start+len). The range stays registered while the returned object lives.
  [[nodiscard]] Registration add(const void* start, size_t len, bool writable);

  // True when [addr, addr+len) lies inside one registered range (writable when `write`).
  bool contains(uintptr_t addr, size_t len, bool write) const;
  size_t size() const;

  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& o) noexcept : reg_(o.reg_), id_(o.id_) { o.reg_ = nullptr; }
    Registration& operator=(Registration&& o) noexcept;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() { reset(); }
    void reset();

   private:
    friend class MemoryRegistry;
    Registration(MemoryRegistry* reg, uint64_t id) : reg_(reg), id_(id) {}
    MemoryRegistry* reg_ = nullptr;
    uint64_t id_ = 0;
  };

 private:
  struct Entry {
    MemRegion region;
    uint64_t id;
  };
  void remove(uint64_t id);

  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;
  uint64_t next_id_ = 1;
};

}  // namespace bombus::vm
