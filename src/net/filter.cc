// tcpdump-expression filtering: pcap_compile -> check -> convert -> run over a capture.
#include "net/filter.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>

#include "net/cbpf_to_ebpf.h"
#include "net/cpu_time.h"
#include "net/engines.h"
#include "net/filter_jit.h"
#include "net/filter_vec.h"

namespace bombus::net {

namespace {

std::mutex g_engine_mu;
EbpfEngineFactory& engine_slot() {
  static EbpfEngineFactory f;
  return f;
}

}  // namespace

EbpfEngineFactory default_ebpf_engine() {
  std::lock_guard<std::mutex> lock(g_engine_mu);
  if (engine_slot()) return engine_slot();
  return lean_jit_ebpf_engine();
}

namespace {
bool engine_overridden() {
  std::lock_guard<std::mutex> lock(g_engine_mu);
  return static_cast<bool>(engine_slot());
}
}  // namespace

void set_default_ebpf_engine(EbpfEngineFactory factory) {
  std::lock_guard<std::mutex> lock(g_engine_mu);
  engine_slot() = std::move(factory);
}

Result<std::vector<CbpfInsn>> compile_tcpdump(const std::string& expr, int linktype,
                                              uint32_t snaplen) {
  pcap_t* p = pcap_open_dead(linktype, static_cast<int>(snaplen));
  if (!p) return make_error(Errc::kNoMem, "pcap_open_dead failed");
  bpf_program prog{};
  // pcap_compile is not thread-safe in older libpcap releases; serialise it.
  static std::mutex compile_mu;
  std::unique_lock<std::mutex> lock(compile_mu);
  if (pcap_compile(p, &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    std::string msg = pcap_geterr(p);
    pcap_close(p);
    return make_error(Errc::kInvalid, fmt::format("filter expression '{}': {}", expr, msg));
  }
  lock.unlock();
  std::vector<CbpfInsn> out(prog.bf_len);
  for (u_int i = 0; i < prog.bf_len; ++i) {
    const bpf_insn& b = prog.bf_insns[i];
    out[i] = CbpfInsn{b.code, b.jt, b.jf, b.k};
  }
  pcap_freecode(&prog);
  pcap_close(p);
  return out;
}

uint32_t libpcap_bpf_filter(std::span<const CbpfInsn> prog, std::span<const uint8_t> data,
                            uint32_t wire_len) {
  static_assert(sizeof(bpf_insn) == sizeof(CbpfInsn));
  return bpf_filter(reinterpret_cast<const bpf_insn*>(prog.data()), data.data(), wire_len,
                    static_cast<u_int>(data.size()));
}

Result<CbpfMode> filter_mode(std::span<const CbpfInsn> cbpf) {
  Status kernel = check_cbpf(cbpf, CbpfMode::kSocket);
  if (kernel.ok()) return CbpfMode::kSocket;
  if (check_cbpf(cbpf, CbpfMode::kLibpcap).ok()) return CbpfMode::kLibpcap;
  return kernel.error();
}

namespace {

// One batch of packets copied out of the reader (the reader's views die on the next call): the
// bytes back to back in one reused arena, a context per packet pointing into it.
struct FilterBatch {
  static constexpr size_t kPackets = 512;  // ~250 KB of packets: still in L2 when filtered
  std::vector<uint8_t> arena;
  std::vector<CbpfSkbCtx> ctxs;
  // The same packets as arrays (FilterVec::run_arrays).
  std::vector<const uint8_t*> data;
  std::vector<uint32_t> caplen, wire;
  std::vector<uint64_t> ts;
  std::vector<uint32_t> results;
  size_t used = 0;
  // FilterVec reads up to its window from a packet's start: the arena keeps that many bytes
  // past its last packet (run_arrays' `padded`).
  static constexpr size_t kPad = FilterVec::kMaxWindow;
  bool add(const PcapReader::View& v) {
    if (used + v.data.size() + kPad > arena.size() && !ctxs.empty()) return false;
    if (used + v.data.size() + kPad > arena.size()) arena.resize(used + v.data.size() + kPad);
    if (!v.data.empty()) std::memcpy(arena.data() + used, v.data.data(), v.data.size());
    // Pointers are fixed up in seal(): the arena never moves while a batch is being filled
    // except above, which only happens for the first packet.
    CbpfSkbCtx c = make_skb_ctx({arena.data() + used, v.data.size()}, v.wire_len);
    if (v.data.size() >= 14) c.meta.protocol = (v.data[12] << 8) | v.data[13];
    ctxs.push_back(c);
    data.push_back(c.data);
    caplen.push_back(c.caplen);
    wire.push_back(c.wire_len);
    ts.push_back(v.ts_ns);
    used += v.data.size();
    return true;
  }
  void clear() {
    used = 0;
    ctxs.clear();
    data.clear();
    caplen.clear();
    wire.clear();
    ts.clear();
  }
};

}  // namespace

Result<FilterStats> run_filter(const FilterOptions& opts) {
  BOMBUS_ASSIGN_OR_RETURN(auto reader, PcapReader::open_file(opts.input));
  const CaptureInfo info = reader->info();
  BOMBUS_ASSIGN_OR_RETURN(auto cbpf, compile_tcpdump(opts.expr, info.linktype, info.snaplen));
  BOMBUS_ASSIGN_OR_RETURN(const CbpfMode mode, filter_mode(cbpf));
  FilterStats stats;
  stats.cbpf_insns = cbpf.size();
  stats.kernel_accepts = mode == CbpfMode::kSocket;
  EbpfRunner runner;
  // The batch bodies to choose from: with more than one, run_batch() runs each of them on the
  // first kJitProbeBatches batches and keeps the one with the fastest run.
  struct Candidate {
    const char* name;
    std::function<void(const FilterBatch&, uint32_t*)> run;
    double best = 1e300;  // the fastest run so far, ns/packet
  };
  std::vector<Candidate> bodies;
  int batches = 0;
  std::unique_ptr<FilterJit> lean, flat;
  std::unique_ptr<FilterVec> vec, vec_eager;
  if (opts.engine == FilterEngine::kEbpf) {
    BOMBUS_ASSIGN_OR_RETURN(auto ebpf, convert_cbpf(cbpf, mode));
    stats.ebpf_insns = ebpf.size();
    if (!opts.ebpf_engine && mode == CbpfMode::kSocket && !engine_overridden() &&
        filter_jit_supports(ebpf)) {
      // The default: the whole batch in one call of the lean JIT or the vector JIT.
      using Body = FilterOptions::JitBody;
      const Body want = opts.jit_body;
      // The branchy body always: it is what a forced body falls back to.
      BOMBUS_ASSIGN_OR_RETURN(lean, FilterJit::compile(ebpf, FilterJitMode::kBranchy));
      if (want == Body::kAuto || want == Body::kFlat) {
        BOMBUS_ASSIGN_OR_RETURN(flat, FilterJit::compile(ebpf, FilterJitMode::kFlat));
        if (!flat->flat()) flat.reset();  // no branch-free body: the same code as lean
      }
      if (want == Body::kAuto || want == Body::kVector) {
        // The vector JIT compiles the converted eBPF read back into its classic form; outside
        // its subset the lean JIT runs alone.
        auto lifted = lift_converted(ebpf);
        if (lifted.ok()) {
          auto v = FilterVec::compile(*lifted);
          if (v.ok()) vec = std::move(*v);
          // With lazy windows, kAuto also times the code that loads every window up front.
          if (vec && vec->lazy() && want == Body::kAuto) {
            auto e = FilterVec::compile(*lifted, FilterVecOptions{.lazy_windows = false});
            if (e.ok()) vec_eager = std::move(*e);
          }
        }
      }
      if (want == Body::kFlat && flat) lean.reset();
      if (want == Body::kVector && vec) lean.reset();
    } else {
      // Backward jumps can loop: such programs run on the checked interpreter with a budget.
      EbpfEngineFactory factory = opts.ebpf_engine            ? opts.ebpf_engine
                                  : mode == CbpfMode::kSocket ? default_ebpf_engine()
                                                              : interp_ebpf_engine(mode, true);
      BOMBUS_ASSIGN_OR_RETURN(runner, factory(std::move(ebpf)));
    }
  }
  for (FilterJit* j : {lean.get(), flat.get()})
    if (j)
      bodies.push_back(
          {j == flat.get() ? "flat" : "branchy", [j](const FilterBatch& b, uint32_t* out) {
             j->run_batch(b.ctxs.data(), sizeof(CbpfSkbCtx), b.ctxs.size(), out);
           }});
  for (FilterVec* v : {vec.get(), vec_eager.get()})
    if (v)
      bodies.push_back({"vector", [v](const FilterBatch& b, uint32_t* out) {
                          v->run_arrays(b.data.data(), b.caplen.data(), b.wire.data(),
                                        b.ctxs.size(), out, true);
                        }});
  if (bodies.size() == 1) stats.body = bodies[0].name;
  auto fastest = [&bodies] {
    return std::min_element(bodies.begin(), bodies.end(),
                            [](const Candidate& x, const Candidate& y) { return x.best < y.best; });
  };
  std::unique_ptr<PcapWriter> writer;
  if (opts.write_out) {
    BOMBUS_ASSIGN_OR_RETURN(writer, PcapWriter::open(*opts.write_out, info));
  }
  std::optional<Error> input_error;
  FilterBatch b;
  b.arena.resize(512 << 10);
  b.results.resize(FilterBatch::kPackets);
  bool end = false;
  while (!end) {
    b.clear();
    std::optional<PcapReader::View> pending;
    while (b.ctxs.size() < FilterBatch::kPackets) {
      auto next = reader->next();
      if (!next.ok()) {
        input_error = next.error();
        end = true;
        break;
      }
      if (!next->has_value()) {
        end = true;
        break;
      }
      if (!b.add(**next)) {  // arena full: this packet starts the next batch
        pending = **next;
        break;
      }
    }
    auto run_batch = [&] {
      const size_t n = b.ctxs.size();
      if (n == 0) return;
      uint32_t* out = b.results.data();
      const uint64_t t0 = wall_ns();
      uint64_t probe_ns = UINT64_MAX;  // set by a probing batch
      switch (opts.engine) {
        case FilterEngine::kEbpf:
          if (bodies.size() > 1) {
            // Probing: every body runs on this same batch (in a rotating order, so none is
            // always the one that meets the batch's bytes cold); their verdicts are the same.
            // The batch counts the bodies' mean time.
            const size_t m = bodies.size(), first = static_cast<size_t>(batches++) % m;
            uint64_t sum = 0;
            for (size_t j = 0; j < m; ++j) {
              Candidate& c = bodies[(first + j) % m];
              const uint64_t p0 = wall_ns();
              c.run(b, out);
              const uint64_t t = wall_since(p0);
              sum += t;
              // The fastest run: one the scheduler interrupted says nothing about the code.
              c.best = std::min(c.best, static_cast<double>(t) / n);
            }
            probe_ns = sum / m;
            if (batches == kJitProbeBatches) {
              Candidate keep = std::move(*fastest());
              bodies.clear();
              bodies.push_back(std::move(keep));
              stats.body = bodies[0].name;
            }
          } else if (!bodies.empty()) {
            bodies[0].run(b, out);
          } else {
            for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(runner(&b.ctxs[i]));
          }
          break;
        case FilterEngine::kClassic:
          for (size_t i = 0; i < n; ++i)
            out[i] = run_cbpf(cbpf, {b.ctxs[i].data, b.ctxs[i].caplen}, b.ctxs[i].wire_len);
          break;
        case FilterEngine::kLibpcap:
          for (size_t i = 0; i < n; ++i)
            out[i] =
                libpcap_bpf_filter(cbpf, {b.ctxs[i].data, b.ctxs[i].caplen}, b.ctxs[i].wire_len);
          break;
      }
      stats.ns += probe_ns != UINT64_MAX ? probe_ns : wall_since(t0);
    };
    run_batch();
    for (size_t i = 0; i < b.ctxs.size(); ++i) {
      ++stats.packets;
      if (b.results[i] == 0) continue;
      ++stats.matched;
      const CbpfSkbCtx& c = b.ctxs[i];
      if (writer) BOMBUS_TRY(writer->write(b.ts[i], c.wire_len, {c.data, c.caplen}));
    }
    if (pending) {  // a packet bigger than what was left of the arena: a batch of its own
      b.clear();
      b.add(*pending);
      run_batch();
      ++stats.packets;
      if (b.results[0] != 0) {
        ++stats.matched;
        const CbpfSkbCtx& c = b.ctxs[0];
        if (writer) BOMBUS_TRY(writer->write(b.ts[0], c.wire_len, {c.data, c.caplen}));
      }
    }
    if (opts.progress) opts.progress(stats, reader->position());
  }
  if (bodies.size() > 1) stats.body = fastest()->name;  // a capture shorter than the probe
  if (writer) BOMBUS_TRY(writer->close());
  if (input_error) {
    Error e = *input_error;
    e.message += fmt::format(" ({} earlier packets filtered, {} matched{})", stats.packets,
                             stats.matched, writer ? " and written" : "");
    return e;
  }
  return stats;
}

Result<FilterStats> run_filter(const std::string& expr, const std::string& pcap_in,
                               const std::optional<std::string>& write_out) {
  FilterOptions o;
  o.expr = expr;
  o.input = pcap_in;
  o.write_out = write_out;
  return run_filter(o);
}

std::string format_filter_stats(const FilterStats& s, bool json) {
  if (json)
    return fmt::format(
        "{{\"packets\":{},\"matched\":{},\"ns\":{},\"ns_per_packet\":{:.1f},\"cbpf_insns\":{},"
        "\"ebpf_insns\":{},\"kernel_accepts\":{},\"body\":\"{}\"}}",
        s.packets, s.matched, s.ns, s.ns_per_packet(), s.cbpf_insns, s.ebpf_insns, s.kernel_accepts,
        s.body);
  return fmt::format("matched {} of {} packets ({:.1f} ns/packet)", s.matched, s.packets,
                     s.ns_per_packet());
}

}  // namespace bombus::net
