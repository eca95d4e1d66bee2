// Packet-path benchmarks on a generated capture held in memory (2,048 frames, seed 1, ~1.3 MB so it
// stays in cache).
//
//  BM_Filter/<engine>/<expr>: one tcpdump expression per packet. Engines: 0 libpcap's
//    bpf_filter (the baseline: one call per packet, matches counted), 1 the classic reference
//    interpreter, 2 the converted eBPF program on vm's interpreter, 3 on the JIT (one call per
//    packet through its raw entry), 4 on the lean batch JIT (filter_jit.h: one call per batch
//    of all 2,048 packets, as `bombus filter` runs it; it writes every packet's verdict to the
//    result array and returns the match count), 5 the same with its branch-free body
//    (FilterJitMode::kFlat), 6 the vector JIT running the classic program on 8 packets at once
//    (filter_vec.h; one call per batch like 4, over pointer/caplen/wire arrays of the same
//    packets, `padded` as run_filter() calls it). items/s = packets/s. The packets are back to
//    back in an arena (a capture in memory, as `bombus filter` holds a batch); every engine but
//    6 reads a CbpfSkbCtx array (data pointer, caplen, wire length) over them. The third
//    argument is the order: 0 the same 2,048 packets every iteration (a branch predictor can
//    learn part of that sequence), 1 a new random order every iteration, the arena rewritten
//    in that order outside the timing (manual time: the steady clock around the filter calls),
//    which is closer to live traffic: data-dependent branches mispredict for both engines.
//  BM_FilterFresh/<engine>/<expr>: engines 0, 4, 5 and 6 over 300,000 generated packets (seed
//    1, as `bombus-trafgen big.pcap count 300000 seed 1` writes them) back to back in memory
//    (147 MB), one pass per iteration: far more packets than a branch predictor or the caches
//    hold, so it measures memory bandwidth as much as the filters.
//  BM_Xdp/<engine>: an XDP-style parse-and-drop program (Ethernet, 802.1Q, IPv4/IPv6, UDP; drop
//    DNS and NTP) written in eBPF, on the interpreter and the JIT, against the same logic
//    compiled natively by the C++ compiler; ->Threads(2) shows scaling.
//
// Every engine's verdicts are checked against the reference before timing, and the match count
// of every timed iteration against libpcap's; a mismatch aborts the benchmark with an error
// instead of reporting a number.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <random>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"
#include "net/filter.h"
#include "net/filter_jit.h"
#include "net/filter_vec.h"
#include "net/traffic.h"
#include "vm/interp.h"
#ifdef BOMBUS_BENCH_HAVE_JIT
#include "jit/jit.h"
#endif

