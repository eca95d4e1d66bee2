// Verification time per program (Google Benchmark): a 25-instruction XDP packet parser (the
// kernel takes ~25 us for this shape here) and a 1000-iteration bounded loop (kernel: 4-8 ms).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "isa/asm.h"
#include "verifier/verifier.h"

namespace {

using namespace bombus;

verifier::Program make(const char* text, platform::ProgType t) {
  auto insns = isa::assemble(text);
  if (!insns.ok()) std::abort();
  verifier::Program p;
  p.insns = *insns;
  p.type = t;
  p.gpl = true;
  return p;
}

const char* kParser = R"(
  r2 = *(u32 *)(r1 +0)
  r3 = *(u32 *)(r1 +4)
  r0 = 1
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r5 = *(u16 *)(r2 +12)
  if r5 != 0x8 goto pass
  r4 = r2
  r4 += 34
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 +23)
  if r5 == 6 goto tcp
  if r5 == 17 goto tcp
  goto pass
tcp:
  r4 = r2
  r4 += 38
  if r4 > r3 goto out
  r5 = *(u16 *)(r2 +36)
  if r5 == 0x5000 goto out
pass:
  r0 = 2
out:
  exit
)";

const char* kLoop = R"(
  r1 = 0
  r0 = 0
loop:
  r0 += r1
  r2 = r0
  r2 &= 0xff
  r1 += 1
  if r1 < 1000 goto loop
  r0 = 2
  exit
)";

void BM_PacketParser(benchmark::State& s) {
  auto p = make(kParser, platform::ProgType::kXdp);
  for (auto _ : s) {
    auto r = verifier::verify(p, {});
    if (!r.accepted) s.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r);
  }
  s.counters["insns"] = static_cast<double>(p.insns.size());
}
BENCHMARK(BM_PacketParser)->Unit(benchmark::kMicrosecond);

void BM_BoundedLoop1000(benchmark::State& s) {
  auto p = make(kLoop, platform::ProgType::kXdp);
  uint64_t processed = 0;
  for (auto _ : s) {
    auto r = verifier::verify(p, {});
    if (!r.accepted) s.SkipWithError(r.error.c_str());
    processed = r.insns_processed;
  }
  s.counters["processed"] = static_cast<double>(processed);
}
BENCHMARK(BM_BoundedLoop1000)->Unit(benchmark::kMillisecond);

void BM_PacketParserLog1(benchmark::State& s) {
  auto p = make(kParser, platform::ProgType::kXdp);
  verifier::Options o;
  o.log_level = 1;
  for (auto _ : s) benchmark::DoNotOptimize(verifier::verify(p, o));
}
BENCHMARK(BM_PacketParserLog1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
