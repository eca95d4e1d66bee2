// The batched capture runner behind `bombus net run`: reads packets from a source a batch at a
// time into reused frames (no allocation per packet once warm), runs the batch on one or more
// worker threads (each with its own program instance, so per-CPU state is per thread, as the
// kernel's per-CPU maps are per CPU), then routes every packet to its verdict's output in the
// original packet order. Time is taken per batch as each worker's CPU time (the slowest
// worker's, per batch), so the ns/packet figure is the program's own cost — not the clock's,
// and not time spent waiting for a core on a busy machine.
#pragma once

#include <cstdint>
#include <functional>

#include "base/result.h"
#include "net/runner.h"

namespace bombus::net {

// Makes the program instance for worker `thread` (0-based). Called once per thread, before the
// run, on the calling thread.
using PacketProgramFactory = std::function<Result<PacketProgram>(unsigned thread)>;

struct BatchRunOptions {
  unsigned threads = 1;
  uint64_t max_packets = 0;  // 0 = until the source ends
  size_t batch = 4096;       // packets read, then run, then written, per round
  size_t min_frame = 0;      // every frame at least this big (XDP: a 4 KiB page)
  // Called on the calling thread after each batch is written: totals so far and the source's
  // position (PacketSource::position()).
  std::function<void(const RunnerStats&, std::pair<uint64_t, uint64_t>)> progress;
};

// Runs every packet of `src`. Output is independent of `threads`: the same packets reach the
// same sinks in the same order. On a source error every earlier packet has been run and routed,
// sinks are closed, and the error comes back with the counts so far in its message.
Result<RunnerStats> run_packets_batched(PacketSource& src, const PacketProgramFactory& make,
                                        RunnerOutputs outputs = {},
                                        const BatchRunOptions& opts = {});

}  // namespace bombus::net
