// The 8-packet vector filter JIT (filter_vec.h): per packet it gives libpcap's bpf_filter answer
// and the lean batch JIT's on the tcpdump expression battery of filter_jit_test.cc, over traffic
// with many truncated and malformed frames and tiny frames (batches whose size is not a multiple
// of 8, single calls); on random classic programs (ALU with X, division by zero, indirect loads,
// scratch memory) it agrees with libpcap; packets that end just before an unmapped page are
// read safely, padded arrays too; it refuses programs whose jumps leave them.
#include "net/filter_vec.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <random>

#include "net/cbpf_to_ebpf.h"
#include "net/filter.h"
#include "net/filter_jit.h"
#include "net/traffic.h"
#include "test_util.h"

namespace bombus::net {
namespace {
using namespace cbpf;  // NOLINT: the opcode field constants

using testing::kFilterExprs;

std::vector<Packet> traffic() {
  TrafficOptions o;
  o.seed = 23;
  o.count = 1500;
  o.truncated_percent = 25;
  o.malformed_percent = 15;
  o.vlan_percent = 30;
  auto pkts = generate_traffic(o);
  // Tiny frames: 0..13 captured bytes (every load out of bounds, lane buffers).
  for (size_t len = 0; len < 14; ++len) {
    Packet p = pkts[len];
    p.data.resize(len);
    pkts.push_back(p);
  }
  std::mt19937 rng(5);
  std::shuffle(pkts.begin(), pkts.end(), rng);
  return pkts;
}

std::vector<CbpfSkbCtx> contexts_of(const std::vector<Packet>& pkts) {
  std::vector<CbpfSkbCtx> v;
  for (const Packet& p : pkts) v.push_back(make_skb_ctx(p.data, p.wire_len));
  return v;
}

TEST(FilterVec, AgreesWithLibpcapAndTheLeanJitOnTcpdumpExpressions) {
  if (!FilterVec::cpu_supported()) GTEST_SKIP() << "no AVX2 on this CPU";
  const auto pkts = traffic();
  const auto ctxs = contexts_of(pkts);
  for (const char* e : kFilterExprs) {
    auto cbpf = compile_tcpdump(e);
    ASSERT_TRUE(cbpf.ok()) << e;
    auto vec = FilterVec::compile(*cbpf);
    ASSERT_TRUE(vec.ok()) << e << ": " << vec.error().format();
    auto ebpf = convert_cbpf(*cbpf);
    ASSERT_TRUE(ebpf.ok()) << e;
    auto jit = FilterJit::compile(*ebpf);
    ASSERT_TRUE(jit.ok()) << e;
    // Odd batch sizes: a last group with fewer than 8 lanes.
    for (size_t chunk : {ctxs.size(), size_t{13}, size_t{1}}) {
      std::vector<uint32_t> got(ctxs.size()), ref(ctxs.size());
      uint64_t matched = 0, want_matched = 0;
      for (size_t b = 0; b < ctxs.size(); b += chunk) {
        const size_t n = std::min(chunk, ctxs.size() - b);
        matched += (*vec)->run_batch(&ctxs[b], sizeof(CbpfSkbCtx), n, &got[b]);
      }
      (*jit)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), ref.data());
      for (size_t i = 0; i < ctxs.size(); ++i) {
        const uint32_t want =
            libpcap_bpf_filter(*cbpf, {ctxs[i].data, ctxs[i].caplen}, ctxs[i].wire_len);
        want_matched += want != 0;
        ASSERT_EQ(got[i], want) << e << " packet " << i << " caplen " << ctxs[i].caplen;
        ASSERT_EQ(ref[i], want) << e << " packet " << i;
      }
      EXPECT_EQ(matched, want_matched) << e;
    }
    EXPECT_EQ((*vec)->run(&ctxs[0]),
              libpcap_bpf_filter(*cbpf, {ctxs[0].data, ctxs[0].caplen}, ctxs[0].wire_len));
  }
}