namespace bombus::net {
namespace {

const std::vector<Packet>& capture() {
  static const std::vector<Packet> pkts = [] {
    TrafficOptions o;
    o.seed = 1;
    o.count = 2048;  // ~1.3 MB: stays in cache, so we time the engines, not DRAM
    return generate_traffic(o);
  }();
  return pkts;
}

const char* const kExprs[] = {
    "tcp port 80 or tcp port 443",
    "ip6 and udp",
    "vlan and ip and udp dst port 53",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and net 10.0.0.0/16",
    "",  // accept-all (one RET): the per-call cost of each engine
    "tcp",
    "udp port 53",
    "host 10.0.0.1",
    "tcp[tcpflags] & tcp-syn != 0",
    "vlan and ip6",
};

enum Engine { kLibpcap, kClassic, kInterp, kJit, kLean, kFlat, kVec, kVecEager };
const char* const kEngineNames[] = {"libpcap", "classic", "interp", "jit",
                                    "lean",    "flat",    "vec",    "vec-eager"};

// A prepared engine: run(ctx-or-packet) -> verdict value.
struct Prepared {
  std::vector<CbpfInsn> cbpf;
  std::vector<isa::Insn> ebpf;
  std::unique_ptr<vm::Interpreter> interp;
  std::unique_ptr<FilterJit> lean;
  std::unique_ptr<FilterVec> vec;
#ifdef BOMBUS_BENCH_HAVE_JIT
  std::unique_ptr<jit::JitProgram> jit;
  jit::JitFn entry = nullptr;
  mutable jit::JitRunCtx rc;  // raw-entry state; the caller keeps a RunScope open
#endif
};

bool prepare(Prepared& p, const char* expr, Engine e, std::string* err) {
  auto c = compile_tcpdump(expr);
  if (!c.ok()) return *err = c.error().format(), false;
  p.cbpf = *c;
  auto x = convert_cbpf(p.cbpf);
  if (!x.ok()) return *err = x.error().format(), false;
  p.ebpf = *x;
  if (e == kInterp) {
    auto i = vm::Interpreter::create(p.ebpf);
    if (!i.ok()) return *err = i.error().format(), false;
    p.interp = std::make_unique<vm::Interpreter>(std::move(*i));
  }
  if (e == kLean || e == kFlat) {
    auto j =
        FilterJit::compile(p.ebpf, e == kFlat ? FilterJitMode::kFlat : FilterJitMode::kBranchy);
    if (!j.ok()) return *err = j.error().format(), false;
    p.lean = std::move(*j);
  }
  if (e == kVec || e == kVecEager) {
    auto v = FilterVec::compile(p.cbpf, FilterVecOptions{.lazy_windows = e == kVec});
    if (!v.ok()) return *err = v.error().format(), false;
    p.vec = std::move(*v);
  }
  if (e == kJit) {
#ifdef BOMBUS_BENCH_HAVE_JIT
    auto j = jit::compile(p.ebpf, jit::JitOptions{});
    if (!j.ok()) return *err = j.error().format(), false;
    p.jit = std::move(*j);
    p.entry = p.jit->entry();
    p.rc.depth = 1;
#else
    return *err = "the JIT is not built", false;
#endif
  }
  return true;
}

// Contexts are built once per packet before timing, so every engine's loop is the same and only
// the call differs (libpcap and the classic interpreter read the same data/caplen/wire_len).
inline uint32_t run_one(const Prepared& p, Engine e, const CbpfSkbCtx& ctx) {
  switch (e) {
    case kLibpcap:
      return bpf_filter(reinterpret_cast<const bpf_insn*>(p.cbpf.data()), ctx.data, ctx.wire_len,
                        ctx.caplen);
    case kClassic:
      return run_cbpf(p.cbpf, {ctx.data, ctx.caplen}, ctx.wire_len);
    case kInterp:
      return static_cast<uint32_t>(*p.interp->run(const_cast<CbpfSkbCtx*>(&ctx), sizeof ctx));
    case kLean:
    case kFlat:
      return p.lean->run(&ctx);
    case kVec:
    case kVecEager:
      return p.vec->run(&ctx);
#ifdef BOMBUS_BENCH_HAVE_JIT
    case kJit:
      return static_cast<uint32_t>(p.entry(const_cast<CbpfSkbCtx*>(&ctx), sizeof ctx, &p.rc));
#endif
    default:
      return 0;
  }
}

// Copies the packets back to back into `arena` (with FilterVec's window of padding after the
// last) and points the contexts there.
void repack(std::vector<CbpfSkbCtx>& ctxs, std::vector<uint8_t>& arena) {
  size_t size = FilterVec::kMaxWindow;
  for (const CbpfSkbCtx& c : ctxs) size += c.caplen;
  arena.assign(size, 0);
  size_t at = 0;
  for (CbpfSkbCtx& c : ctxs) {
    if (c.caplen) std::memcpy(arena.data() + at, c.data, c.caplen);
    c.data = arena.data() + at;
    at += c.caplen;
  }
}

// The packets as FilterVec::run_arrays takes them.
struct Arrays {
  std::vector<const uint8_t*> data;
  std::vector<uint32_t> caplen, wire;
};
Arrays arrays_of(const std::vector<CbpfSkbCtx>& ctxs) {
  Arrays a;
  for (const CbpfSkbCtx& c : ctxs) {
    a.data.push_back(c.data);
    a.caplen.push_back(c.caplen);
    a.wire.push_back(c.wire_len);
  }
  return a;
}

const std::vector<CbpfSkbCtx>& contexts() {
  static const std::vector<CbpfSkbCtx> ctxs = [] {
    std::vector<CbpfSkbCtx> v;
    for (const Packet& x : capture()) v.push_back(make_skb_ctx(x.data, x.wire_len));
    return v;
  }();
  return ctxs;
}

void BM_Filter(benchmark::State& state) {
  const Engine e = static_cast<Engine>(state.range(0));
  const char* expr = kExprs[state.range(1)];
  const bool shuffled = state.range(2) != 0;
  state.SetLabel(std::string(kEngineNames[e]) + (shuffled ? " shuffled: " : ": ") + expr);
  Prepared p;
  std::string err;
  if (!prepare(p, expr, e, &err)) return state.SkipWithError(err.c_str());
  // The JIT runs through its raw entry point inside one RunState for the whole benchmark, the
  // way a packet loop would drive it (jit.h: entry()).
  vm::RunState rs;
  vm::RunScope scope(rs);
#ifdef BOMBUS_BENCH_HAVE_JIT
  p.rc.rs = &rs;
#endif
  std::vector<CbpfSkbCtx> pk = contexts();
  std::mt19937_64 rng(state.range(1));
  uint64_t matched = 0;
  for (const CbpfSkbCtx& x : pk) {
    uint32_t want = libpcap_bpf_filter(p.cbpf, {x.data, x.caplen}, x.wire_len);
    if (run_one(p, e, x) != want) return state.SkipWithError("verdict differs from libpcap");
    matched += want != 0;
  }
  // The packets back to back in an arena, a capture in memory as `bombus filter` holds a
  // batch. Reshuffled: before every iteration the order is shuffled and the arena rewritten
  // (outside the timing: the iteration time is set by hand from the steady clock around the
  // filter calls alone; pausing the benchmark's timers reads the thread CPU clock, a system
  // call costing more than a fast engine's whole pass here).
  std::vector<CbpfSkbCtx> order = pk;  // pointing at the generated packets
  std::vector<uint8_t> arena;
  repack(pk, arena);
  Arrays arr = arrays_of(pk);
  std::vector<uint32_t> out(pk.size());
  for (auto _ : state) {
    if (shuffled) {  // from the original packets: repack() overwrites the arena
      std::shuffle(order.begin(), order.end(), rng);
      pk = order;
      repack(pk, arena);
      arr = arrays_of(pk);
    }
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t m = 0;
    if (p.lean) {  // the way run_filter() drives it: one call per batch of packets
      m = p.lean->run_batch(pk.data(), sizeof(CbpfSkbCtx), pk.size(), out.data());
    } else if (p.vec) {  // the same, 8 packets per step, from the arrays
      m = p.vec->run_arrays(arr.data.data(), arr.caplen.data(), arr.wire.data(), pk.size(),
                            out.data(), true);
    } else {
      for (const CbpfSkbCtx& x : pk) m += run_one(p, e, x) != 0;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(m);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (m != matched) return state.SkipWithError("match count differs from libpcap's");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pk.size()));
  state.counters["matched"] = static_cast<double>(matched);
  state.counters["ns/pkt"] =
      benchmark::Counter(static_cast<double>(state.iterations() * pk.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_FilterFresh(benchmark::State& state) {
  static const std::vector<Packet> big = [] {
    TrafficOptions o;
    o.seed = 1;
    o.count = 300000;
    return generate_traffic(o);
  }();
  const Engine e = static_cast<Engine>(state.range(0));
  const char* expr = kExprs[state.range(1)];
  state.SetLabel(std::string(kEngineNames[e]) + " fresh: " + expr);
  Prepared p;
  std::string err;
  if (!prepare(p, expr, e, &err)) return state.SkipWithError(err.c_str());
  std::vector<CbpfSkbCtx> pk;
  uint64_t matched = 0;
  for (const Packet& x : big) {
    pk.push_back(make_skb_ctx(x.data, x.wire_len));
    matched += libpcap_bpf_filter(p.cbpf, x.data, x.wire_len) != 0;
  }
  std::vector<uint8_t> arena;  // a capture in memory: packets back to back
  repack(pk, arena);
  const Arrays arr = arrays_of(pk);
  std::vector<uint32_t> out(pk.size());
  for (auto _ : state) {
    uint64_t m = 0;
    if (p.lean)
      m = p.lean->run_batch(pk.data(), sizeof(CbpfSkbCtx), pk.size(), out.data());
    else if (p.vec)
      m = p.vec->run_arrays(arr.data.data(), arr.caplen.data(), arr.wire.data(), pk.size(),
                            out.data(), true);
    else
      for (const CbpfSkbCtx& x : pk) m += run_one(p, e, x) != 0;
    benchmark::DoNotOptimize(m);
    if (m != matched) return state.SkipWithError("match count differs from libpcap's");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pk.size()));
  state.counters["ns/pkt"] =
      benchmark::Counter(static_cast<double>(state.iterations() * pk.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// ---- XDP parse-and-drop -------------------------------------------------------------------

struct XdpCtx {  // what r1 points to: host pointers to the frame
  const uint8_t* data;
  const uint8_t* data_end;
};

// A tiny label assembler for the hand-written program.
struct Asm {
  std::vector<isa::Insn> code;
  std::map<std::string, size_t> labels;
  std::vector<std::pair<size_t, std::string>> fix;
  void op(uint8_t opc, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    isa::Insn i;
    i.opcode = opc;
    i.dst = dst;
    i.src = src;
    i.off = off;
    i.imm = imm;
    code.push_back(i);
  }
  void jmp(uint8_t opc, uint8_t dst, uint8_t src, int32_t imm, const std::string& to) {
    fix.emplace_back(code.size(), to);
    op(opc, dst, src, 0, imm);
  }
  void label(const std::string& l) { labels[l] = code.size(); }
  std::vector<isa::Insn> done() {
    for (auto& [at, l] : fix) code[at].off = static_cast<int16_t>(labels.at(l) - at - 1);
    return code;
  }
};

std::vector<isa::Insn> xdp_program() {
  Asm a;
  constexpr uint8_t LDXDW = 0x79, LDXH = 0x69, LDXB = 0x71, MOVX = 0xbf, ADDK = 0x07, ADDX = 0x0f,
                    ANDK = 0x57, LSHK = 0x67, MOVK = 0xb7, JGTX = 0x2d, JNEK = 0x55, JEQK = 0x15,
                    JA = 0x05, EXIT = 0x95;
  a.op(LDXDW, 2, 1, 0, 0);  // r2 = data
  a.op(LDXDW, 3, 1, 8, 0);  // r3 = data_end
  a.op(MOVX, 4, 2, 0, 0);
  a.op(ADDK, 4, 0, 0, 14);
  a.jmp(JGTX, 4, 3, 0, "pass");
  a.op(LDXH, 5, 2, 12, 0);  // ethertype (wire order read as little-endian)
  a.jmp(JNEK, 5, 0, 0x0081, "l3");
  a.op(ADDK, 4, 0, 0, 4);  // 802.1Q: skip the tag
  a.jmp(JGTX, 4, 3, 0, "pass");
  a.op(LDXH, 5, 2, 16, 0);
  a.op(ADDK, 2, 0, 0, 4);  // r2 = data + 4: the rest parses as untagged
  a.label("l3");
  a.jmp(JNEK, 5, 0, 0x0008, "v6");
  a.op(MOVX, 4, 2, 0, 0);  // IPv4
  a.op(ADDK, 4, 0, 0, 34);
  a.jmp(JGTX, 4, 3, 0, "pass");
  a.op(LDXB, 6, 2, 23, 0);
  a.jmp(JNEK, 6, 0, 17, "pass");
  a.op(LDXB, 7, 2, 14, 0);
  a.op(ANDK, 7, 0, 0, 0xf);
  a.op(LSHK, 7, 0, 0, 2);
  a.op(MOVX, 8, 2, 0, 0);
  a.op(ADDK, 8, 0, 0, 14);
  a.op(ADDX, 8, 7, 0, 0);  // r8 = UDP header
  a.op(MOVX, 9, 8, 0, 0);
  a.op(ADDK, 9, 0, 0, 8);
  a.jmp(JGTX, 9, 3, 0, "pass");
  a.op(LDXH, 0, 8, 2, 0);
  a.jmp(JA, 0, 0, 0, "port");
  a.label("v6");
  a.jmp(JNEK, 5, 0, 0xdd86, "pass");
  a.op(MOVX, 4, 2, 0, 0);
  a.op(ADDK, 4, 0, 0, 62);
  a.jmp(JGTX, 4, 3, 0, "pass");
  a.op(LDXB, 6, 2, 20, 0);
  a.jmp(JNEK, 6, 0, 17, "pass");
  a.op(LDXH, 0, 2, 56, 0);
  a.label("port");
  a.jmp(JEQK, 0, 0, 0x3500, "drop");  // 53
  a.jmp(JEQK, 0, 0, 0x7b00, "drop");  // 123
  a.label("pass");
  a.op(MOVK, 0, 0, 0, 2);
  a.op(EXIT, 0, 0, 0, 0);
  a.label("drop");
  a.op(MOVK, 0, 0, 0, 1);
  a.op(EXIT, 0, 0, 0, 0);
  return a.done();
}

// The same logic in C++ (the "native" column and the reference for verdicts).
uint32_t xdp_native(const uint8_t* d, const uint8_t* end) {
  if (d + 14 > end) return 2;
  uint16_t type;
  std::memcpy(&type, d + 12, 2);
  if (type == 0x0081) {
    if (d + 18 > end) return 2;
    std::memcpy(&type, d + 16, 2);
    d += 4;
  }
  uint16_t port;
  if (type == 0x0008) {
    if (d + 34 > end || d[23] != 17) return 2;
    const uint8_t* udp = d + 14 + (d[14] & 0xf) * 4;
    if (udp + 8 > end) return 2;
    std::memcpy(&port, udp + 2, 2);
  } else if (type == 0xdd86) {
    if (d + 62 > end || d[20] != 17) return 2;
    std::memcpy(&port, d + 56, 2);
  } else {
    return 2;
  }
  return (port == 0x3500 || port == 0x7b00) ? 1 : 2;
}

enum XdpEngine { kXdpNative, kXdpInterp, kXdpJit };
const char* const kXdpNames[] = {"native", "interp", "jit"};

void BM_Xdp(benchmark::State& state) {
  const XdpEngine e = static_cast<XdpEngine>(state.range(0));
  state.SetLabel(kXdpNames[e]);
  static const std::vector<isa::Insn> prog = xdp_program();
  std::unique_ptr<vm::Interpreter> interp;
#ifdef BOMBUS_BENCH_HAVE_JIT
  std::unique_ptr<jit::JitProgram> jitp;
#endif
  if (e == kXdpInterp) {
    auto i = vm::Interpreter::create(prog);
    if (!i.ok()) return state.SkipWithError(i.error().format().c_str());
    interp = std::make_unique<vm::Interpreter>(std::move(*i));
  }
  if (e == kXdpJit) {
#ifdef BOMBUS_BENCH_HAVE_JIT
    auto j = jit::compile(prog, jit::JitOptions{});
    if (!j.ok()) return state.SkipWithError(j.error().format().c_str());
    jitp = std::move(*j);
#else
    return state.SkipWithError("the JIT is not built");
#endif
  }
  vm::RunState rs;
  vm::RunScope scope(rs);
#ifdef BOMBUS_BENCH_HAVE_JIT
  jit::JitRunCtx jrc;
  jrc.rs = &rs;
  jrc.depth = 1;
  jit::JitFn jentry = jitp ? jitp->entry() : nullptr;
#endif
  std::vector<XdpCtx> pk;
  for (const Packet& x : capture()) pk.push_back({x.data.data(), x.data.data() + x.data.size()});
  auto run = [&](const XdpCtx& c) -> uint32_t {
    XdpCtx ctx = c;
    switch (e) {
      case kXdpNative:
        return xdp_native(ctx.data, ctx.data_end);
      case kXdpInterp:
        return static_cast<uint32_t>(*interp->run(&ctx, sizeof ctx));
#ifdef BOMBUS_BENCH_HAVE_JIT
      case kXdpJit:
        return static_cast<uint32_t>(jentry(&ctx, sizeof ctx, &jrc));
#endif
      default:
        return 0;
    }
  };
  uint64_t drops = 0;
  for (const XdpCtx& x : pk) {
    uint32_t want = xdp_native(x.data, x.data_end);
    if (run(x) != want) return state.SkipWithError("verdict differs from the native program");
    drops += want == 1;
  }
  for (auto _ : state) {
    uint64_t d = 0;
    for (const XdpCtx& x : pk) d += run(x) == 1;
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pk.size()));
  state.counters["dropped"] = static_cast<double>(drops);
}

void filter_args(benchmark::internal::Benchmark* b) {
  for (int order = 0; order < 2; ++order)
    for (int e = kLibpcap; e <= kVecEager; ++e)
      for (int x = 0; x < static_cast<int>(std::size(kExprs)); ++x) b->Args({e, x, order});
}

BENCHMARK(BM_Filter)->Apply(filter_args)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FilterFresh)
    ->ArgsProduct({{kLibpcap, kLean, kFlat, kVec, kVecEager}, benchmark::CreateDenseRange(0, 9, 1)})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Xdp)
    ->DenseRange(kXdpNative, kXdpJit)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bombus::net

BENCHMARK_MAIN();
