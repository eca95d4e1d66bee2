// Conversion of a checked classic BPF program to eBPF instructions that run on bombus's
// engines (interpreter, JIT), following the kernel's conversion rules: A and X become 32-bit
// registers, the scratch cells M[0..15] live on the stack, LD ABS/IND/MSH are bounds-checked
// big-endian loads whose failure ends the program with 0 (the socket-filter convention),
// division by X == 0 returns 0, LEN reads the wire length, and the result is the u32 the
// classic program returned (for a socket filter: bytes to keep, 0 = drop).
//
// The converted program is self-contained (no helper calls, no LD_ABS legacy opcodes): r1 at
// entry points to a CbpfSkbCtx (socket mode) or to a struct seccomp_data (seccomp mode).
// Register use: r0 = A, r7 = X, r6 = ctx, r9 = packet data, r5 = captured length, r8 and
// r2..r4 scratch; M[k] at r10 - 64 + 4k.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "net/cbpf.h"

namespace bombus::net {

// What r1 points to when a converted socket filter runs. Field offsets are part of the
// contract with the generated code (see kCtxOff* below).
struct CbpfSkbCtx {
  const uint8_t* data = nullptr;  // first captured byte
  uint32_t caplen = 0;            // bytes available at data
  uint32_t wire_len = 0;          // skb->len (BPF_LEN)
  SkbMeta meta;                   // ancillary fields, each a u32
};
static_assert(sizeof(SkbMeta) == 11 * 4);

inline constexpr int16_t kCtxOffData = 0, kCtxOffCaplen = 8, kCtxOffWireLen = 12, kCtxOffMeta = 16;

inline CbpfSkbCtx make_skb_ctx(std::span<const uint8_t> data, uint32_t wire_len,
                               const SkbMeta& meta = {}) {
  return CbpfSkbCtx{data.data(), static_cast<uint32_t>(data.size()), wire_len, meta};
}

// The converter's register use (see the top of this file) and M[]'s place on the stack.
namespace converted {
inline constexpr uint8_t kRegA = 0, kRegX = 7, kRegCtx = 6, kRegData = 9, kRegCaplen = 5,
                         kRegTmp = 8, kRegLen = 4;
inline constexpr int kScratchBase = -64;  // M[k] at r10 - 64 + 4k
}  // namespace converted

// Converts a classic program. Checks it first (check_cbpf with the same mode); errors name the
// classic instruction. Ancillary loads that need kernel helpers (SKF_AD_NLATTR, _NEST,
// _PAY_OFFSET, _RANDOM) are refused as unsupported.
Result<std::vector<isa::Insn>> convert_cbpf(std::span<const CbpfInsn> prog,
                                            CbpfMode mode = CbpfMode::kSocket);

// The inverse of convert_cbpf for socket filters: a classic program whose conversion does what
// `ebpf` does, recognised sequence by sequence from the converter's fixed expansions (so the
// vector JIT, filter_vec.h, can compile converted eBPF). Errc::kUnsupported, naming the eBPF
// instruction, for anything else: other eBPF, seccomp conversions, ancillary loads, offsets
// past 32767. The lifted program run by the kernel's rules (run_cbpf) equals the eBPF; run by
// libpcap's (bpf_filter, the vector JIT) it differs only where X + k of an LD IND passes 2^32
// (the conversion wraps, libpcap returns 0), which no pcap_compile output reaches for realistic
// X values.
Result<std::vector<CbpfInsn>> lift_converted(std::span<const isa::Insn> ebpf);

}  // namespace bombus::net
