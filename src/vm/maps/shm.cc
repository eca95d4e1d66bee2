// SharedRegion: file-backed MAP_SHARED memory, optionally with a double-mapped tail.
#include "vm/maps/shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace bombus::vm {

namespace {
Error os_error(const std::string& what) {
  return make_error(Errc::kIo, what + ": " + std::strerror(errno));
}
}  // namespace

SharedRegion::~SharedRegion() {
  if (base_) munmap(base_, mapped_);
  if (fd_ >= 0) close(fd_);
}

SharedRegion::SharedRegion(SharedRegion&& o) noexcept {
  *this = std::move(o);
}

SharedRegion& SharedRegion::operator=(SharedRegion&& o) noexcept {
  if (this != &o) {
    if (base_) munmap(base_, mapped_);
    if (fd_ >= 0) close(fd_);
    base_ = std::exchange(o.base_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
  }
  return *this;
}

Result<SharedRegion> SharedRegion::map_fd(int fd, size_t size, size_t double_map_from,
                                          std::string path) {
  SharedRegion r;
  r.fd_ = fd;
  r.size_ = size;
  r.path_ = std::move(path);
  size_t tail = double_map_from ? size - double_map_from : 0;
  r.mapped_ = size + tail;
  // Reserve the whole range first so the second mapping cannot land on someone else's memory.
  void* p = mmap(nullptr, r.mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return os_error("reserve address space for map file " + r.path_);
  r.base_ = static_cast<uint8_t*>(p);
  if (mmap(r.base_, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
    return os_error("mmap map file " + r.path_);
  if (tail) {
    void* q = mmap(r.base_ + size, tail, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
                   static_cast<off_t>(double_map_from));
    if (q == MAP_FAILED) return os_error("mmap ring tail " + r.path_);
  }
  return r;
}

Result<SharedRegion> SharedRegion::create(const std::string& dir, const std::string& name,
                                          size_t size, size_t double_map_from) {
  int fd;
  std::string path;
  if (dir.empty()) {
    fd = memfd_create(("bombus-map-" + name).c_str(), MFD_CLOEXEC);
    if (fd < 0) return os_error("memfd_create");
  } else {
    path = dir + "/" + name;
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) return make_error(Errc::kExists, "map file exists: " + path);
      return os_error("create map file " + path);
    }
  }
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    Error e = os_error("size map file to " + std::to_string(size) + " bytes");
    close(fd);
    if (!path.empty()) ::unlink(path.c_str());
    return e;
  }
  return map_fd(fd, size, double_map_from, path);
}

Result<SharedRegion> SharedRegion::open(const std::string& path, size_t double_map_from) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::kNotFound, "no map file " + path);
    return os_error("open map file " + path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return os_error("stat map file " + path);
  }
  return map_fd(fd, static_cast<size_t>(st.st_size), double_map_from, path);
}

Result<SharedRegion> SharedRegion::remap(size_t double_map_from) const {
  int fd = dup(fd_);
  if (fd < 0) return os_error("dup map fd");
  return map_fd(fd, size_, double_map_from, path_);
}

void SharedRegion::unlink_file() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace bombus::vm
