// The kernel's JIT as a benchmark column: loads a BenchProgram (all programs of a tail-call
// chain, plus the prog array) with libbpf and times it with BPF_PROG_TEST_RUN and repeat.
// Needs root and a working bpf(); errors say why it is unavailable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "programs.h"

namespace bombus::bench {

class KernelProgram {
 public:
  static Result<KernelProgram> load(const BenchProgram& p);
  KernelProgram(KernelProgram&& o) noexcept;
  KernelProgram& operator=(KernelProgram&&) = delete;
  ~KernelProgram();

  // Runs `repeat` times in the kernel; returns r0 and the kernel's average ns per run.
  Result<uint64_t> run(const std::vector<uint8_t>& packet, int repeat, uint32_t* ns_per_run) const;

 private:
  KernelProgram() = default;
  std::vector<int> fds_;
  int map_fd_ = -1;
};

}  // namespace bombus::bench
