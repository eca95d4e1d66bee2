// Live interfaces: AF_PACKET sockets with a memory-mapped TPACKET_V3 receive ring and sendto()
// for transmit, so XDP_TX and redirect verdicts put real frames on the wire. run_live() drives a
// program over several interfaces at once (a user-space XDP: TX sends back out of the receiving
// interface, REDIRECT out of the interfaces its redirect named, PASS and DROP consume).
// Needs CAP_NET_RAW; opening fails with Errc::kPerm otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/runner.h"

namespace bombus::net {

struct LiveOptions {
  uint32_t block_size = 1u << 16;  // ring block (multiple of the page size)
  uint32_t block_count = 16;
  uint32_t frame_size = 2048;
  uint32_t block_timeout_ms = 5;  // the kernel hands over a partly filled block after this
  bool promiscuous = true;
};

class LiveInterface {
 public:
  // Opens `ifname` in the calling thread's network namespace.
  static Result<std::unique_ptr<LiveInterface>> open(const std::string& ifname,
                                                     const LiveOptions& opts = {});
  ~LiveInterface();
  LiveInterface(const LiveInterface&) = delete;
  LiveInterface& operator=(const LiveInterface&) = delete;

  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  int fd() const { return fd_; }
  // Next received frame (frames this socket sent are not seen). False when none arrived
  // within `timeout_ms` (0 = do not wait).
  Result<bool> receive(PacketBuffer& pkt, int timeout_ms);
  Status send(std::span<const uint8_t> frame);
  uint64_t received() const { return rx_; }
  uint64_t sent() const { return tx_; }

 private:
  LiveInterface() = default;
  bool next_from_ring(PacketBuffer& pkt);
  std::string name_;
  int ifindex_ = 0;
  int fd_ = -1;
  uint8_t* ring_ = nullptr;
  size_t ring_len_ = 0;
  LiveOptions opts_;
  uint32_t block_ = 0;     // current block
  uint32_t in_block_ = 0;  // packets consumed in it
  uint8_t* next_pkt_ = nullptr;
  uint64_t rx_ = 0, tx_ = 0;
};

// A live source (one interface) for run_packets: ends after `max_packets` or when `stop` is set.
std::unique_ptr<PacketSource> live_source(LiveInterface& iface, uint64_t max_packets,
                                          const std::atomic<bool>* stop = nullptr);
// A sink that transmits on an interface.
std::unique_ptr<PacketSink> live_sink(LiveInterface& iface);

struct LiveRunOptions {
  const std::atomic<bool>* stop = nullptr;  // set to end the run
  uint64_t max_packets = 0;                 // 0 = no limit
  int64_t duration_ms = -1;                 // < 0 = no limit
  // PASS frames go out of every other interface of the run (a user-space bridge between the
  // interfaces, standing in for the stack that would forward them); off: PASS consumes.
  bool bridge_pass = false;
  // Taps: each verdict's frames are also written here (e.g. pcap files), after the program.
  RunnerOutputs taps;
};

// Receives on every interface, runs `prog` (PacketBuffer::ifindex = arrival interface) and acts
// on the verdict: TX sends back out of the arrival interface, REDIRECT out of every target in
// PacketBuffer::redirect_to that is one of `ifaces` (by kernel ifindex; a devmap broadcast
// reaches several). Targets that are not (other devices, ingress, CPU or socket targets) count
// in RunnerStats::redirect_unknown; a redirect that reaches no interface counts as a drop.
// Taps (by verdict and by redirect target) are closed at the end.
Result<RunnerStats> run_live(std::span<LiveInterface* const> ifaces, const PacketProgram& prog,
                             const LiveRunOptions& opts);

}  // namespace bombus::net
