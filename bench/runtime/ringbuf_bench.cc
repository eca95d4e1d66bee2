// Ring buffer throughput: one producer thread writes 16-byte records (bpf_ringbuf_output's path),
// one consumer thread reads them; items/s is records per second end to end. /0 writes each record
// with bpf_ringbuf_output's path, /1 with reserve + submit.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "vm/maps/ringbuf.h"

namespace {

// range(0): 0 = bpf_ringbuf_output, 1 = bpf_ringbuf_reserve + bpf_ringbuf_submit.
void BM_ringbuf_16B_spsc(benchmark::State& st) {
  const bool reserve = st.range(0) == 1;
  bombus::vm::MapSpec s;
  s.type = bombus::platform::MapType::kRingbuf;
  s.max_entries = 1 << 22;
  auto m = std::move(bombus::vm::Map::create(s)).value();
  auto* rb = static_cast<bombus::vm::RingBuf*>(m.get());
  constexpr uint64_t kRecords = 4'000'000;
  for (auto _ : st) {
    std::atomic<bool> done{false};
    uint64_t got = 0, sum = 0;
    std::thread consumer([&] {
      while (got < kRecords) {
        long n = rb->consume([&](void* d, size_t) {
          sum += static_cast<uint64_t*>(d)[0];
          return 0;
        });
        got += static_cast<uint64_t>(n);
        if (n == 0 && rb->empty()) std::this_thread::yield();
      }
      done = true;
    });
    for (uint64_t i = 0; i < kRecords;) {
      bool ok;
      if (reserve) {
        auto* r = static_cast<uint64_t*>(rb->reserve(16));
        ok = r != nullptr;
        if (ok) {
          r[0] = i, r[1] = i;
          rb->submit(r, bombus::platform::kRbNoWakeup);
        }
      } else {
        uint64_t rec[2] = {i, i};
        ok = rb->output(rec, 16, bombus::platform::kRbNoWakeup) == 0;
      }
      if (ok)
        ++i;
      else
        std::this_thread::yield();
    }
    consumer.join();
    benchmark::DoNotOptimize(sum);
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_ringbuf_16B_spsc)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
