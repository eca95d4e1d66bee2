// An experiment for issue #8 item 5: a classic filter (pcap_compile output) evaluated on 8
// packets at once with AVX2 instead of one packet at a time. The program's decision DAG runs as
// predicated vector code: A, X and M[] are 8 x 32-bit lanes, every instruction runs once for all
// 8 packets under a path mask (a conditional jump splits the mask between its two targets, a
// return writes its value into the lanes that reach it), packet loads read each lane's dword
// ending at the field's last byte (clamped into the packet, so never past the captured bytes)
// with per-lane bounds masks giving cBPF's "return 0". Two groups of 8 walk the program
// together. It is an interpreter over a precompiled op list, not emitted code. Packets shorter
// than 4 captured bytes run through libpcap's bpf_filter.
//
// Same answers as libpcap's bpf_filter (tests/unit/net/filter_simd_test.cc). Speed: about 1-1.8x
// libpcap, slower than the lean JIT (docs/PERFORMANCE.md, filter section; BM_Filter engine 6
// and BM_FilterFresh in bench/net/bench_net.cc), so nothing uses it by default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "net/cbpf.h"

namespace bombus::net {

class FilterSimd {
 public:
  // Errc::kUnsupported when the CPU lacks AVX2 or a jump leaves the program; the caller then
  // uses another engine.
  static Result<std::unique_ptr<FilterSimd>> compile(std::span<const CbpfInsn> prog);
  static bool cpu_supported();

  // Runs the filter on `n` CbpfSkbCtx (cbpf_to_ebpf.h) laid out `stride` bytes apart from
  // `first`; each packet's return value goes to out[i]. Returns how many are nonzero.
  uint64_t run_batch(const void* first, size_t stride, size_t n, uint32_t* out) const;
  uint32_t run(const void* ctx) const {
    uint32_t r = 0;
    run_batch(ctx, 0, 1, &r);
    return r;
  }

  struct Op {
    uint16_t code = 0;
    uint16_t jt = 0, jf = 0;  // absolute targets of a conditional jump (JA: jt)
    uint32_t k = 0;
  };

 private:
  FilterSimd() = default;
  std::vector<CbpfInsn> prog_;
  std::vector<Op> ops_;
};

}  // namespace bombus::net
