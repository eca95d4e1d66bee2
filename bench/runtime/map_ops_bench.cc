// Map operations inside programs: each run does 100 update+lookup pairs (lpm: 100 lookups).
// bombus (interpreter) and the kernel (BPF_PROG_TEST_RUN, its JIT) run the same object in the
// same process; the reported time is per program run.
#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <memory>
#include <vector>

#include "bombus/bombus.h"

namespace {

constexpr int kRepeat = 200;

std::vector<uint8_t> packet() {
  std::vector<uint8_t> p(64, 0);
  p[12] = 0x08;
  return p;
}

struct LpmKey {
  uint32_t prefixlen, addr;
};

void fill_lpm(int fd_or_neg, bombus::Map* m) {
  for (uint32_t i = 0; i < 16; ++i) {
    LpmKey k{8 + i, 0x0a000000u | (i << 8)};
    uint64_t v = i + 1;
    if (m)
      (void)m->update({reinterpret_cast<uint8_t*>(&k), 8}, {reinterpret_cast<uint8_t*>(&v), 8});
    else
      bpf_map_update_elem(fd_or_neg, &k, &v, BPF_ANY);
  }
}

struct Bombus {
  std::unique_ptr<bombus::Object> obj;
  Bombus() {
    bombus::ObjectOptions o;
    o.verify = false;  // the benchmark measures running, not loading
    auto r = bombus::Object::open_file(MAP_OPS_OBJ, o);
    if (!r.ok() || !(*r)->load().ok()) return;
    obj = std::move(r).value();
    fill_lpm(-1, obj->find_map("lpm"));
  }
};

struct Kernel {
  bpf_object* obj = nullptr;
  Kernel() {
    obj = bpf_object__open_file(MAP_OPS_OBJ, nullptr);
    if (!obj || bpf_object__load(obj)) {
      if (obj) bpf_object__close(obj);
      obj = nullptr;
      return;
    }
    fill_lpm(bpf_map__fd(bpf_object__find_map_by_name(obj, "lpm")), nullptr);
  }
  ~Kernel() {
    if (obj) bpf_object__close(obj);
  }
};

Bombus& bombus_obj() {
  static Bombus b;
  return b;
}
Kernel& kernel_obj() {
  static Kernel k;
  return k;
}

void run_bombus(benchmark::State& st, const char* prog) {
  auto& b = bombus_obj();
  if (!b.obj) {
    st.SkipWithError("bombus could not load the benchmark object");
    return;
  }
  bombus::Program* p = b.obj->find_program(prog);
  auto pkt = packet();
  bombus::TestRun in;
  in.data_in = pkt;
  in.repeat = kRepeat;
  for (auto _ : st) {
    auto r = p->test_run(in);
    if (!r.ok()) {
      st.SkipWithError(r.error().format().c_str());
      return;
    }
    st.SetIterationTime(static_cast<double>(r->duration_ns) * kRepeat / 1e9);
  }
  st.SetItemsProcessed(st.iterations() * kRepeat);
}

void run_kernel(benchmark::State& st, const char* prog) {
  auto& k = kernel_obj();
  if (!k.obj) {
    st.SkipWithError("bpf() unavailable: no kernel comparison");
    return;
  }
  int fd = bpf_program__fd(bpf_object__find_program_by_name(k.obj, prog));
  auto pkt = packet();
  for (auto _ : st) {
    LIBBPF_OPTS(bpf_test_run_opts, o);
    o.data_in = pkt.data();
    o.data_size_in = static_cast<uint32_t>(pkt.size());
    o.repeat = kRepeat;
    if (bpf_prog_test_run_opts(fd, &o)) {
      st.SkipWithError("BPF_PROG_TEST_RUN failed");
      return;
    }
    st.SetIterationTime(static_cast<double>(o.duration) * kRepeat / 1e9);
  }
  st.SetItemsProcessed(st.iterations() * kRepeat);
}

#define MAP_BENCH(name)                         \
  void BM_bombus_##name(benchmark::State& st) { \
    run_bombus(st, "bench_" #name);             \
  }                                             \
  void BM_kernel_##name(benchmark::State& st) { \
    run_kernel(st, "bench_" #name);             \
  }                                             \
  BENCHMARK(BM_bombus_##name)->UseManualTime(); \
  BENCHMARK(BM_kernel_##name)->UseManualTime();

MAP_BENCH(array)
MAP_BENCH(hash)
MAP_BENCH(lru)
MAP_BENCH(lpm)

}  // namespace
