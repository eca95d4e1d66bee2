// The lean batch JIT for converted filters: per packet it gives libpcap's bpf_filter answer on a
// battery of tcpdump expressions (batch and single calls, and the batch's match count); on
// random classic programs it agrees with the classic reference, vm's checked interpreter and
// (where their semantics coincide) libpcap; it agrees with vm's interpreter on random ALU/jump
// eBPF programs (32/64-bit, division and modulo by zero, shifts, byte swaps); its plan drops the
// converter's dead set-up; programs that write r1 or read registers before writing them run
// per packet from a clean state; it refuses what is outside its subset, and the factory falls
// back to the interpreter then. The branch-free body (FilterJitMode::kFlat) gives the same
// answers as the branchy body and libpcap on the expressions and the random classic programs,
// over traffic with many truncated and malformed frames.
#include "net/filter_jit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"
#include "net/filter.h"
#include "net/filter_jit_plan.h"
#include "net/filter_vec.h"
#include "net/traffic.h"
#include "test_util.h"
#include "vm/interp.h"

namespace bombus::net {
namespace {

isa::Insn mk(uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  isa::Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

std::vector<CbpfSkbCtx> contexts_of(const std::vector<Packet>& pkts) {
  std::vector<CbpfSkbCtx> ctxs;
  for (const Packet& p : pkts) ctxs.push_back(make_skb_ctx(p.data, p.wire_len));
  return ctxs;
}

using testing::kFilterExprs;

// The bench's expressions (bench/net/bench_net.cc): each must get the branch-free body.
const char* const kBenchExprs[] = {
    "tcp port 80 or tcp port 443",
    "ip6 and udp",
    "vlan and ip and udp dst port 53",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and net 10.0.0.0/16",
    "",
    "tcp",
    "udp port 53",
    "host 10.0.0.1",
    "tcp[tcpflags] & tcp-syn != 0",
    "vlan and ip6"};

// The branch-free body against the branchy one and libpcap, over traffic with many truncated
// and malformed frames (short ones take the branchy body, truncated long ones the flat body's
// out-of-bounds edges).
TEST(FilterJit, BranchFreeBodyAgreesWithBranchyBodyAndLibpcap) {
  TrafficOptions o;
  o.seed = 17;
  o.count = 1200;
  o.truncated_percent = 25;
  o.malformed_percent = 15;
  o.vlan_percent = 30;
  auto pkts = generate_traffic(o);
  const std::vector<CbpfSkbCtx> ctxs = contexts_of(pkts);
  size_t flat_programs = 0;
  for (const char* e : kFilterExprs) {
    auto cbpf = compile_tcpdump(e);
    ASSERT_TRUE(cbpf.ok()) << e;
    auto ebpf = convert_cbpf(*cbpf);
    ASSERT_TRUE(ebpf.ok()) << e;
    auto flat = FilterJit::compile(*ebpf, FilterJitMode::kFlat);
    auto branchy = FilterJit::compile(*ebpf, FilterJitMode::kBranchy);
    ASSERT_TRUE(flat.ok() && branchy.ok()) << e;
    EXPECT_FALSE((*branchy)->flat());
    if (!(*flat)->flat()) {
      EXPECT_NE(plan_flat(*ebpf, plan_filter_jit(*ebpf)).why, std::string()) << e;
      continue;
    }
    ++flat_programs;
    std::vector<uint32_t> a(ctxs.size()), b(ctxs.size());
    const uint64_t na = (*flat)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), a.data());
    const uint64_t nb =
        (*branchy)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), b.data());
    size_t through_flat = 0;
    for (size_t i = 0; i < ctxs.size(); ++i) {
      const uint32_t want = libpcap_bpf_filter(*cbpf, pkts[i].data, pkts[i].wire_len);
      ASSERT_EQ(a[i], want) << e << ", packet " << i << " (" << ctxs[i].caplen << " of "
                            << ctxs[i].wire_len << " bytes)";
      ASSERT_EQ(b[i], want) << e << ", packet " << i;
      through_flat += ctxs[i].caplen >= (*flat)->flat_min_caplen();
    }
    EXPECT_EQ(na, nb) << e;
    EXPECT_GT(through_flat, ctxs.size() / 2) << e;
  }
  EXPECT_GE(flat_programs, std::size(kFilterExprs) - 3);
  for (const char* e : kBenchExprs) {
    auto ebpf = convert_cbpf(*compile_tcpdump(e));
    ASSERT_TRUE(ebpf.ok()) << e;
    const FlatPlan f = plan_flat(*ebpf, plan_filter_jit(*ebpf));
    EXPECT_TRUE(f.ok) << e << ": " << f.why;
  }
}

