// Packet programs straight on an engine, without a test run per packet: the context an XDP,
// tc or socket-filter program sees is built in place around the PacketBuffer's frame (XDP: the
// frame with its 256-byte headroom, as a driver hands it over; tc/socket filter: an skb over the
// same buffer), the engine runs on it, and the packet takes back whatever the program did to
// data/data_end (adjust_head/tail/meta, rewrites in place). The engine is abstract (RawRunFn),
// so the runtime/CLI plugs in the JIT's or the interpreter's entry without net depending on it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "net/program_adapter.h"
#include "net/runner.h"
#include "vm/abi.h"
#include "vm/helpers/helpers.h"

namespace bombus::net {

// Runs the program once on `ctx` (`frame` = the memory the packet lives in, for checked
// engines); r0, or nullopt when the run faulted (counted as aborted, like a kernel exception).
using RawRunFn =
    std::function<std::optional<uint64_t>(void* ctx, size_t ctx_len, const vm::MemRegion& frame)>;

// The frame size the runner should give XDP packets (a page, as drivers do).
inline constexpr size_t kXdpFrameSize = 4096;

struct HookOptions {
  uint32_t ifindex = 1;  // device the packets arrive on when PacketBuffer::ifindex is 0
  uint32_t rx_queue = 0;
  // The record the run's helpers write (vm::HelperEnv::redirect of the env the RawRunFn runs
  // with; one per thread): cleared before each run and, after a REDIRECT verdict, turned into
  // the packet's redirect_to (a devmap broadcast expands to the map's devices). Null: none.
  vm::RedirectRecord* redirect = nullptr;
};

// The targets of a RedirectRecord (see vm/helpers/helpers.h) for a packet that arrived on
// `ingress` (excluded from a broadcast with BPF_F_EXCLUDE_INGRESS), appended to `out`.
void redirect_targets(const vm::RedirectRecord& r, uint32_t ingress,
                      std::vector<RedirectTarget>& out);

// Frames shorter than an Ethernet header are aborted without running (the kernel never hands
// such a frame to XDP or tc). Socket filters: 0 drops, n < length trims, as the kernel.
PacketProgram hook_program(HookKind kind, RawRunFn run, const HookOptions& opts = {});

}  // namespace bombus::net
