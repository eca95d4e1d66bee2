// PlacedCode and place_code() (asm_code.h, placed_code.h).
#include "net/asm_code.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace bombus::net {

PlacedCode& PlacedCode::operator=(PlacedCode&& o) noexcept {
  if (this != &o) {
    if (mem_) munmap(mem_, mapped_);
    mem_ = std::exchange(o.mem_, nullptr);
    mapped_ = std::exchange(o.mapped_, 0);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

PlacedCode::~PlacedCode() {
  if (mem_) munmap(mem_, mapped_);
}

// The one place that fills PlacedCode's private fields.
class CodePlacer {
 public:
  static Result<PlacedCode> place(asmjit::CodeHolder& code, const char* who) {
    const size_t size = code.codeSize();
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t mapped = (size + page - 1) / page * page;
    void* mem = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return make_error(Errc::kNoMem, fmt::format("{}: mmap failed", who));
    PlacedCode p;
    p.mem_ = mem;
    p.mapped_ = mapped;
    p.size_ = size;
    if (code.relocateToBase(reinterpret_cast<uint64_t>(mem)) != asmjit::kErrorOk)
      return make_error(Errc::kIo, fmt::format("{}: relocation failed", who));
    code.copyFlattenedData(mem, size, asmjit::CopySectionFlags::kPadTargetBuffer);
    if (mprotect(mem, mapped, PROT_READ | PROT_EXEC) != 0)
      return make_error(Errc::kIo, fmt::format("{}: mprotect: {}", who, std::strerror(errno)));
    return p;
  }
};

Result<PlacedCode> place_code(asmjit::CodeHolder& code, const AsmErrors& errors, const char* who) {
  std::string msg = errors.msg;
  if (errors.err == asmjit::kErrorOk &&
      (code.flatten() != asmjit::kErrorOk || code.resolveUnresolvedLinks() != asmjit::kErrorOk))
    msg = "cannot lay out the code";
  if (!msg.empty()) return make_error(Errc::kIo, fmt::format("{}: asmjit: {}", who, msg));
  return CodePlacer::place(code, who);
}

}  // namespace bombus::net