TEST(FilterJit, AgreesWithLibpcapOnTcpdumpExpressions) {
  TrafficOptions o;
  o.seed = 3;
  o.count = 1500;
  auto pkts = generate_traffic(o);
  std::vector<CbpfSkbCtx> ctxs;
  for (const Packet& p : pkts) {
    CbpfSkbCtx c = make_skb_ctx(p.data, p.wire_len);
    if (p.data.size() >= 14) c.meta.protocol = (p.data[12] << 8) | p.data[13];
    ctxs.push_back(c);
  }
  for (const char* e : kFilterExprs) {
    auto cbpf = compile_tcpdump(e);
    ASSERT_TRUE(cbpf.ok()) << e;
    auto ebpf = convert_cbpf(*cbpf);
    ASSERT_TRUE(ebpf.ok()) << e;
    auto jit = FilterJit::compile(*ebpf);
    ASSERT_TRUE(jit.ok()) << e << ": " << jit.error().format();
    std::vector<uint32_t> out(ctxs.size(), 0xdeadbeef);
    const uint64_t count =
        (*jit)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), out.data());
    size_t matched = 0;
    for (size_t i = 0; i < ctxs.size(); ++i) {
      const uint32_t want = libpcap_bpf_filter(*cbpf, pkts[i].data, pkts[i].wire_len);
      ASSERT_EQ(out[i], want) << e << ", packet " << i;
      ASSERT_EQ((*jit)->run(&ctxs[i]), want) << e << ", packet " << i;
      matched += want != 0;
    }
    EXPECT_EQ(count, matched) << e;
    if (*e == 0) EXPECT_EQ(matched, ctxs.size());
  }
}

uint64_t interp_run(const std::vector<isa::Insn>& p, void* ctx, size_t len) {
  auto interp = vm::Interpreter::create(p);
  EXPECT_TRUE(interp.ok()) << interp.error().format();
  if (!interp.ok()) return ~0ull;
  auto r = interp->run(ctx, len);
  EXPECT_TRUE(r.ok()) << r.error().format();
  return r.ok() ? *r : ~0ull;
}

