// Adapters from "run this program on these bytes" to a PacketProgram for the runner, so the
// runtime's XDP, tc and socket-filter test runs (bombus::Program::test_run) drive the runner
// without the net layer depending on the runtime: the caller wraps test_run in a TestRunFn.
//
//   auto run = [&](std::span<const uint8_t> in) -> Result<net::TestRunOutput> {
//     bombus::TestRun r; r.data_in = in;
//     BOMBUS_ASSIGN_OR_RETURN(auto res, prog->test_run(r));
//     return net::TestRunOutput{res.retval, std::move(res.data_out)};
//   };
//   net::PacketProgram p = net::program_from_test_run(run, net::HookKind::kXdp);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "net/runner.h"

namespace bombus::net {

enum class HookKind { kXdp, kTc, kSocketFilter };

struct TestRunOutput {
  uint64_t retval = 0;
  std::vector<uint8_t> data_out;  // the packet after the program (may differ in length)
};

using TestRunFn = std::function<Result<TestRunOutput>(std::span<const uint8_t> data_in)>;

// Maps the return value by hook (XDP actions; tc TC_ACT_*; socket filter: 0 drops, n keeps n
// bytes) and replaces the packet by data_out when the run produced one. A failed run is
// Verdict::kAborted; `errors` (optional) counts them.
PacketProgram program_from_test_run(TestRunFn run, HookKind kind, uint64_t* errors = nullptr);

// `bombus net run`: run `prog` over a capture file, writing each verdict's packets to its own
// pcap when a path is given (indexed by Verdict).
struct CaptureRunOptions {
  std::string input;
  std::array<std::optional<std::string>, kNumVerdicts> outputs;
  uint64_t max_packets = 0;
};
Result<RunnerStats> run_capture(const CaptureRunOptions& opts, const PacketProgram& prog);

}  // namespace bombus::net
