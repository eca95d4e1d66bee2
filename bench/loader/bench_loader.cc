// Loader speed: open_object (ELF, BTF, maps, relocations, subprogram linking) on a generated
// object with 100 programs and 50 maps — the target is at most 20 ms — and, for reference,
// libbpf's bpf_object__open_mem on the same bytes (libbpf defers relocation to load time, so
// it does less work than open_object here).
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>

#include "loader/object.h"

#ifdef BOMBUS_BENCH_LIBBPF
#include <bpf/libbpf.h>
#endif

namespace {

const std::vector<uint8_t>& big() {
  static std::vector<uint8_t> data = [] {
    std::ifstream in(BOMBUS_BENCH_BIG_OBJ, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  }();
  return data;
}

void BM_OpenObject100Progs50Maps(benchmark::State& st) {
  bombus::loader::OpenOptions o;
  o.object_name = "big";
  for (auto _ : st) {
    auto r = bombus::loader::open_object(big(), o);
    if (!r.ok()) {
      st.SkipWithError(r.error().format().c_str());
      return;
    }
    if (r->programs.size() != 100 || r->maps.size() < 50) {
      st.SkipWithError("unexpected object shape");
      return;
    }
    benchmark::DoNotOptimize(r->programs.back().insns.data());
  }
  st.counters["bytes"] = static_cast<double>(big().size());
}
BENCHMARK(BM_OpenObject100Progs50Maps)->Unit(benchmark::kMillisecond);

void BM_OpenObjectFile100Progs50Maps(benchmark::State& st) {
  for (auto _ : st) {
    auto r = bombus::loader::open_object_file(BOMBUS_BENCH_BIG_OBJ);
    if (!r.ok()) {
      st.SkipWithError(r.error().format().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->maps.data());
  }
}
BENCHMARK(BM_OpenObjectFile100Progs50Maps)->Unit(benchmark::kMillisecond);

#ifdef BOMBUS_BENCH_LIBBPF
int quiet(enum libbpf_print_level, const char*, va_list) {
  return 0;
}

void BM_LibbpfOpenMem100Progs50Maps(benchmark::State& st) {
  libbpf_set_print(quiet);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "big");
  for (auto _ : st) {
    bpf_object* obj = bpf_object__open_mem(big().data(), big().size(), &opts);
    if (!obj) {
      st.SkipWithError("libbpf cannot open the object");
      return;
    }
    bpf_object__close(obj);
  }
}
BENCHMARK(BM_LibbpfOpenMem100Progs50Maps)->Unit(benchmark::kMillisecond);
#endif

}  // namespace

BENCHMARK_MAIN();
