// Packet runner implementation: buffers, sources and sinks, the sequential runner that routes by
// verdict, and the multi-threaded throughput runner.
#include "net/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"

namespace bombus::net {

namespace {

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

const char* verdict_name(Verdict v) {
  static const char* kNames[] = {"aborted", "drop", "pass", "tx", "redirect"};
  return kNames[static_cast<size_t>(v) % kNumVerdicts];
}

const char* redirect_kind_name(RedirectKind k) {
  static const char* kNames[] = {"ifindex", "ingress", "cpu", "xsk"};
  return kNames[static_cast<size_t>(k) % 4];
}

std::optional<RedirectKind> redirect_kind_from_name(std::string_view name) {
  for (RedirectKind k :
       {RedirectKind::kIfindex, RedirectKind::kIngress, RedirectKind::kCpu, RedirectKind::kXsk})
    if (name == redirect_kind_name(k)) return k;
  return std::nullopt;
}

Verdict verdict_from_xdp(uint64_t r0) {
  return r0 < kNumVerdicts ? static_cast<Verdict>(r0) : Verdict::kAborted;
}

Verdict verdict_from_tc(int64_t r0) {
  switch (static_cast<int32_t>(r0)) {
    case 2:  // TC_ACT_SHOT
    case 4:  // TC_ACT_STOLEN
    case 5:  // TC_ACT_QUEUED
    case 8:  // TC_ACT_TRAP
      return Verdict::kDrop;
    case 7:  // TC_ACT_REDIRECT
      return Verdict::kRedirect;
    default:  // UNSPEC (-1), OK, RECLASSIFY, PIPE, REPEAT: the packet goes on
      return Verdict::kPass;
  }
}

void PacketBuffer::assign(std::span<const uint8_t> frame, uint32_t wire, uint64_t ts) {
  const size_t need = std::max(kHeadroom + frame.size() + kTailroom, min_frame_);
  if (storage_.size() < need) storage_.resize(need);
  head_ = kHeadroom;
  len_ = frame.size();
  if (!frame.empty()) std::memcpy(storage_.data() + head_, frame.data(), frame.size());
  wire_len = std::max<uint32_t>(wire, static_cast<uint32_t>(frame.size()));
  ts_ns = ts;
  ifindex = 0;
  redirect_to.clear();
}

void PacketBuffer::set_window(size_t head, size_t len) {
  BOMBUS_ASSERT(head + len <= storage_.size());
  const int64_t grown = static_cast<int64_t>(len) - static_cast<int64_t>(len_);
  wire_len = static_cast<uint32_t>(std::max<int64_t>(static_cast<int64_t>(wire_len) + grown, 0));
  head_ = head;
  len_ = len;
}

bool PacketBuffer::adjust_head(int delta) {
  if (delta < 0 && static_cast<size_t>(-delta) > head_) return false;
  if (delta > 0 && static_cast<size_t>(delta) > len_) return false;
  head_ = static_cast<size_t>(static_cast<int64_t>(head_) + delta);
  len_ = static_cast<size_t>(static_cast<int64_t>(len_) - delta);
  wire_len = static_cast<uint32_t>(static_cast<int64_t>(wire_len) - delta);
  return true;
}

bool PacketBuffer::adjust_tail(int delta) {
  if (delta < 0 && static_cast<size_t>(-delta) > len_) return false;
  if (delta > 0 && head_ + len_ + delta > storage_.size()) return false;
  len_ = static_cast<size_t>(static_cast<int64_t>(len_) + delta);
  wire_len = static_cast<uint32_t>(static_cast<int64_t>(wire_len) + delta);
  return true;
}

namespace {

class PcapSource : public PacketSource {
 public:
  explicit PcapSource(std::unique_ptr<PcapReader> r) : r_(std::move(r)) {}
  Result<bool> next(PacketBuffer& pkt) override {
    BOMBUS_ASSIGN_OR_RETURN(auto v, r_->next());
    if (!v) return false;
    pkt.assign(v->data, v->wire_len, v->ts_ns);
    return true;
  }
  CaptureInfo info() const override { return r_->info(); }
  std::pair<uint64_t, uint64_t> position() const override { return r_->position(); }

 private:
  std::unique_ptr<PcapReader> r_;
};

class MemorySource : public PacketSource {
 public:
  MemorySource(std::span<const Packet> p, size_t repeat) : p_(p), repeat_(repeat) {}
  Result<bool> next(PacketBuffer& pkt) override {
    if (p_.empty() || round_ >= repeat_) return false;
    const Packet& x = p_[i_];
    pkt.assign(x.data, x.wire_len, x.ts_ns);
    if (++i_ == p_.size()) {
      i_ = 0;
      ++round_;
    }
    return true;
  }

