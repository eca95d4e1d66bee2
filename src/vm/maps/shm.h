// Shared memory for maps: every map lives in a file mmap'd MAP_SHARED, so other processes (the
// CLI, a second runtime) can map the same file and see and change the same elements. A map file
// is created in a directory the runtime chooses (the store), or, with no directory, as an
// anonymous memfd that can still be shared through /proc/<pid>/fd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace bombus::vm {

class SharedRegion {
 public:
  SharedRegion() = default;
  ~SharedRegion();
  SharedRegion(SharedRegion&& o) noexcept;
  SharedRegion& operator=(SharedRegion&& o) noexcept;
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;

  // Creates a zero-filled region of `size` bytes. `dir` empty: a memfd; else a new file
  // `dir/name` (fails with kExists if it is there). `double_map_from`: if nonzero, the bytes
  // [double_map_from, size) are mapped a second time right after the region (ring buffers read
  // records that wrap around as one contiguous range).
  static Result<SharedRegion> create(const std::string& dir, const std::string& name, size_t size,
                                     size_t double_map_from = 0);
  // Maps an existing map file read-write.
  static Result<SharedRegion> open(const std::string& path, size_t double_map_from_hint = 0);
  // Maps the region again with the same file (used after reading the header of a map file).
  Result<SharedRegion> remap(size_t double_map_from) const;

  uint8_t* data() const { return base_; }
  size_t size() const { return size_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }  // "" for a memfd
  // Deletes the backing file (the mapping stays valid).
  void unlink_file();

 private:
  static Result<SharedRegion> map_fd(int fd, size_t size, size_t double_map_from, std::string path);
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // size_ plus the double-mapped tail
  int fd_ = -1;
  std::string path_;
};

}  // namespace bombus::vm