// Random straight-line-and-forward-jump classic programs over the same traffic.
TEST(FilterVec, AgreesWithLibpcapOnRandomClassicPrograms) {
  if (!FilterVec::cpu_supported()) GTEST_SKIP() << "no AVX2 on this CPU";
  const auto pkts = traffic();
  const auto ctxs = contexts_of(pkts);
  std::mt19937 rng(99);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint16_t kAluOps[] = {kAdd, kSub, kMul, kDiv, kOr, kAnd, kLsh, kRsh, kNeg, kMod, kXor};
  const uint16_t kJmpOps[] = {kJeq, kJgt, kJge, kJset};
  size_t programs = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<CbpfInsn> p;
    const size_t len = 4 + pick(20);
    // Store both scratch words first: libpcap reads M[] uninitialised otherwise.
    p.push_back({static_cast<uint16_t>(kSt), 0, 0, 0});
    p.push_back({static_cast<uint16_t>(kStx), 0, 0, 1});
    for (size_t i = 0; i < len; ++i) {
      const size_t left = len - i;  // instructions after this one before the final return
      CbpfInsn c;
      const uint16_t sz = pick(3) == 0 ? kW : pick(2) ? kH : kB;
      switch (pick(9)) {
        case 0:
          c = {static_cast<uint16_t>(kLd | sz | kAbs), 0, 0, pick(80)};
          break;
        case 1:
          c = {static_cast<uint16_t>(kLd | sz | kInd), 0, 0, pick(60)};
          break;
        case 2:
          c = {static_cast<uint16_t>(kLdx | kB | kMsh), 0, 0, pick(40)};
          break;
        case 3:
          c = {static_cast<uint16_t>(kLdx | kImm), 0, 0, pick(40)};
          break;
        case 4: {
          const uint16_t op = kAluOps[pick(11)];
          const bool x = op != kNeg && pick(2);
          uint32_t k = (op == kLsh || op == kRsh) ? pick(32) : pick(1000);
          if ((op == kDiv || op == kMod) && k == 0) k = 3;
          c = {static_cast<uint16_t>(kAlu | op | (x ? kX : kK)), 0, 0, k};
          break;
        }
        case 5: {
          const uint16_t op = kJmpOps[pick(4)];
          c = {static_cast<uint16_t>(kJmp | op | (pick(3) == 0 ? kX : kK)),
               static_cast<uint8_t>(pick(static_cast<uint32_t>(left))),
               static_cast<uint8_t>(pick(static_cast<uint32_t>(left))), pick(300)};
          break;
        }
        case 6:
          c = {static_cast<uint16_t>(kMisc | (pick(2) ? kTax : kTxa)), 0, 0, 0};
          break;
        case 7:
          c = {static_cast<uint16_t>((pick(2) ? kLd : kLdx) | kMem), 0, 0, pick(2)};
          break;
        default:
          c = pick(2) ? CbpfInsn{static_cast<uint16_t>(kRet | kA), 0, 0, 0}
                      : CbpfInsn{static_cast<uint16_t>(kLd | kW | kLen), 0, 0, 0};
      }
      p.push_back(c);
    }
    p.push_back({static_cast<uint16_t>(kRet | kA), 0, 0, 0});
    auto vec = FilterVec::compile(p);
    ASSERT_TRUE(vec.ok()) << vec.error().format();
    std::vector<uint32_t> got(ctxs.size());
    (*vec)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), got.data());
    for (size_t i = 0; i < ctxs.size(); ++i)
      ASSERT_EQ(got[i], libpcap_bpf_filter(p, {ctxs[i].data, ctxs[i].caplen}, ctxs[i].wire_len))
          << "round " << round << " packet " << i;
    // The same program compiled from its eBPF conversion, read back (lift_converted).
    auto ebpf = convert_cbpf(p);
    ASSERT_TRUE(ebpf.ok()) << ebpf.error().format();
    auto lifted = lift_converted(*ebpf);
    ASSERT_TRUE(lifted.ok()) << "round " << round << ": " << lifted.error().format();
    auto vec2 = FilterVec::compile(*lifted);
    ASSERT_TRUE(vec2.ok()) << vec2.error().format();
    std::vector<uint32_t> got2(ctxs.size());
    (*vec2)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), got2.data());
    ASSERT_EQ(got2, got) << "round " << round;
    ++programs;
  }
  EXPECT_EQ(programs, 300u);
}

