// Issue #8 item 5: a tcpdump filter JIT-compiled into AVX2 code that filters 8 packets at once,
// with no branch that depends on packet contents. Its input is a classic program: pcap_compile
// output, or (as `bombus filter` runs it) the eBPF convert_cbpf made of it, read back by
// lift_converted (cbpf_to_ebpf.h). On real traffic the branchy JIT (filter_jit.h) mispredicts
// its ethertype/protocol/port tests about once per packet; this code pays the same cost
// whatever the packet order.
//
// Per group of 8 packets the generated code loads, from each packet, every 16-byte window the
// program reads (at constant offsets, or at 4*(p[k]&15)+offset for an LD IND behind
// `ldx msh [k]`) and transposes them into dword columns (one dword per lane); then it runs the
// program once for all 8 lanes as predicated vector code: A, X and M[] are 8 x 32-bit lanes,
// each instruction runs under a path mask, a conditional jump splits the mask between its
// targets (a mask parked in a register or memory until its target is reached, program order
// being a topological order of the DAG), a return ORs its lanes into the result. A load is one
// vpshufb of a column (byte swap and field extraction in one); bounds checks compare lane
// caplens (skipped where a dominating load already proved them, and in a copy of the program
// for groups whose packets are all long enough); other LD IND and division run lane by lane.
// Windows read only on some paths can be loaded lazily (FilterVecOptions).
//
// Memory safety without per-packet bounds branches: a packet's first W bytes (W covers every
// window) are read only when they lie on the same 4 KiB page as a captured byte (or the
// packet has >= W bytes, or the caller pads); otherwise the packet is first copied into a
// zeroed buffer. Bytes past caplen are never used: every load checks its lane's caplen as
// libpcap does. Programs with backward jumps, ancillary or negative-offset loads (SKF_AD_OFF,
// SKF_NET_OFF, SKF_LL_OFF), constant offsets past 256 bytes or more than 512 instructions are
// refused (Errc::kUnsupported): the caller uses another engine. Same answers as libpcap's
// bpf_filter (tests/unit/net/filter_vec_test.cc, fuzz/net/fuzz_filter_vec.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.h"
#include "net/cbpf.h"
#include "net/placed_code.h"

namespace bombus::net {

struct FilterVecOptions {
  // Windows that no instruction reached by every packet reads (say the IPv6 header of
  // `ip6 and udp`, the UDP ports behind a VLAN tag) are loaded only when a group of 8 first
  // reaches a reader with packets on its path: a branch per group that pays off when few
  // groups need them and costs ~20 instructions per load when most do.
  bool lazy_windows = true;
};

class FilterVec {
 public:
  // Errc::kUnsupported when the CPU lacks AVX2 or the program is outside the subset above.
  static Result<std::unique_ptr<FilterVec>> compile(std::span<const CbpfInsn> prog,
                                                    const FilterVecOptions& opts = {});
  static bool cpu_supported();
  FilterVec(const FilterVec&) = delete;
  FilterVec& operator=(const FilterVec&) = delete;

  // Runs the filter on `n` packets given as arrays: packet i is data[i] with caplen[i]
  // captured bytes and wire_len[i] bytes on the wire (data[i] may be null when caplen[i] is
  // 0); its return value goes to out[i]. Returns how many are nonzero. This is the fast entry:
  // the 8 lanes of a group are loaded with one vector load per array. `padded`: the caller
  // guarantees that window() bytes from every data[i] are readable (bytes past caplen[i] are
  // never used), which skips the per-group page check.
  uint64_t run_arrays(const uint8_t* const* data, const uint32_t* caplen, const uint32_t* wire_len,
                      size_t n, uint32_t* out, bool padded = false) const;
  // The same on `n` CbpfSkbCtx (cbpf_to_ebpf.h) laid out `stride` bytes apart from `first`
  // (copied into arrays first).
  uint64_t run_batch(const void* first, size_t stride, size_t n, uint32_t* out) const;
  uint32_t run(const void* ctx) const {
    uint32_t r = 0;
    run_batch(ctx, 0, 1, &r);
    return r;
  }
  // Whether some window is loaded lazily (FilterVecOptions::lazy_windows).
  bool lazy() const { return lazy_; }
  // Bytes from a packet's start the code may read (at most kMaxWindow).
  uint32_t window() const { return window_; }
  static constexpr uint32_t kMaxWindow = 288;
  size_t code_size() const { return code_.size(); }
  const void* code() const { return code_.entry(); }  // the native code (for disassembly)

 private:
  // fn(data, caplen, wire_len, groups of 8, out, scratch) -> matches.
  using Fn = uint64_t (*)(const uint8_t* const*, const uint32_t*, const uint32_t*, size_t,
                          uint32_t*, uint8_t*);
  FilterVec() = default;
  PlacedCode code_;
  size_t scratch_ = 0;  // bytes of scratch the code uses (32-byte aligned)
  size_t mem_off_ = 0;  // where M[] starts in it, zeroed per call
  uint32_t window_ = 0;
  bool uses_mem_ = false;  // M[] is read or written
  bool lazy_ = false;
  Fn fn_ = nullptr;
};

}  // namespace bombus::net