 private:
  std::span<const Packet> p_;
  size_t repeat_;
  size_t i_ = 0, round_ = 0;
};

class PcapSink : public PacketSink {
 public:
  explicit PcapSink(std::unique_ptr<PcapWriter> w) : w_(std::move(w)) {}
  Status write(const PacketBuffer& p) override { return w_->write(p.ts_ns, p.wire_len, p.bytes()); }
  Status close() override { return w_->close(); }

 private:
  std::unique_ptr<PcapWriter> w_;
};

class VectorSink : public PacketSink {
 public:
  explicit VectorSink(std::vector<Packet>* out) : out_(out) {}
  Status write(const PacketBuffer& p) override {
    out_->push_back(Packet{p.ts_ns, p.wire_len, {p.bytes().begin(), p.bytes().end()}});
    return {};
  }

 private:
  std::vector<Packet>* out_;
};

}  // namespace

Result<std::unique_ptr<PacketSource>> open_pcap_source(const std::string& path) {
  BOMBUS_ASSIGN_OR_RETURN(auto r, PcapReader::open_file(path));
  return std::unique_ptr<PacketSource>(new PcapSource(std::move(r)));
}

std::unique_ptr<PacketSource> memory_source(std::span<const Packet> packets, size_t repeat) {
  return std::make_unique<MemorySource>(packets, repeat);
}

Result<std::unique_ptr<PacketSink>> open_pcap_sink(const std::string& path,
                                                   const CaptureInfo& info) {
  BOMBUS_ASSIGN_OR_RETURN(auto w, PcapWriter::open(path, info));
  return std::unique_ptr<PacketSink>(new PcapSink(std::move(w)));
}

std::unique_ptr<PacketSink> vector_sink(std::vector<Packet>* out) {
  return std::make_unique<VectorSink>(out);
}

std::string format_runner_stats(const RunnerStats& s, bool json) {
  if (json) {
    std::string v, t;
    for (size_t i = 0; i < kNumVerdicts; ++i)
      v += fmt::format("{}\"{}\":{}", i ? "," : "", verdict_name(static_cast<Verdict>(i)),
                       s.per_verdict[i]);
    for (const auto& [target, n] : s.per_target)
      t += fmt::format("{}{{\"{}\":{},\"packets\":{}}}", t.empty() ? "" : ",",
                       redirect_kind_name(target.kind), target.index, n);
    return fmt::format(
        "{{\"packets\":{},\"bytes\":{},\"verdicts\":{{{}}},\"redirect_targets\":[{}],"
        "\"redirect_unknown\":{},\"ns\":{},\"ns_per_packet\":{:.1f},"
        "\"packets_per_second\":{:.0f}}}",
        s.packets, s.bytes, v, t, s.redirect_unknown, s.ns, s.ns_per_packet(),
        s.packets_per_second());
  }
  std::string out = fmt::format("{} packets, {} bytes:", s.packets, s.bytes);
  for (size_t i = 0; i < kNumVerdicts; ++i)
    out += fmt::format(" {} {}", verdict_name(static_cast<Verdict>(i)), s.per_verdict[i]);
  if (!s.per_target.empty() || s.redirect_unknown) {
    out += " (redirected to";
    for (const auto& [target, n] : s.per_target)
      out += fmt::format(" {} {}: {},", redirect_kind_name(target.kind), target.index, n);
    out += fmt::format(" unknown: {})", s.redirect_unknown);
  }
  out += fmt::format("; {:.1f} ns/packet, {:.0f} packets/s", s.ns_per_packet(),
                     s.packets_per_second());
  return out;
}

void add_runner_stats(RunnerStats& into, const RunnerStats& from) {
  into.packets += from.packets;
  into.bytes += from.bytes;
  for (size_t i = 0; i < kNumVerdicts; ++i) into.per_verdict[i] += from.per_verdict[i];
  for (const auto& [target, n] : from.per_target) into.per_target[target] += n;
  into.redirect_unknown += from.redirect_unknown;
}

Status route_packet(const RunnerOutputs& outputs, RunnerStats& st, Verdict v,
                    const PacketBuffer& pkt) {
  ++st.packets;
  st.bytes += pkt.size();
  ++st.per_verdict[static_cast<size_t>(v) % kNumVerdicts];
  if (PacketSink* sink = outputs.by_verdict[static_cast<size_t>(v) % kNumVerdicts])
    BOMBUS_TRY(sink->write(pkt));
  if (v != Verdict::kRedirect) return {};
  if (pkt.redirect_to.empty()) ++st.redirect_unknown;
  for (const RedirectTarget& t : pkt.redirect_to) {
    ++st.per_target[t];
    for (const auto& [want, sink] : outputs.by_target)
      if (want == t && sink) BOMBUS_TRY(sink->write(pkt));
  }
  return {};
}

Result<RunnerStats> run_packets(PacketSource& src, const PacketProgram& prog, RunnerOutputs outputs,
                                const RunnerOptions& opts) {
  RunnerStats st;
  PacketBuffer pkt;
  std::optional<Error> failure;
  while (opts.max_packets == 0 || st.packets < opts.max_packets) {
    auto more = src.next(pkt);
    if (!more.ok()) {
      failure = more.error();
      break;
    }
    if (!*more) break;
    const uint64_t t0 = now_ns();
    Verdict v = prog(pkt);
    st.ns += now_ns() - t0;
    if (Status s = route_packet(outputs, st, v, pkt); !s.ok()) {
      failure = s.error();
      break;
    }
  }
  return finish_run(outputs, st, std::move(failure));
}

Result<RunnerStats> finish_run(RunnerOutputs& outputs, const RunnerStats& st,
                               std::optional<Error> failure) {
  auto close = [&](PacketSink* sink) {
    if (!sink) return;
    Status s = sink->close();
    if (!s.ok() && !failure) failure = s.error();
  };
  for (PacketSink* sink : outputs.by_verdict) close(sink);
  for (const auto& [target, sink] : outputs.by_target) close(sink);
  if (failure) {
    failure->message +=
        fmt::format(" ({} earlier packets run: {})", st.packets, format_runner_stats(st, false));
    return *failure;
  }
  return st;
}

Result<RunnerStats> run_packets_parallel(std::span<const Packet> packets,
                                         const std::function<Result<PacketProgram>()>& make_prog,
                                         unsigned threads, size_t repeat) {
  threads = std::max(1u, threads);
  std::vector<PacketProgram> progs;
  for (unsigned t = 0; t < threads; ++t) {
    BOMBUS_ASSIGN_OR_RETURN(auto p, make_prog());
    progs.push_back(std::move(p));
  }
  std::vector<RunnerStats> per(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Each thread works on private copies so programs may rewrite packets freely.
      std::vector<PacketBuffer> bufs(packets.size());
      RunnerStats& st = per[t];
      const uint64_t t0 = now_ns();
      for (size_t r = 0; r < repeat; ++r) {
        for (size_t i = 0; i < packets.size(); ++i) {
          PacketBuffer& b = bufs[i];
          b.assign(packets[i].data, packets[i].wire_len, packets[i].ts_ns);
          Verdict v = progs[t](b);
          ++st.per_verdict[static_cast<size_t>(v) % kNumVerdicts];
          st.bytes += b.size();
        }
      }
      st.ns = now_ns() - t0;
      st.packets = packets.size() * repeat;
    });
  }
  for (auto& th : pool) th.join();
  RunnerStats total;
  for (const RunnerStats& s : per) {
    add_runner_stats(total, s);
    total.ns = std::max(total.ns, s.ns);
  }
  return total;
}