// Random straight-line programs with forward jumps over every ALU operation, compared with vm's
// interpreter.
TEST(FilterJit, AgreesWithTheInterpreterOnRandomPrograms) {
  std::mt19937_64 rng(42);
  const uint8_t alu_ops[] = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
                             0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0};
  const uint8_t jmp_ops[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
  const int32_t imms[] = {0, 1, 2, 3, 7, 31, 32, 63, -1, -2, 0x7fffffff, INT32_MIN, 0x1234, 255};
  uint8_t ctx[64] = {};
  for (int round = 0; round < 3000; ++round) {
    std::vector<isa::Insn> p = {mk(0x7a, 10, 0, -8, static_cast<int32_t>(rng()))};  // no junk reads
    for (uint8_t r = 0; r <= 9; ++r) {
      if (r == 1) continue;
      p.push_back(mk(0xb7, r, 0, 0, static_cast<int32_t>(rng())));
      p.push_back(mk(0x67, r, 0, 0, static_cast<int32_t>(rng() % 40)));
      p.push_back(mk(0x47, r, 0, 0, static_cast<int32_t>(rng())));
    }
    const int body = 4 + static_cast<int>(rng() % 12);
    for (int k = 0; k < body; ++k) {
      const uint8_t dst = static_cast<uint8_t>(rng() % 10), src = static_cast<uint8_t>(rng() % 10);
      const int32_t imm = imms[rng() % std::size(imms)];
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 6) {
        const uint8_t cls = rng() % 2 ? isa::kClassAlu64 : isa::kClassAlu;
        const uint8_t op = alu_ops[rng() % std::size(alu_ops)];
        const bool x = rng() % 2 && op != 0x80;  // neg has no register form
        if (dst == 1) continue;
        p.push_back(mk(cls | op | (x ? 8 : 0), dst, src, 0, imm));
      } else if (kind < 7) {
        const int32_t widths[] = {16, 32, 64};
        const uint8_t op = rng() % 2 ? 0xdc : 0xd4;
        if (dst == 1) continue;
        p.push_back(mk(op, dst, 0, 0, widths[rng() % 3]));
      } else if (kind < 8) {  // store then load through the stack
        p.push_back(mk(0x7b, 10, src, -8, 0));
        const uint8_t sizes[] = {0x61, 0x69, 0x71, 0x79};
        const uint8_t ld = sizes[rng() % 4];
        const int16_t at = ld == 0x79 ? -8 : static_cast<int16_t>(-8 + rng() % 4);
        if (dst != 1) p.push_back(mk(ld, dst, 10, at, 0));
      } else {
        const uint8_t cls = rng() % 2 ? isa::kClassJmp : isa::kClassJmp32;
        const uint8_t op = jmp_ops[rng() % std::size(jmp_ops)];
        p.push_back(
            mk(cls | op | (rng() % 2 ? 8 : 0), dst, src, static_cast<int16_t>(rng() % 3), imm));
      }
    }
    // Fold every register into r0 so any wrong register shows.
    for (uint8_t r = 2; r <= 9; ++r) p.push_back(mk(0xaf, 0, r, 0, 0));
    p.push_back(mk(0x95, 0, 0, 0, 0));
    p.push_back(mk(0x95, 0, 0, 0, 0));
    p.push_back(mk(0x95, 0, 0, 0, 0));
    auto jit = FilterJit::compile(p);
    ASSERT_TRUE(jit.ok()) << jit.error().format();
    const uint32_t want = static_cast<uint32_t>(interp_run(p, ctx, sizeof ctx));
    if ((*jit)->run(ctx) != want) {
      std::string dump;
      for (const isa::Insn& i : p)
        dump +=
            fmt::format("{:02x} r{} r{} {} {}\n", i.opcode, int(i.dst), int(i.src), i.off, i.imm);
      FAIL() << "round " << round << ": jit " << (*jit)->run(ctx) << ", interpreter " << want
             << "\n"
             << dump;
    }
  }
}

// A random classic program: loads (absolute, indirect, MSH, length, scratch), stores, ALU with
// K and X (division and modulo included), forward jumps and returns. Offsets stay small so most
// loads land inside a frame and some past its end.
std::vector<CbpfInsn> random_cbpf(std::mt19937_64& rng) {
  using namespace cbpf;
  const size_t len = 2 + rng() % 24;
  std::vector<CbpfInsn> p;
  auto pick = [&](std::initializer_list<uint16_t> l) { return l.begin()[rng() % l.size()]; };
  for (size_t pc = 0; pc + 1 < len; ++pc) {
    const size_t room = len - pc - 2;  // the farthest forward jump
    CbpfInsn i;
    const int kind = static_cast<int>(rng() % 12);
    const uint32_t small = static_cast<uint32_t>(rng() % 80), m = static_cast<uint32_t>(rng() % 16);
    const uint32_t k =
        rng() % 4 ? static_cast<uint32_t>(rng() % 300) : static_cast<uint32_t>(rng());
    if (kind == 0) {
      i = {static_cast<uint16_t>(kLd | kAbs | pick({kW, kH, kB})), 0, 0, small};
    } else if (kind == 1) {
      i = {static_cast<uint16_t>(kLd | kInd | pick({kW, kH, kB})), 0, 0, small / 2};
    } else if (kind == 2) {
      i = {pick({kLd | kLen, kLdx | kLen, kLd | kImm, kLdx | kImm, kMisc | kTax, kMisc | kTxa,
                 kLdx | kB | kMsh}),
           0, 0, rng() % 2 ? small : k};
    } else if (kind == 3) {
      i = {pick({kSt, kStx, kLd | kMem, kLdx | kMem}), 0, 0, m};
    } else if (kind < 7) {
      const uint16_t op = pick({kAdd, kSub, kMul, kDiv, kOr, kAnd, kLsh, kRsh, kNeg, kMod, kXor});
      const bool x = rng() % 2;
      uint32_t kk = k;
      if (op == kLsh || op == kRsh) kk %= 32;
      if ((op == kDiv || op == kMod) && kk == 0) kk = 3;
      i = {static_cast<uint16_t>(kAlu | op | (x && op != kNeg ? kX : kK)), 0, 0, kk};
    } else if (kind < 10 && room > 0) {
      const uint16_t op = pick({kJeq, kJgt, kJge, kJset});
      i = {static_cast<uint16_t>(kJmp | op | (rng() % 3 ? kK : kX)),
           static_cast<uint8_t>(rng() % (room + 1)), static_cast<uint8_t>(rng() % (room + 1)),
           rng() % 2 ? small : k};
    } else if (kind == 10 && room > 0) {
      i = {static_cast<uint16_t>(kJmp | kJa), 0, 0, static_cast<uint32_t>(rng() % (room + 1))};
    } else {
      i = {static_cast<uint16_t>(kRet | (rng() % 2 ? kA : kK)), 0, 0, pick({0, 1, 0xffff, 96})};
    }
    p.push_back(i);
  }
  p.push_back({static_cast<uint16_t>(cbpf::kRet | cbpf::kA), 0, 0, 0});
  return p;
}

