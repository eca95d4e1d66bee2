// Test-run adapters and the capture-file runner used by `bombus net run`.
#include "net/program_adapter.h"

#include <algorithm>
#include <cstring>

namespace bombus::net {

PacketProgram program_from_test_run(TestRunFn run, HookKind kind, uint64_t* errors) {
  return [run = std::move(run), kind, errors](PacketBuffer& pkt) -> Verdict {
    auto out = run(pkt.bytes());
    if (!out.ok()) {
      if (errors) ++*errors;
      return Verdict::kAborted;
    }
    const std::vector<uint8_t>& d = out->data_out;
    if (!d.empty() && (d.size() != pkt.size() || !std::equal(d.begin(), d.end(), pkt.data()))) {
      // The program rewrote or resized the packet: take its bytes. Growing beyond the room the
      // buffer has is done by re-assigning.
      const int delta = static_cast<int>(d.size()) - static_cast<int>(pkt.size());
      if (!pkt.adjust_tail(delta)) {
        PacketBuffer copy;
        copy.assign(d, static_cast<uint32_t>(d.size()), pkt.ts_ns);
        copy.ifindex = pkt.ifindex;
        pkt = std::move(copy);
      }
      std::memcpy(pkt.data(), d.data(), d.size());
    }
    switch (kind) {
      case HookKind::kXdp:
        return verdict_from_xdp(out->retval);
      case HookKind::kTc:
        return verdict_from_tc(static_cast<int64_t>(out->retval));
      case HookKind::kSocketFilter: {
        const uint32_t keep = static_cast<uint32_t>(out->retval);
        if (keep == 0) return Verdict::kDrop;
        if (keep < pkt.size()) pkt.adjust_tail(-static_cast<int>(pkt.size() - keep));
        return Verdict::kPass;
      }
    }
    return Verdict::kAborted;
  };
}

Result<RunnerStats> run_capture(const CaptureRunOptions& opts, const PacketProgram& prog) {
  BOMBUS_ASSIGN_OR_RETURN(auto src, open_pcap_source(opts.input));
  std::vector<std::unique_ptr<PacketSink>> sinks;
  RunnerOutputs outs;
  for (size_t v = 0; v < kNumVerdicts; ++v) {
    if (!opts.outputs[v]) continue;
    BOMBUS_ASSIGN_OR_RETURN(auto s, open_pcap_sink(*opts.outputs[v], src->info()));
    outs.by_verdict[v] = s.get();
    sinks.push_back(std::move(s));
  }
  RunnerOptions ro;
  ro.max_packets = opts.max_packets;
  return run_packets(*src, prog, outs, ro);
}

}  // namespace bombus::net
