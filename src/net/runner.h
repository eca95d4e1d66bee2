// The packet runner: takes packets from a source (a capture file, packets in memory, a live
// interface), runs a program on each, and routes every packet by verdict to that verdict's
// output (pass / drop / tx / redirect / aborted), counting per verdict with packets/s and
// ns/packet. Programs are abstract (PacketProgram), so XDP, tc and socket-filter runs from the
// runtime plug in as functions; adapters for converted classic filters are here.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/filter.h"
#include "net/pcap_io.h"

namespace bombus::net {

// XDP's action numbering; tc and socket-filter results are mapped onto it.
enum class Verdict : uint8_t { kAborted = 0, kDrop = 1, kPass = 2, kTx = 3, kRedirect = 4 };
inline constexpr size_t kNumVerdicts = 5;
const char* verdict_name(Verdict v);  // "aborted", "drop", "pass", "tx", "redirect"

Verdict verdict_from_xdp(uint64_t r0);  // unknown actions are aborted, like the kernel
Verdict verdict_from_tc(int64_t r0);    // TC_ACT_SHOT/STOLEN/QUEUED/TRAP drop, REDIRECT, else pass

// Where a redirected packet goes: what the program's bpf_redirect / bpf_redirect_map named.
enum class RedirectKind : uint8_t {
  kIfindex,  // out of a device (bpf_redirect, a DEVMAP / DEVMAP_HASH entry, a broadcast)
  kIngress,  // into a device's receive path (tc bpf_redirect with BPF_F_INGRESS)
  kCpu,      // a CPUMAP entry (index: the CPU)
  kXsk,      // an XSKMAP entry (index: the queue)
};
struct RedirectTarget {
  RedirectKind kind = RedirectKind::kIfindex;
  uint32_t index = 0;
  auto operator<=>(const RedirectTarget&) const = default;
};
const char* redirect_kind_name(RedirectKind k);  // "ifindex", "ingress", "cpu", "xsk"
std::optional<RedirectKind> redirect_kind_from_name(std::string_view name);

// One packet being processed: the frame with headroom in front (so a program may grow the head,
// like bpf_xdp_adjust_head) and tailroom behind.
class PacketBuffer {
 public:
  static constexpr size_t kHeadroom = 256;
  static constexpr size_t kTailroom = 256;

  void assign(std::span<const uint8_t> frame, uint32_t wire_len, uint64_t ts_ns);
  uint8_t* data() { return storage_.data() + head_; }
  const uint8_t* data() const { return storage_.data() + head_; }
  size_t size() const { return len_; }
  std::span<uint8_t> bytes() { return {data(), len_}; }
  std::span<const uint8_t> bytes() const { return {data(), len_}; }
  // Move the start of the frame by `delta` bytes (negative grows); false when out of room.
  bool adjust_head(int delta);
  bool adjust_tail(int delta);
  // The whole frame (headroom + data + tailroom), for contexts that describe it (XDP's frame,
  // an skb's buffer). Programs move data/data_end inside it; set_window() takes the result back.
  // A frame is at least min_frame bytes (set before assign(); 0 = just the head/tailroom).
  uint8_t* frame() { return storage_.data(); }
  size_t frame_size() const { return storage_.size(); }
  size_t head() const { return head_; }
  void set_window(size_t head, size_t len);
  void set_min_frame(size_t bytes) { min_frame_ = bytes; }

  uint32_t wire_len = 0;  // on the wire (>= size() for truncated captures)
  uint64_t ts_ns = 0;
  uint32_t ifindex = 0;  // where it arrived
  // Set by the hook runner after a REDIRECT verdict: the targets the program named (several for
  // a devmap broadcast; none when it returned REDIRECT without a successful redirect helper).
  std::vector<RedirectTarget> redirect_to;

 private:
  std::vector<uint8_t> storage_;
  size_t head_ = kHeadroom;
  size_t len_ = 0;
  size_t min_frame_ = 0;
};

using PacketProgram = std::function<Verdict(PacketBuffer&)>;

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // Fills `pkt` and returns true, false at the end, or an error (damaged capture, socket error).
  virtual Result<bool> next(PacketBuffer& pkt) = 0;
  virtual CaptureInfo info() const { return {}; }
  // How far through the input the source is, as {done, total} in any unit (bytes of a file);
  // total 0 = unknown (live interfaces, memory).
  virtual std::pair<uint64_t, uint64_t> position() const { return {0, 0}; }
};

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual Status write(const PacketBuffer& pkt) = 0;
  virtual Status close() { return {}; }
};

