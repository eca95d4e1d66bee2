// PROBE_MEM cost: a program of 16 dependent-free 4-byte loads from a 1 KiB object, once with
// plain loads and once with every load marked PROBE_MEM (vm/probe_mem.h), so each load is range
// checked against vm::MemoryRegistry. Arg 0 = plain, 1 = probe (registry lookup), 2 = probe with
// the object in the run's vm::ProbeObjectsScope (as tracing test runs have it). Run:
//   build/bench/tracing/bombus-bench-tracing --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>

#include "isa/asm.h"
#include "jit/jit.h"
#include "vm/interp.h"
#include "vm/memory_registry.h"
#include "vm/probe_mem.h"

namespace {

using namespace bombus;

constexpr int kLoads = 16;

std::vector<isa::Insn> program(bool probe) {
  std::string text = "r2 = *(u64 *)(r1 +0)\nr0 = 0\n";
  for (int i = 0; i < kLoads; ++i)
    text += "r3 = *(u32 *)(r2 +" + std::to_string(i * 64) + ")\nr0 += r3\n";
  text += "exit\n";
  std::vector<isa::Insn> insns = isa::assemble(text).value();
  if (probe)
    for (size_t i = 2; i < insns.size(); i += 2) insns[i].imm = vm::kLdxProbeMemImm;
  return insns;
}

struct Object {
  alignas(64) uint32_t words[256] = {};
  vm::MemoryRegistry::Registration reg;
  uint64_t ctx = 0;
  Object() {
    for (int i = 0; i < 256; ++i) words[i] = static_cast<uint32_t>(i);
    reg = vm::MemoryRegistry::global().add(words, sizeof words, false);
    ctx = reinterpret_cast<uint64_t>(words);
  }
};

void BM_Interp(benchmark::State& state) {
  Object o;
  const vm::ProbeRange range{reinterpret_cast<uintptr_t>(o.words), sizeof o.words};
  vm::ProbeObjectsScope scope(std::span(&range, state.range(0) == 2 ? 1 : 0));
  auto ip = vm::Interpreter::create(program(state.range(0) != 0)).value();
  for (auto _ : state) benchmark::DoNotOptimize(ip.run(&o.ctx, sizeof o.ctx).value());
  state.SetItemsProcessed(state.iterations() * kLoads);
}
BENCHMARK(BM_Interp)->Arg(0)->Arg(1)->Arg(2);

void BM_Jit(benchmark::State& state) {
  Object o;
  const vm::ProbeRange range{reinterpret_cast<uintptr_t>(o.words), sizeof o.words};
  vm::ProbeObjectsScope scope(std::span(&range, state.range(0) == 2 ? 1 : 0));
  auto insns = program(state.range(0) != 0);
  auto jp = jit::compile(insns, jit::JitOptions{}).value();
  for (auto _ : state) benchmark::DoNotOptimize(jp->call(&o.ctx, sizeof o.ctx));
  state.SetItemsProcessed(state.iterations() * kLoads);
}
BENCHMARK(BM_Jit)->Arg(0)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
