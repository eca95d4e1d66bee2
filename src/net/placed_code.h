// Machine code the net layer's JITs (filter_jit.h, filter_vec.h) produce, in a private mapping
// that was written read-write and then sealed read+execute (never both at once). asm_code.h
// places asmjit output into one; the destructor unmaps it.
#pragma once

#include <cstddef>

namespace bombus::net {

class PlacedCode {
 public:
  PlacedCode() = default;
  PlacedCode(PlacedCode&& o) noexcept { *this = static_cast<PlacedCode&&>(o); }
  PlacedCode& operator=(PlacedCode&& o) noexcept;
  PlacedCode(const PlacedCode&) = delete;
  PlacedCode& operator=(const PlacedCode&) = delete;
  ~PlacedCode();

  const void* entry() const { return mem_; }  // the first byte (the function's entry)
  size_t size() const { return size_; }

 private:
  friend class CodePlacer;
  void* mem_ = nullptr;
  size_t mapped_ = 0;
  size_t size_ = 0;
};

}  // namespace bombus::net