// Sources and sinks.
Result<std::unique_ptr<PacketSource>> open_pcap_source(const std::string& path);
// Packets in memory, delivered `repeat` times over.
std::unique_ptr<PacketSource> memory_source(std::span<const Packet> packets, size_t repeat = 1);
Result<std::unique_ptr<PacketSink>> open_pcap_sink(const std::string& path,
                                                   const CaptureInfo& info = {});
// Appends to a vector (tests, in-memory pipelines).
std::unique_ptr<PacketSink> vector_sink(std::vector<Packet>* out);

struct RunnerOutputs {
  std::array<PacketSink*, kNumVerdicts> by_verdict{};  // indexed by Verdict; null = discard
  PacketSink*& operator[](Verdict v) { return by_verdict[static_cast<size_t>(v)]; }
  // Redirected packets per target (by_verdict[kRedirect] still gets each of them once): a
  // broadcast packet is written to the output of every target it went to.
  std::vector<std::pair<RedirectTarget, PacketSink*>> by_target;
};

struct RunnerStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  std::array<uint64_t, kNumVerdicts> per_verdict{};
  // Time spent in the program (all threads: the slowest thread). run_packets: wall time;
  // run_packets_batched: thread CPU time per batch.
  uint64_t ns = 0;
  // Redirected packets per target (a broadcast counts once per target), and redirects that
  // went nowhere: REDIRECT without a target, or (live) a target that is no interface of the run
  // (those are dropped and counted as drops).
  std::map<RedirectTarget, uint64_t> per_target;
  uint64_t redirect_unknown = 0;
  uint64_t count(Verdict v) const { return per_verdict[static_cast<size_t>(v)]; }
  double ns_per_packet() const { return packets ? static_cast<double>(ns) / packets : 0.0; }
  double packets_per_second() const { return ns ? packets * 1e9 / static_cast<double>(ns) : 0.0; }
};
std::string format_runner_stats(const RunnerStats& s, bool json);
// Adds `from` into `into` (packets, bytes, verdicts, targets; ns is left to the caller).
void add_runner_stats(RunnerStats& into, const RunnerStats& from);

// Counts `pkt` under verdict `v` (and its redirect targets) and writes it to every output that
// takes it. The one routing step of every runner.
Status route_packet(const RunnerOutputs& outputs, RunnerStats& st, Verdict v,
                    const PacketBuffer& pkt);

// The end of every run: closes the outputs, then returns `st`, or the first failure (a source or
// sink error during the run, else a close error) with the counts so far in its message.
Result<RunnerStats> finish_run(RunnerOutputs& outputs, const RunnerStats& st,
                               std::optional<Error> failure);

struct RunnerOptions {
  uint64_t max_packets = 0;  // 0 = until the source ends
};

// Runs `prog` on every packet of `src`. On a source error, every earlier packet has been run and
// routed (and sinks closed); the error is returned with the counts so far in its message.
Result<RunnerStats> run_packets(PacketSource& src, const PacketProgram& prog,
                                RunnerOutputs outputs = {}, const RunnerOptions& opts = {});

// Throughput mode: `threads` threads each run their own program instance (from `make_prog`)
// over all `packets`, `repeat` times, with no outputs. Counts are summed over threads.
Result<RunnerStats> run_packets_parallel(std::span<const Packet> packets,
                                         const std::function<Result<PacketProgram>()>& make_prog,
                                         unsigned threads, size_t repeat = 1);

// A converted classic filter (or any program written against CbpfSkbCtx) as a socket filter:
// return 0 drops, anything else passes (trimming the packet to that many bytes, as the kernel).
PacketProgram socket_filter_program(EbpfRunner runner);
// Convenience: compile a tcpdump expression and wrap it as above.
Result<PacketProgram> tcpdump_filter_program(const std::string& expr, const CaptureInfo& info = {},
                                             EbpfEngineFactory engine = {});

}  // namespace bombus::net