// Every packet copied so that its last captured byte is the last byte before an unmapped page,
// in a full group of 8 lanes: the code may read the window only where it is mapped. Then the
// same packets back to back in an arena with the window's padding after it (`padded`).
TEST(FilterVec, StaysInsideMappedPagesAndHonoursPadding) {
  if (!FilterVec::cpu_supported()) GTEST_SKIP() << "no AVX2 on this CPU";
  const auto pkts = traffic();
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* guard = static_cast<uint8_t*>(map) + page;
  ASSERT_EQ(mprotect(guard, page, PROT_NONE), 0);
  size_t checked = 0;
  for (const char* e : kFilterExprs) {
    auto cbpf = compile_tcpdump(e);
    ASSERT_TRUE(cbpf.ok()) << e;
    auto vec = FilterVec::compile(*cbpf);
    ASSERT_TRUE(vec.ok()) << e << ": " << vec.error().format();
    for (size_t i = 0; i < 120; ++i) {
      const Packet& p = pkts[i];
      if (p.data.size() >= (*vec)->window() || p.data.size() > page) continue;
      uint8_t* at = guard - p.data.size();
      if (!p.data.empty()) std::memcpy(at, p.data.data(), p.data.size());
      // Lane 3 has no bytes at all (and no pointer).
      std::array<const uint8_t*, 8> d;
      std::array<uint32_t, 8> c, w, out;
      d.fill(at);
      c.fill(static_cast<uint32_t>(p.data.size()));
      w.fill(p.wire_len);
      d[3] = nullptr;
      c[3] = 0;
      (*vec)->run_arrays(d.data(), c.data(), w.data(), 8, out.data());
      const uint32_t want = libpcap_bpf_filter(*cbpf, p.data, p.wire_len);
      for (size_t l = 0; l < 8; ++l)
        ASSERT_EQ(out[l], l == 3 ? libpcap_bpf_filter(*cbpf, {}, p.wire_len) : want)
            << e << " packet " << i << " lane " << l;
      ++checked;
    }
    // Padded: back to back, the window's bytes after the last packet.
    std::vector<uint8_t> arena;
    std::vector<size_t> off;
    for (const Packet& p : pkts) {
      off.push_back(arena.size());
      arena.insert(arena.end(), p.data.begin(), p.data.end());
    }
    arena.resize(arena.size() + FilterVec::kMaxWindow, 0xee);
    std::vector<const uint8_t*> d;
    std::vector<uint32_t> c, w, out(pkts.size());
    for (size_t i = 0; i < pkts.size(); ++i) {
      d.push_back(arena.data() + off[i]);
      c.push_back(static_cast<uint32_t>(pkts[i].data.size()));
      w.push_back(pkts[i].wire_len);
    }
    const uint64_t matched =
        (*vec)->run_arrays(d.data(), c.data(), w.data(), pkts.size(), out.data(), true);
    uint64_t want_matched = 0;
    for (size_t i = 0; i < pkts.size(); ++i) {
      const uint32_t want = libpcap_bpf_filter(*cbpf, pkts[i].data, pkts[i].wire_len);
      want_matched += want != 0;
      ASSERT_EQ(out[i], want) << e << " packet " << i << " (padded)";
    }
    EXPECT_EQ(matched, want_matched) << e;
  }
  munmap(map, 2 * page);
  EXPECT_GT(checked, 100u);
}

// Eight windows every packet reads, then two that only one side of a test reads (loaded lazily,
// after the eight in window order): the lazy windows' flags must not run into the scratch words
// after them (a fuzzer found that); with and without lazy windows the answers are libpcap's.
TEST(FilterVec, ManyWindowsWithLazyOnesAfterEagerOnes) {
  if (!FilterVec::cpu_supported()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::vector<CbpfInsn> p;
  for (uint32_t k = 0; k < 128; k += 16)
    p.push_back({static_cast<uint16_t>(kLd | kW | kAbs), 0, 0, k});
  p.push_back({static_cast<uint16_t>(kJmp | kJset | kK), 0, 4, 1});  // 8: odd A: 9, else 13
  p.push_back({static_cast<uint16_t>(kLd | kH | kAbs), 0, 0, 130});  // 9
  p.push_back({static_cast<uint16_t>(kJmp | kJgt | kK), 0, 1, 0x8000});
  p.push_back({static_cast<uint16_t>(kRet | kK), 0, 0, 1});
  p.push_back({static_cast<uint16_t>(kRet | kK), 0, 0, 0});
  p.push_back({static_cast<uint16_t>(kLd | kB | kAbs), 0, 0, 150});  // 13
  p.push_back({static_cast<uint16_t>(kRet | kA), 0, 0, 0});
  ASSERT_TRUE(check_cbpf(p).ok());
  const auto pkts = traffic();
  const auto ctxs = contexts_of(pkts);
  for (bool lazy : {true, false}) {
    auto vec = FilterVec::compile(p, FilterVecOptions{.lazy_windows = lazy});
    ASSERT_TRUE(vec.ok()) << vec.error().format();
    EXPECT_EQ((*vec)->lazy(), lazy);
    std::vector<uint32_t> got(ctxs.size());
    (*vec)->run_batch(ctxs.data(), sizeof(CbpfSkbCtx), ctxs.size(), got.data());
    for (size_t i = 0; i < ctxs.size(); ++i)
      ASSERT_EQ(got[i], libpcap_bpf_filter(p, {ctxs[i].data, ctxs[i].caplen}, ctxs[i].wire_len))
          << "lazy " << lazy << " packet " << i;
  }
}

TEST(FilterVec, RefusesJumpsOutOfTheProgram) {
  if (!FilterVec::cpu_supported()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::vector<CbpfInsn> p = {{static_cast<uint16_t>(kJmp | kJeq | kK), 5, 0, 1},
                             {static_cast<uint16_t>(kRet | kK), 0, 0, 1}};
  auto r = FilterVec::compile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnsupported);
  EXPECT_NE(r.error().format().find("leaves"), std::string::npos);
}

}  // namespace
}  // namespace bombus::net