// libpcap's bpf_filter has the kernel's semantics except for indirect loads whose X + k wraps
// (libpcap fails them, the kernel loads at the wrapped offset): compare with it only without
// indirect loads.
bool libpcap_comparable(const std::vector<CbpfInsn>& p) {
  for (const CbpfInsn& i : p)
    if (cbpf::cls(i.code) == cbpf::kLd && cbpf::mode(i.code) == cbpf::kInd) return false;
  return true;
}

TEST(FilterJit, RandomClassicProgramsAgreeWithReferenceInterpreterAndLibpcap) {
  TrafficOptions o;
  o.seed = 11;
  o.count = 160;
  o.truncated_percent = 20;
  auto pkts = generate_traffic(o);
  const std::vector<CbpfSkbCtx> ctxs = contexts_of(pkts);
  std::mt19937_64 rng(5);
  size_t accepted = 0, with_libpcap = 0, flat = 0;
  for (int round = 0; round < 3000 && accepted < 500; ++round) {
    const std::vector<CbpfInsn> prog = random_cbpf(rng);
    if (!check_cbpf(prog).ok()) continue;
    ++accepted;
    auto ebpf = convert_cbpf(prog);
    ASSERT_TRUE(ebpf.ok()) << ebpf.error().format() << "\n" << disasm_cbpf(prog);
    auto jit = FilterJit::compile(*ebpf, FilterJitMode::kFlat);
    ASSERT_TRUE(jit.ok()) << jit.error().format();
    flat += (*jit)->flat();
    auto branchy = FilterJit::compile(*ebpf, FilterJitMode::kBranchy);
    ASSERT_TRUE(branchy.ok()) << branchy.error().format();
    std::vector<uint32_t> out_branchy(ctxs.size());
    const uint64_t count_branchy =
        (*branchy)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), out_branchy.data());
    auto interp = interp_ebpf_engine(CbpfMode::kSocket, true)(*ebpf);
    ASSERT_TRUE(interp.ok()) << interp.error().format();
    std::vector<uint32_t> out(ctxs.size());
    const uint64_t count =
        (*jit)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), out.data());
    const bool vs_libpcap = libpcap_comparable(prog);
    with_libpcap += vs_libpcap;
    uint64_t nonzero = 0;
    for (size_t n = 0; n < ctxs.size(); ++n) {
      const uint32_t want = run_cbpf(prog, pkts[n].data, pkts[n].wire_len);
      ASSERT_EQ(out[n], want) << "packet " << n << ((*jit)->flat() ? " (flat)" : "") << "\n"
                              << disasm_cbpf(prog);
      ASSERT_EQ(out_branchy[n], want) << "packet " << n << "\n" << disasm_cbpf(prog);
      ASSERT_EQ(static_cast<uint32_t>((*interp)(&ctxs[n])), want) << disasm_cbpf(prog);
      if (vs_libpcap)
        ASSERT_EQ(libpcap_bpf_filter(prog, pkts[n].data, pkts[n].wire_len), want)
            << "packet " << n << "\n"
            << disasm_cbpf(prog);
      nonzero += want != 0;
    }
    ASSERT_EQ(count, nonzero);
    ASSERT_EQ(count_branchy, nonzero);
  }
  EXPECT_GE(accepted, 300u);
  EXPECT_GE(with_libpcap, 100u);
  EXPECT_GE(flat, accepted / 2);  // most take the branch-free body
}

