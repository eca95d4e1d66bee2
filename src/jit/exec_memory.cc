// mmap/mprotect backing of ExecMemory (W^X: RW while filling, RX afterwards).
#include "jit/exec_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace bombus::jit {

Result<std::unique_ptr<ExecMemory>> ExecMemory::map_rw(size_t size) {
  if (size == 0) return make_error(Errc::kInvalid, "jit: empty code buffer");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t mapped = (size + page - 1) / page * page;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(Errc::kNoMem,
                      std::string("jit: mmap of code buffer failed: ") + std::strerror(errno));
  }
  return std::unique_ptr<ExecMemory>(new ExecMemory(p, size, mapped));
}

Status ExecMemory::seal() {
  if (mprotect(base_, mapped_, PROT_READ | PROT_EXEC) != 0) {
    return make_error(Errc::kIo, std::string("jit: mprotect(PROT_READ|PROT_EXEC) failed: ") +
                                     std::strerror(errno));
  }
  return {};
}

ExecMemory::~ExecMemory() {
  if (base_ != nullptr) munmap(base_, mapped_);
}

}  // namespace bombus::jit
