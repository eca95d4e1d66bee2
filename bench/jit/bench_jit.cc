// JIT benchmarks: every program of programs.h on four engines, side by side —
//   interp  the bombus interpreter (fast mode)
//   jit     the bombus JIT (JitProgram::call: a fresh RunState per run, as the runtime does)
//   kernel  the kernel's JIT through BPF_PROG_TEST_RUN with repeat (skipped when bpf() fails)
//   native  the same logic in C++ built with -O2
// then prints a table of per-run times and ratios (medians when --benchmark_repetitions is
// given; CPU time for the user-space engines, the kernel's own duration for the kernel). Also JIT
// compile time per 1,000 instructions. Every engine's r0 is checked against the interpreter's
// before timing.
//
// Run: build-jit/bench/jit/bombus-bench-jit --benchmark_repetitions=5
//      --benchmark_report_aggregates_only=true   (docs/PERFORMANCE.md, "JIT")
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench_inline.h"
#include "jit/jit.h"
#include "kernel_oracle.h"
#include "programs.h"
#include "vm/helpers/helpers.h"
#include "vm/interp.h"
#include "vm/maps/map.h"

namespace bombus::bench {
namespace {

constexpr int kKernelRepeat = 2000;

std::span<const vm::HelperFn> helper_table() {
  return vm::helper_table();
}

// The hash map of the map-heavy program (a vm::Map; programs get its host address).
vm::Map* bench_hash_map() {
  static std::unique_ptr<vm::Map> m = [] {
    vm::MapSpec spec;
    spec.type = platform::MapType::kHash;
    spec.key_size = 4;
    spec.value_size = 8;
    spec.max_entries = kHashEntries;
    spec.name = "bench_hash";
    auto r = vm::Map::create(spec);
    if (!r.ok()) {
      std::fprintf(stderr, "map: %s\n", r.error().format().c_str());
      std::exit(1);
    }
    for (uint32_t key = 0; key < kHashEntries; ++key) {
      const uint64_t v = hash_value(key);
      (*r)->update(&key, &v, 0);
    }
    return std::move(r).value();
  }();
  return m.get();
}
const void* native_lookup(uint32_t key) {
  return bench_hash_map()->lookup(&key);
}

// Our engines see the map as its host address (vm/abi.h).
void patch_map(std::vector<isa::Insn>& insns) {
  for (size_t j = 0; j + 1 < insns.size(); ++j) {
    if (isa::is_lddw(insns[j]) && isa::lddw_imm64(insns[j], insns[j + 1]) == kMapPlaceholder) {
      const auto addr = reinterpret_cast<uint64_t>(bench_hash_map());
      insns[j].imm = static_cast<int32_t>(addr);
      insns[j + 1].imm = static_cast<int32_t>(addr >> 32);
    }
  }
}

// Tail-call targets: the prog array of the running chain, per engine.
std::vector<const void*> g_interp_chain, g_jit_chain;
const void* interp_tail(uint64_t, uint64_t index) {
  return index < g_interp_chain.size() ? g_interp_chain[index] : nullptr;
}
const void* jit_tail(uint64_t, uint64_t index) {
  return index < g_jit_chain.size() ? g_jit_chain[index] : nullptr;
}

struct Prepared {
  BenchProgram prog;
  BenchCtx ctx{};
  std::vector<vm::Interpreter> interp;
  std::vector<std::unique_ptr<jit::JitProgram>> jit;
  std::optional<KernelProgram> kernel;
  std::string kernel_error;
  NativeFn native = nullptr;
};

template <typename T>
T or_die(Result<T> r, const std::string& what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what.c_str(), r.error().format().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

std::vector<std::unique_ptr<Prepared>> prepare() {
  std::vector<std::unique_ptr<Prepared>> out;
  auto user = bench_programs(false);
  auto kern = bench_programs(true);
  for (size_t i = 0; i < user.size(); ++i) {
    auto p = std::make_unique<Prepared>();
    p->prog = user[i];
    p->ctx.data = reinterpret_cast<uint64_t>(p->prog.packet.data());
    p->ctx.data_end = p->ctx.data + p->prog.packet.size();
    const bool chain = p->prog.progs.size() > 1;
    set_native_map(native_lookup);
    if (p->prog.map == MapKind::kHash) {
      for (auto& insns : p->prog.progs) patch_map(insns);
    }
    for (const auto& insns : p->prog.progs) {
      vm::InterpOptions io;
      io.helpers = helper_table();
      io.hooks.tail_call_target = interp_tail;
      p->interp.push_back(or_die(vm::Interpreter::create(insns, io), "interp"));
      jit::JitOptions jo;
      jo.helpers = helper_table();
      jo.hooks.tail_call_target = jit_tail;
      p->jit.push_back(or_die(jit::compile(insns, jo), "jit"));
    }
    if (chain) {
      for (auto& ip : p->interp) g_interp_chain.push_back(&ip);
      for (auto& jp : p->jit) g_jit_chain.push_back(jp.get());
    }
    auto k = KernelProgram::load(kern[i]);
    if (k.ok()) {
      p->kernel.emplace(std::move(k).value());
    } else {
      p->kernel_error = k.error().message;
    }
    p->native = native_for(p->prog.id);
    // Same answer everywhere before anything is timed.
    const uint64_t want = or_die(p->interp[0].run(&p->ctx, sizeof p->ctx), "interp run");
    const uint64_t got_jit = p->jit[0]->call(&p->ctx, sizeof p->ctx);
    const uint64_t got_native = p->native(&p->ctx);
    if (got_jit != want || got_native != want) {
      std::fprintf(stderr, "%s: r0 differs: interp %llu jit %llu native %llu\n", p->prog.name,
                   (unsigned long long)want, (unsigned long long)got_jit,
                   (unsigned long long)got_native);
      std::exit(1);
    }
    if (p->kernel) {
      auto kr = p->kernel->run(kern[i].packet, 1, nullptr);
      if (!kr.ok() || *kr != want) {
        std::fprintf(stderr, "%s: kernel r0 %s, interp %llu\n", p->prog.name,
                     kr.ok() ? std::to_string(*kr).c_str() : kr.error().message.c_str(),
                     (unsigned long long)want);
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Collects per-run times (ns) as "program" -> engine -> time; medians win over single runs.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const std::string name = r.run_name.function_name;  // "jit/<program>/<engine>"
      const size_t a = name.find('/'), b = name.find('/', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::string prog = name.substr(a + 1, b - a - 1), engine = name.substr(b + 1);
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      if (!median && medians_.count(prog + "/" + engine)) continue;
      if (median) medians_.insert(prog + "/" + engine);
      // User-space engines: CPU time (the shared machine's waits are not the engine's); the
      // kernel column: the kernel's own per-run measurement (manual time).
      times_[prog][engine] = engine == "kernel" ? r.GetAdjustedRealTime() : r.GetAdjustedCPUTime();
    }
  }
  std::map<std::string, std::map<std::string, double>> times_;
  std::set<std::string> medians_;
};

}  // namespace
}  // namespace bombus::bench

int main(int argc, char** argv) {
  using namespace bombus::bench;
  benchmark::Initialize(&argc, argv);
  auto progs = prepare();
  std::vector<std::string> order;
  for (auto& pp : progs) {
    Prepared* p = pp.get();
    const std::string base = std::string("jit/") + p->prog.name + "/";
    order.push_back(p->prog.name);
    benchmark::RegisterBenchmark((base + "interp").c_str(), [p](benchmark::State& s) {
      for (auto _ : s) {
        auto r = p->interp[0].run(&p->ctx, sizeof p->ctx);
        benchmark::DoNotOptimize(r);
      }
    })->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark((base + "jit").c_str(), [p](benchmark::State& s) {
      for (auto _ : s) benchmark::DoNotOptimize(p->jit[0]->call(&p->ctx, sizeof p->ctx));
    })->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark((base + "native").c_str(), [p](benchmark::State& s) {
      for (auto _ : s) benchmark::DoNotOptimize(p->native(&p->ctx));
    })->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark(
        (base + "kernel").c_str(),
        [p](benchmark::State& s) {
          if (!p->kernel) {
            s.SkipWithError(("kernel JIT unavailable: " + p->kernel_error).c_str());
            for (auto _ : s) {
            }
            return;
          }
          for (auto _ : s) {
            uint32_t ns = 0;
            auto r = p->kernel->run(p->prog.packet, kKernelRepeat, &ns);
            if (!r.ok()) {
              s.SkipWithError(r.error().message.c_str());
              break;
            }
            s.SetIterationTime(ns * 1e-9);
          }
        })
        ->UseManualTime()
        ->Iterations(50)
        ->Unit(benchmark::kNanosecond);
  }
  register_inline_benchmarks();
  static const auto compile_prog = compile_time_program(1000);
  benchmark::RegisterBenchmark("jit/compile_1000_insns/jit", [](benchmark::State& s) {
    bombus::jit::JitOptions o;
    o.helpers = helper_table();
    for (auto _ : s) {
      auto r = bombus::jit::compile(compile_prog, o);
      benchmark::DoNotOptimize(r);
    }
  })->Unit(benchmark::kMicrosecond);

  TableReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);

  auto& t = rep.times_;
  std::printf("\n%-14s %10s %10s %10s %10s | %9s %9s %9s\n", "program (ns)", "interp", "jit",
              "kernel", "native", "interp/jit", "jit/kern", "jit/nat");
  for (const std::string& name : order) {
    auto& row = t[name];
    auto cell = [&](const char* e) { return row.count(e) ? row[e] : -1.0; };
    auto ratio = [&](const char* a, const char* b) {
      return (row.count(a) && row.count(b) && row[b] > 0) ? row[a] / row[b] : -1.0;
    };
    std::printf("%-14s %10.1f %10.1f %10.1f %10.1f | %9.2f %9.2f %9.2f\n", name.c_str(),
                cell("interp"), cell("jit"), cell("kernel"), cell("native"), ratio("interp", "jit"),
                ratio("jit", "kernel"), ratio("jit", "native"));
  }
  if (t.count("compile_1000_insns")) {
    std::printf("jit compile: %.1f us per 1000 instructions\n", t["compile_1000_insns"]["jit"]);
  }
  std::printf("(-1 = not measured)\n");
  benchmark::Shutdown();
  return 0;
}