TEST(FilterJit, PlanDropsTheConvertersDeadSetUp) {
  auto cbpf = compile_tcpdump("ip");  // ldh [12]; jeq #0x800; ret; ret: X and A = 0 unused
  ASSERT_TRUE(cbpf.ok());
  auto ebpf = convert_cbpf(*cbpf);
  ASSERT_TRUE(ebpf.ok());
  const FilterJitPlan plan = plan_filter_jit(*ebpf);
  ASSERT_GE(ebpf->size(), 5u);
  EXPECT_TRUE(plan.alias_r6);
  EXPECT_FALSE(plan.writes_r1);
  EXPECT_TRUE(plan.dead[1]);   // A = 0
  EXPECT_TRUE(plan.dead[2]);   // X = 0
  EXPECT_FALSE(plan.dead[3]);  // data pointer
  EXPECT_EQ(plan.live_in, 1u << 1);
  size_t const_exits = 0, swaps = 0;
  for (Fuse f : plan.fuse) {
    const_exits += f == Fuse::kConstExit;
    swaps += f == Fuse::kLoadSwap;
  }
  EXPECT_GE(const_exits, 2u);
  EXPECT_EQ(swaps, 1u);
  // Indirect loads fuse when their temporaries die.
  auto ind = convert_cbpf(*compile_tcpdump("tcp port 80"));
  ASSERT_TRUE(ind.ok());
  const FilterJitPlan ip = plan_filter_jit(*ind);
  EXPECT_NE(std::find(ip.fuse.begin(), ip.fuse.end(), Fuse::kLoadInd), ip.fuse.end());
}

// Every packet of a batch starts from the same state: registers read before written are 0 (not
// what the previous packet left), and a program that overwrites r1 still walks the contexts.
TEST(FilterJit, EachPacketStartsClean) {
  const std::vector<isa::Insn> reads_r0 = {mk(0x61, 2, 1, 0, 0),  // w2 = *(u32 *)ctx
                                           mk(0x0f, 0, 2, 0, 0),  // r0 += r2 (r0 unset)
                                           mk(0xb7, 1, 0, 0, 7),  // r1 = 7
                                           mk(0x0f, 0, 1, 0, 0),  // r0 += r1
                                           mk(0x95, 0, 0, 0, 0)};
  const FilterJitPlan plan = plan_filter_jit(reads_r0);
  EXPECT_TRUE(plan.writes_r1);
  EXPECT_EQ(plan.live_in, (1u << 0) | (1u << 1));
  auto jit = FilterJit::compile(reads_r0);
  ASSERT_TRUE(jit.ok()) << jit.error().format();
  const uint32_t in[5] = {10, 0, 20, 30, 0};
  uint32_t out[5] = {};
  EXPECT_EQ((*jit)->run_batch(in, sizeof(uint32_t), 5, out), 5u);
  for (size_t n = 0; n < 5; ++n) {
    uint32_t ctx = in[n];
    EXPECT_EQ(out[n], static_cast<uint32_t>(interp_run(reads_r0, &ctx, 4))) << n;
    EXPECT_EQ(out[n], in[n] + 7) << n;
  }
  EXPECT_EQ((*jit)->run_batch(in, sizeof(uint32_t), 0, out), 0u);
  // A 64-bit immediate (two slots; a dead one is dropped whole) and a jump over it.
  const std::vector<isa::Insn> wide = {
      mk(0x18, 3, 0, 0, 5),    mk(0, 0, 0, 0, 9),     // r3 = 9 << 32 | 5: dead
      mk(0x18, 2, 0, 0, 0x10), mk(0, 0, 0, 0, 1),     // r2 = 1 << 32 | 0x10
      mk(0x61, 0, 1, 0, 0),    mk(0x15, 0, 0, 2, 0),  // if w0 == 0 skip the next lddw
      mk(0x18, 2, 0, 0, 3),    mk(0, 0, 0, 0, 0),     // r2 = 3
      mk(0x77, 2, 0, 0, 0),    mk(0x0f, 0, 2, 0, 0),  // r0 += r2
      mk(0x95, 0, 0, 0, 0)};
  auto wj = FilterJit::compile(wide);
  ASSERT_TRUE(wj.ok()) << wj.error().format();
  EXPECT_TRUE(plan_filter_jit(wide).dead[0]);
  for (size_t n = 0; n < 5; ++n) {
    uint32_t ctx = in[n];
    EXPECT_EQ((*wj)->run(&ctx), static_cast<uint32_t>(interp_run(wide, &ctx, 4))) << n;
  }
}

