// Fuzzes classic BPF: bytes -> decode -> check (socket and seccomp rules) -> convert -> run.
// Input layout: the first byte picks the packet length (0..255) and the mode, the rest is the
// program. Any program the checker accepts must convert, and the converted code, run on the lean
// filter JIT and on vm's checked interpreter over an exactly-sized heap packet (so ASan sees any
// overread by the interpreter; the JIT's own bounds checks are what the comparison tests), must
// return what the classic reference interpreter returns — and, for socket filters whose loads
// libpcap treats the same way (no indirect loads, no negative/ancillary offsets), what libpcap's
// bpf_filter returns; the conversion read back by lift_converted must check and return the same.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"
#include "net/filter.h"
#include "net/filter_jit.h"

using namespace bombus::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t head = data[0];
  const CbpfMode mode = (head & 1) ? CbpfMode::kSeccomp : CbpfMode::kSocket;
  const size_t pkt_len = mode == CbpfMode::kSeccomp ? 64 : head >> 1;
  auto prog = decode_cbpf({data + 1, (size - 1) / 8 * 8});
  if (!prog.ok()) return 0;
  for (size_t i = 0; i < prog->size(); ++i) (void)disasm_cbpf((*prog)[i], i);
  if (!check_cbpf(*prog, mode).ok()) return 0;
  auto ebpf = convert_cbpf(*prog, mode);
  if (!ebpf.ok()) {
    // Only helper-backed ancillary loads may be refused after the checker accepted.
    if (ebpf.error().code != bombus::Errc::kUnsupported) std::abort();
    return 0;
  }
  std::vector<uint8_t> bytes(pkt_len);
  for (size_t i = 0; i < pkt_len; ++i) bytes[i] = static_cast<uint8_t>(i * 37 + head);
  auto* pkt = static_cast<uint8_t*>(std::malloc(pkt_len ? pkt_len : 1));
  std::memcpy(pkt, bytes.data(), pkt_len);
  const uint32_t want =
      run_cbpf(*prog, {pkt, pkt_len}, static_cast<uint32_t>(pkt_len) + 7, {}, mode);
  uint32_t got_jit = 0, got_interp = 0, got_libpcap = want;
  auto runner = interp_ebpf_engine(mode, true)(*ebpf);
  if (!runner.ok()) std::abort();
  auto jit = FilterJit::compile(*ebpf);
  if (!jit.ok()) std::abort();  // converted programs are always in the JIT's subset
  if (mode == CbpfMode::kSocket) {
    CbpfSkbCtx ctx = make_skb_ctx({pkt, pkt_len}, static_cast<uint32_t>(pkt_len) + 7);
    uint32_t out = 0;
    const uint64_t count = (*jit)->run_batch(&ctx, sizeof ctx, 1, &out);
    if (count != (out != 0)) std::abort();
    got_jit = out;
    got_interp = static_cast<uint32_t>((*runner)(&ctx));
    bool comparable = true;
    for (const CbpfInsn& i : *prog)
      if (bombus::net::cbpf::cls(i.code) == bombus::net::cbpf::kLd &&
          (bombus::net::cbpf::mode(i.code) == bombus::net::cbpf::kInd ||
           (bombus::net::cbpf::mode(i.code) == bombus::net::cbpf::kAbs && i.k >= 0x80000000u)))
        comparable = false;
    if (comparable)
      got_libpcap = libpcap_bpf_filter(*prog, {pkt, pkt_len}, static_cast<uint32_t>(pkt_len) + 7);
    // The conversion read back (lift_converted) is a classic program with the same answer; it
    // may only be refused as unsupported (ancillary loads, long offsets).
    auto lifted = lift_converted(*ebpf);
    if (!lifted.ok() && lifted.error().code != bombus::Errc::kUnsupported) std::abort();
    if (lifted.ok() &&
        (!check_cbpf(*lifted).ok() ||
         run_cbpf(*lifted, {pkt, pkt_len}, static_cast<uint32_t>(pkt_len) + 7, {}, mode) != want))
      std::abort();
  } else {
    got_jit = (*jit)->run(pkt);
    got_interp = static_cast<uint32_t>((*runner)(pkt));
  }
  std::free(pkt);
  if (got_jit != want || got_interp != want || got_libpcap != want) std::abort();
  return 0;
}
