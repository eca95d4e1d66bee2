// BTF speed on the machine's vmlinux (or the file named by $BOMBUS_BTF_FILE): load+parse,
// parse from memory, dump C, dump raw, and the whole `btf dump file vmlinux format c` path that
// bpftool takes 0.42-0.45 s for on the reference machine.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "btf/dump.h"

namespace {

using bombus::btf::Btf;

std::string path() {
  const char* p = std::getenv("BOMBUS_BTF_FILE");
  return p ? p : "/sys/kernel/btf/vmlinux";
}

const std::vector<uint8_t>& blob() {
  static std::vector<uint8_t> data = [] {
    std::ifstream in(path(), std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  }();
  return data;
}

void BM_LoadFileAndParse(benchmark::State& st) {
  for (auto _ : st) {
    auto r = Btf::load_file(path());
    if (!r.ok()) {
      st.SkipWithError(r.error().format().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->type_count());
  }
}

void BM_Parse(benchmark::State& st) {
  for (auto _ : st) {
    auto r = Btf::parse(blob());
    if (!r.ok()) {
      st.SkipWithError(r.error().format().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->type_count());
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(blob().size()));
}

void BM_DumpC(benchmark::State& st) {
  auto r = Btf::parse(blob());
  if (!r.ok()) {
    st.SkipWithError(r.error().format().c_str());
    return;
  }
  size_t n = 0;
  for (auto _ : st) {
    std::string s = bombus::btf::dump_c(*r);
    n = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  st.counters["bytes_out"] = double(n);
}

void BM_DumpRaw(benchmark::State& st) {
  auto r = Btf::parse(blob());
  if (!r.ok()) {
    st.SkipWithError(r.error().format().c_str());
    return;
  }
  for (auto _ : st) {
    std::string s = bombus::btf::dump_raw(*r);
    benchmark::DoNotOptimize(s.data());
  }
}

// What `bombus btf dump file vmlinux format c` does, minus writing to stdout.
void BM_LoadParseDumpC(benchmark::State& st) {
  for (auto _ : st) {
    auto r = Btf::load_file(path());
    if (!r.ok()) {
      st.SkipWithError(r.error().format().c_str());
      return;
    }
    std::string s = bombus::btf::dump_c(*r);
    benchmark::DoNotOptimize(s.data());
  }
}

}  // namespace

BENCHMARK(BM_LoadFileAndParse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DumpC)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DumpRaw)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadParseDumpC)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
