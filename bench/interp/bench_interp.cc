// Interpreter speed, reported as time per executed instruction (counter "per_insn") on four
// programs: a loop summing 1..10^6, a byte checksum over a 1500-byte buffer, an eth/IPv4/UDP
// header parser over one packet, and a division-heavy loop; each in the fast and the checked
// interpreter, plus the same logic in native C++ for scale. The executed-instruction count of
// every program comes from the checked interpreter's counter (RunArgs::executed), and "exit"
// measures the fixed cost of one run.
//
// Run: build/release/bench/interp/bombus-bench-interp --benchmark_repetitions=5
//      --benchmark_report_aggregates_only=true   (docs/PERFORMANCE.md has the table)
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "isa/asm.h"
#include "vm/interp.h"

namespace {

using bombus::isa::Insn;
using bombus::vm::InterpOptions;
using bombus::vm::Interpreter;

struct Workload {
  const char* name;
  const char* source;  // bpf_conformance-dialect assembly
  std::vector<uint8_t> input;
  uint64_t expected_r0;
  uint64_t insns = 0;  // executed per run, measured by count_insns()
};

std::vector<Insn> assemble_or_die(const char* name, const char* src) {
  auto p = bombus::isa::assemble(src);
  if (!p.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, p.error().format().c_str());
    std::exit(1);
  }
  return std::move(*p);
}

Interpreter make(const std::vector<Insn>& prog, bool checked, uint64_t budget = 0) {
  InterpOptions o;
  o.checked = checked;
  o.budget = budget;
  auto it = Interpreter::create(prog, o);
  if (!it.ok()) {
    std::fprintf(stderr, "create: %s\n", it.error().format().c_str());
    std::exit(1);
  }
  return std::move(*it);
}

// Instructions one run executes, as the checked interpreter counts them.
uint64_t count_insns(const std::vector<Insn>& prog, std::vector<uint8_t> input) {
  auto it = make(prog, true);
  uint64_t n = 0;
  bombus::vm::RunArgs args;
  args.executed = &n;
  if (!it.run(input.empty() ? nullptr : input.data(), input.size(), args).ok()) {
    std::fprintf(stderr, "checked run failed\n");
    std::exit(1);
  }
  return n;
}

const char* kSumLoop = R"(
  mov %r0, 0
  mov %r1, 1
loop:
  add %r0, %r1
  add %r1, 1
  jle %r1, 1000000, loop
  exit
)";

const char* kChecksum = R"(
  mov %r0, 0
  mov %r3, %r1
  mov %r4, %r1
  add %r4, %r2
loop:
  ldxb %r5, [%r3]
  add %r0, %r5
  add %r3, 1
  jlt %r3, %r4, loop
  exit
)";

// Returns the UDP destination port of an untagged IPv4/UDP frame, 0 for anything else.
const char* kParser = R"(
  mov %r0, 0
  jlt %r2, 42, out
  ldxh %r3, [%r1+12]
  be16 %r3
  jne %r3, 0x0800, out
  ldxb %r4, [%r1+14]
  mov %r5, %r4
  rsh %r5, 4
  jne %r5, 4, out
  and %r4, 0xf
  lsh %r4, 2
  jlt %r4, 20, out
  ldxb %r5, [%r1+23]
  jne %r5, 17, out
  ldxh %r5, [%r1+20]
  be16 %r5
  and %r5, 0x1fff
  jne %r5, 0, out
  mov %r6, %r4
  add %r6, 22
  jgt %r6, %r2, out
  mov %r7, %r1
  add %r7, %r4
  ldxh %r0, [%r7+16]
  be16 %r0
out:
  exit
)";

const char* kDivLoop = R"(
  mov %r0, 0
  mov %r1, 1
  lddw %r6, 0x123456789abcdef
loop:
  mov %r2, %r6
  div %r2, %r1
  add %r0, %r2
  mov %r3, %r6
  mod %r3, %r1
  add %r0, %r3
  mov32 %r4, %r6
  div32 %r4, %r1
  add %r0, %r4
  add %r1, 1
  jle %r1, 100000, loop
  exit
)";

std::vector<uint8_t> udp_frame() {
  std::vector<uint8_t> f(60, 0);
  f[12] = 0x08;  // ethertype IPv4
  f[13] = 0x00;
  f[14] = 0x45;           // v4, ihl 5
  f[23] = 17;             // UDP
  f[14 + 20 + 2] = 0x12;  // dst port 0x1234
  f[14 + 20 + 3] = 0x34;
  return f;
}

std::vector<uint8_t> bytes1500() {
  std::vector<uint8_t> b(1500);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

uint64_t byte_sum(const std::vector<uint8_t>& b) {
  uint64_t s = 0;
  for (uint8_t x : b) s += x;
  return s;
}

uint64_t div_loop_native() {
  uint64_t r0 = 0;
  const uint64_t k = 0x123456789abcdefull;
  for (uint64_t i = 1; i <= 100000; ++i) {
    r0 += k / i + k % i + static_cast<uint32_t>(k) / static_cast<uint32_t>(i);
  }
  return r0;
}

std::array<Workload, 5>& workloads() {
  static std::array<Workload, 5> w = {
      Workload{"sum_loop", kSumLoop, {}, 500000500000ull},
      Workload{"checksum_1500", kChecksum, bytes1500(), byte_sum(bytes1500())},
      Workload{"eth_ipv4_udp_parse", kParser, udp_frame(), 0x1234},
      Workload{"div_loop", kDivLoop, {}, div_loop_native()},
      Workload{"exit", "mov %r0, 7\nexit\n", {}, 7},
  };
  return w;
}

void BM_Interp(benchmark::State& state, Workload* w, bool checked) {
  auto prog = assemble_or_die(w->name, w->source);
  if (w->insns == 0) w->insns = count_insns(prog, w->input);
  Interpreter it = make(prog, checked);
  std::vector<uint8_t> mem = w->input;
  for (auto _ : state) {
    auto r = it.run(mem.empty() ? nullptr : mem.data(), mem.size());
    if (!r.ok() || *r != w->expected_r0) {
      state.SkipWithError("wrong result");
      break;
    }
    benchmark::DoNotOptimize(*r);
  }
  state.counters["insns"] = static_cast<double>(w->insns);
  // Seconds per executed instruction (printed with an SI prefix: "1.5ns").
  state.counters["per_insn"] = benchmark::Counter(
      static_cast<double>(w->insns),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Native(benchmark::State& state, int which) {
  auto in = bytes1500();
  for (auto _ : state) {
    uint64_t r = 0;
    if (which == 0) {
      uint64_t n = 1000000;
      benchmark::DoNotOptimize(n);
      for (uint64_t i = 1; i <= n; ++i) {
        r += i;
        benchmark::ClobberMemory();
      }
    } else if (which == 1) {
      benchmark::DoNotOptimize(in.data());
      r = byte_sum(in);
    } else {
      r = div_loop_native();
    }
    benchmark::DoNotOptimize(r);
  }
}

void register_all() {
  for (auto& w : workloads()) {
    benchmark::RegisterBenchmark((std::string("interp/") + w.name).c_str(), BM_Interp, &w, false);
    benchmark::RegisterBenchmark((std::string("checked/") + w.name).c_str(), BM_Interp, &w, true);
  }
  benchmark::RegisterBenchmark("native/sum_loop", BM_Native, 0);
  benchmark::RegisterBenchmark("native/checksum_1500", BM_Native, 1);
  benchmark::RegisterBenchmark("native/div_loop", BM_Native, 2);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