// run_filter with each body forced, or choosing one after timing them all (kAuto runs each on the
// first kJitProbeBatches batches of 512), counts what libpcap counts.
TEST(FilterJit, RunFilterGivesTheSameCountsWithEveryBody) {
  testing::TempDir dir;
  TrafficOptions o;
  o.seed = 23;
  o.count = 512 * (kJitProbeBatches + 2) + 100;
  o.truncated_percent = 10;
  const std::string in = dir.file("in.pcap");
  ASSERT_TRUE(write_traffic(in, o).ok());
  using Body = FilterOptions::JitBody;
  // The last one reads past byte 256, outside the vector JIT's subset: body vector falls back.
  for (const char* e : {"tcp", "tcp port 80 or tcp port 443", "vlan and ip6", "ip[2:2] / 4 > 100",
                        "ether[300] = 1 or udp"}) {
    const bool vector_subset = std::string(e).find("300") == std::string::npos;
    FilterOptions f;
    f.expr = e;
    f.input = in;
    f.engine = FilterEngine::kLibpcap;
    auto want = run_filter(f);
    ASSERT_TRUE(want.ok()) << want.error().format();
    EXPECT_EQ(want->packets, o.count);
    f.engine = FilterEngine::kEbpf;
    for (Body b : {Body::kAuto, Body::kBranchy, Body::kFlat, Body::kVector}) {
      f.jit_body = b;
      auto got = run_filter(f);
      ASSERT_TRUE(got.ok()) << got.error().format();
      EXPECT_EQ(got->matched, want->matched) << e << ", body " << static_cast<int>(b);
      EXPECT_EQ(got->packets, want->packets);
      if (b == Body::kBranchy) EXPECT_EQ(got->body, "branchy");
      if (b == Body::kVector)
        EXPECT_EQ(got->body, vector_subset && FilterVec::cpu_supported() ? "vector" : "branchy")
            << e;
      if (b == Body::kAuto) EXPECT_NE(got->body, "") << e;
    }
  }
}

TEST(FilterJit, RefusesWhatItDoesNotCompileAndTheFactoryFallsBack) {
  std::vector<isa::Insn> call = {mk(0x85, 0, 0, 0, 1), mk(0x95, 0, 0, 0, 0)};
  auto j = FilterJit::compile(call);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, Errc::kUnsupported);
  EXPECT_EQ(j.error().where.insn, 0);
  std::vector<isa::Insn> off_end = {mk(0xb7, 0, 0, 0, 1)};
  EXPECT_FALSE(filter_jit_supports(off_end));
  std::vector<isa::Insn> bad_jump = {mk(0x05, 0, 0, 5, 0), mk(0x95, 0, 0, 0, 0)};
  EXPECT_FALSE(filter_jit_supports(bad_jump));
  // sdiv (off = 1) is outside the subset: the factory hands it to the interpreter.
  std::vector<isa::Insn> sdiv = {mk(0xb7, 0, 0, 0, -6), mk(0x37, 0, 0, 1, 3), mk(0x95, 0, 0, 0, 0)};
  EXPECT_FALSE(filter_jit_supports(sdiv));
  auto r = lean_jit_ebpf_engine()(sdiv);
  ASSERT_TRUE(r.ok()) << r.error().format();
  uint8_t ctx[64] = {};
  EXPECT_EQ(static_cast<int64_t>((*r)(ctx)), -2);
}

}  // namespace
}  // namespace bombus::net