PacketProgram socket_filter_program(EbpfRunner runner) {
  return [runner = std::move(runner)](PacketBuffer& pkt) {
    CbpfSkbCtx ctx = make_skb_ctx(pkt.bytes(), pkt.wire_len);
    if (pkt.size() >= 14) ctx.meta.protocol = (pkt.data()[12] << 8) | pkt.data()[13];
    ctx.meta.ifindex = pkt.ifindex;
    const uint32_t keep = static_cast<uint32_t>(runner(&ctx));
    if (keep == 0) return Verdict::kDrop;
    const uint32_t wire = pkt.wire_len;
    if (keep < pkt.size()) pkt.adjust_tail(-static_cast<int>(pkt.size() - keep));
    pkt.wire_len = std::min(wire, keep);  // the kernel trims skb->len to the returned length
    return Verdict::kPass;
  };
}

Result<PacketProgram> tcpdump_filter_program(const std::string& expr, const CaptureInfo& info,
                                             EbpfEngineFactory engine) {
  BOMBUS_ASSIGN_OR_RETURN(auto cbpf, compile_tcpdump(expr, info.linktype, info.snaplen));
  BOMBUS_ASSIGN_OR_RETURN(const CbpfMode mode, filter_mode(cbpf));
  BOMBUS_ASSIGN_OR_RETURN(auto ebpf, convert_cbpf(cbpf, mode));
  EbpfEngineFactory f = engine                      ? engine
                        : mode == CbpfMode::kSocket ? default_ebpf_engine()
                                                    : interp_ebpf_engine(mode, true);
  BOMBUS_ASSIGN_OR_RETURN(auto runner, f(std::move(ebpf)));
  return socket_filter_program(std::move(runner));
}

}  // namespace bombus::net
