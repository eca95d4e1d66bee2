// tcpdump-expression filters: compile an expression with libpcap's pcap_compile for a given
// link type and snap length, convert the classic program to eBPF, and run it over a capture
// (the packet as skb data; nonzero return = match), optionally writing the matches out. This is
// what `bombus filter 'EXPR' IN.pcap [write OUT.pcap] [count]` runs.
//
// Engines: converted eBPF runs through an EbpfEngineFactory. The default one is the lean batch
// JIT (filter_jit.h; vm's interpreter for programs outside its subset); vm's interpreter
// (engines.h) is the other; the runtime or CLI can install another with
// set_default_ebpf_engine(). run_filter() reads the capture in
// batches and times each batch, so ns/packet is the filter's own cost.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "net/cbpf.h"
#include "net/pcap_io.h"

namespace bombus::net {

// A prepared program: call with a context pointer (CbpfSkbCtx* or seccomp_data*), get r0.
using EbpfRunner = std::function<uint64_t(const void* ctx)>;
using EbpfEngineFactory = std::function<Result<EbpfRunner>(std::vector<isa::Insn> prog)>;
EbpfEngineFactory default_ebpf_engine();
void set_default_ebpf_engine(EbpfEngineFactory factory);

// pcap_compile with optimisation, on a dead handle of `linktype`/`snaplen`; libpcap's message
// on a syntax error.
Result<std::vector<CbpfInsn>> compile_tcpdump(const std::string& expr, int linktype = kLinkEthernet,
                                              uint32_t snaplen = kDefaultSnaplen);

// libpcap's own userland interpreter (bpf_filter), for cross-checks and benchmarks.
uint32_t libpcap_bpf_filter(std::span<const CbpfInsn> prog, std::span<const uint8_t> data,
                            uint32_t wire_len);

enum class FilterEngine { kEbpf, kClassic, kLibpcap };

// The mode a pcap_compile output runs in: kSocket when the kernel's rules accept it, kLibpcap
// when only libpcap's do (its "protochain" jumps backward, which the kernel refuses and tcpdump
// then filters in user space), else the kernel checker's error.
Result<CbpfMode> filter_mode(std::span<const CbpfInsn> cbpf);

struct FilterStats;

struct FilterOptions {
  std::string expr;
  std::string input;                     // pcap or pcapng
  std::optional<std::string> write_out;  // matches written here as pcap
  FilterEngine engine = FilterEngine::kEbpf;
  // Empty: the lean batch JIT (filter_jit.h) when the program is in its subset and no default
  // engine was installed, else default_ebpf_engine().
  EbpfEngineFactory ebpf_engine;
  // Which batch body runs: kAuto runs the lean JIT's branchy body, its branch-free body
  // (FilterJitMode::kFlat, when the program has one) and the 8-packet vector JIT (filter_vec.h,
  // when the program is in its subset; with and without lazy windows) each on the same first
  // kJitProbeBatches batches and keeps the one with the fastest run; the others force one body
  // (kFlat and kVector fall back to kBranchy when the program has no such body).
  enum class JitBody { kAuto, kBranchy, kFlat, kVector };
  JitBody jit_body = JitBody::kAuto;
  // Called after each batch of packets: totals so far and the reader's {offset, file size}.
  std::function<void(const FilterStats&, std::pair<uint64_t, uint64_t>)> progress;
};

inline constexpr int kJitProbeBatches = 4;

struct FilterStats {
  uint64_t packets = 0;
  uint64_t matched = 0;
  uint64_t ns = 0;  // wall time spent running the filter (not reading/writing), per batch
  size_t cbpf_insns = 0;
  size_t ebpf_insns = 0;
  bool kernel_accepts = true;  // false: only libpcap's rules accept it (backward jumps)
  // The batch body that ran (branchy, flat or vector; after probing, the one kept), or empty.
  std::string body;
  double ns_per_packet() const { return packets ? static_cast<double>(ns) / packets : 0.0; }
};

// Runs the filter. A damaged capture: every packet before the damage is filtered (and written),
// then the reader's error is returned, naming the packet and file offset.
Result<FilterStats> run_filter(const FilterOptions& opts);
Result<FilterStats> run_filter(const std::string& expr, const std::string& pcap_in,
                               const std::optional<std::string>& write_out);
// "matched 12 of 100 packets" or {"packets":100,"matched":12,...}.
std::string format_filter_stats(const FilterStats& s, bool json);

}  // namespace bombus::net
