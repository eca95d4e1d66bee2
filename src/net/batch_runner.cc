// Batched runner: a fixed pool of workers synchronised by a barrier per batch. The calling
// thread reads a batch, takes part as worker 0, then writes the outputs in packet order while
// the other workers wait for the next batch.
#include "net/batch_runner.h"

#include <algorithm>
#include <barrier>
#include <ctime>
#include <optional>
#include <thread>
#include <vector>

#include "net/cpu_time.h"

namespace bombus::net {

namespace {

struct Shared {
  std::vector<PacketBuffer> bufs;
  std::vector<Verdict> verdicts;
  std::vector<uint64_t> thread_ns;  // per worker, for the current batch
  size_t n = 0;                     // packets in the current batch
  unsigned threads = 1;
  bool done = false;
};

void run_range(Shared& sh, const PacketProgram& prog, unsigned t) {
  const size_t from = sh.n * t / sh.threads, to = sh.n * (t + 1) / sh.threads;
  const uint64_t t0 = thread_cpu_ns();
  for (size_t i = from; i < to; ++i) sh.verdicts[i] = prog(sh.bufs[i]);
  sh.thread_ns[t] = thread_cpu_since(t0);
}

}  // namespace

Result<RunnerStats> run_packets_batched(PacketSource& src, const PacketProgramFactory& make,
                                        RunnerOutputs outputs, const BatchRunOptions& opts) {
  Shared sh;
  sh.threads = std::max(1u, opts.threads);
  const size_t batch = std::max<size_t>(1, opts.batch);
  std::vector<PacketProgram> progs;
  for (unsigned t = 0; t < sh.threads; ++t) {
    BOMBUS_ASSIGN_OR_RETURN(auto p, make(t));
    progs.push_back(std::move(p));
  }
  sh.bufs.resize(batch);
  for (PacketBuffer& b : sh.bufs) b.set_min_frame(opts.min_frame);
  sh.verdicts.resize(batch);
  sh.thread_ns.assign(sh.threads, 0);

  std::barrier sync(static_cast<std::ptrdiff_t>(sh.threads));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < sh.threads; ++t) {
    pool.emplace_back([&sh, &sync, &progs, t] {
      for (;;) {
        sync.arrive_and_wait();  // a batch is ready (or we are done)
        if (sh.done) return;
        run_range(sh, progs[t], t);
        sync.arrive_and_wait();  // batch finished
      }
    });
  }

  RunnerStats st;
  std::optional<Error> failure;
  bool end = false;
  while (!end && !failure) {
    sh.n = 0;
    while (sh.n < batch) {
      if (opts.max_packets && st.packets + sh.n >= opts.max_packets) {
        end = true;
        break;
      }
      auto more = src.next(sh.bufs[sh.n]);
      if (!more.ok()) {
        failure = more.error();
        break;
      }
      if (!*more) {
        end = true;
        break;
      }
      ++sh.n;
    }
    if (sh.n == 0) break;
    if (sh.threads > 1) sync.arrive_and_wait();
    run_range(sh, progs[0], 0);
    if (sh.threads > 1) sync.arrive_and_wait();
    st.ns += *std::max_element(sh.thread_ns.begin(), sh.thread_ns.end());
    for (size_t i = 0; i < sh.n; ++i) {
      if (Status s = route_packet(outputs, st, sh.verdicts[i], sh.bufs[i]); !s.ok()) {
        if (!failure) failure = s.error();
        break;
      }
    }
    if (opts.progress) opts.progress(st, src.position());
  }
  sh.done = true;
  if (sh.threads > 1) sync.arrive_and_wait();
  for (auto& th : pool) th.join();

  return finish_run(outputs, st, std::move(failure));
}

}  // namespace bombus::net
