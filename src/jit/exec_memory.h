// Executable memory for JIT code. The bytes are written into a private read-write mapping,
// which is then flipped to read+execute; the mapping is never writable and executable at once.
// The object owns the mapping; on destruction it is unmapped or, when small, kept read+execute
// in a process-wide cache that later compiles reuse (see exec_memory.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.h"

namespace bombus::jit {

class ExecMemory {
 public:
  // Maps enough pages, lets `fill` write exactly `size` bytes at the (final) address, then seals
  // the pages read+execute. `fill` receives the address the code will run at.
  template <typename Fill>
  static Result<std::unique_ptr<ExecMemory>> create(size_t size, Fill&& fill);

  ~ExecMemory();
  ExecMemory(const ExecMemory&) = delete;
  ExecMemory& operator=(const ExecMemory&) = delete;

  const uint8_t* data() const { return static_cast<const uint8_t*>(base_); }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data(), size_}; }

 private:
  ExecMemory(void* base, size_t size, size_t mapped) : base_(base), size_(size), mapped_(mapped) {}
  static Result<std::unique_ptr<ExecMemory>> map_rw(size_t size);
  Status seal();

  void* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
  bool sealed_ = false;
};

template <typename Fill>
Result<std::unique_ptr<ExecMemory>> ExecMemory::create(size_t size, Fill&& fill) {
  BOMBUS_ASSIGN_OR_RETURN(auto mem, map_rw(size));
  BOMBUS_TRY(fill(static_cast<uint8_t*>(mem->base_)));
  BOMBUS_TRY(mem->seal());
  return mem;
}

}  // namespace bombus::jit
