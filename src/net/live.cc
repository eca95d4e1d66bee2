// AF_PACKET with a TPACKET_V3 receive ring. The socket is created with protocol 0 (it receives
// nothing) and only bound to ETH_P_ALL on its interface once the ring is mapped, so no frame of
// another interface slips in. Blocks are handed back to the kernel once every packet in them has
// been copied out.
#include "net/live.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace bombus::net {

namespace {

Error sys_error(const std::string& ifname, const std::string& what) {
  int e = errno;
  Location where;
  where.object = ifname;
  Errc code = (e == EPERM || e == EACCES) ? Errc::kPerm : e == ENODEV ? Errc::kNotFound : Errc::kIo;
  return make_error(code, fmt::format("{}: {}", what, std::strerror(e)), where);
}

tpacket_block_desc* block_at(uint8_t* ring, uint32_t size, uint32_t i) {
  return reinterpret_cast<tpacket_block_desc*>(ring + static_cast<size_t>(size) * i);
}

}  // namespace

LiveInterface::~LiveInterface() {
  if (ring_) munmap(ring_, ring_len_);
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<LiveInterface>> LiveInterface::open(const std::string& ifname,
                                                           const LiveOptions& opts) {
  std::unique_ptr<LiveInterface> li(new LiveInterface());
  li->name_ = ifname;
  li->opts_ = opts;
  Location where;
  where.object = ifname;
  if (opts.block_size == 0 || opts.frame_size == 0 || opts.block_count == 0 ||
      opts.block_size % static_cast<uint32_t>(getpagesize()) != 0 ||
      opts.block_size % opts.frame_size != 0)
    return make_error(Errc::kInvalid,
                      "ring geometry: block size must be a multiple of the page "
                      "size and of the frame size",
                      where);
  li->ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (li->ifindex_ == 0) return make_error(Errc::kNotFound, "no such interface", where);
  li->fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (li->fd_ < 0) return sys_error(ifname, "socket(AF_PACKET)");
  int version = TPACKET_V3;
  if (setsockopt(li->fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0)
    return sys_error(ifname, "PACKET_VERSION TPACKET_V3");
  tpacket_req3 req{};
  req.tp_block_size = opts.block_size;
  req.tp_block_nr = opts.block_count;
  req.tp_frame_size = opts.frame_size;
  req.tp_frame_nr = opts.block_size / opts.frame_size * opts.block_count;
  req.tp_retire_blk_tov = opts.block_timeout_ms;
  if (setsockopt(li->fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
    return sys_error(ifname, "PACKET_RX_RING");
  li->ring_len_ = static_cast<size_t>(opts.block_size) * opts.block_count;
  void* m = mmap(nullptr, li->ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED, li->fd_, 0);
  if (m == MAP_FAILED) return sys_error(ifname, "mmap of the receive ring");
  li->ring_ = static_cast<uint8_t*>(m);
  int one = 1;
  // Our own transmissions must not come back to us (kernel >= 4.20; ignore if older).
  (void)setsockopt(li->fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = li->ifindex_;
  if (bind(li->fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
    return sys_error(ifname, "bind");
  if (opts.promiscuous) {
    packet_mreq mr{};
    mr.mr_ifindex = li->ifindex_;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(li->fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
      return sys_error(ifname, "PACKET_ADD_MEMBERSHIP promiscuous");
  }
  return li;
}

bool LiveInterface::next_from_ring(PacketBuffer& pkt) {
  for (;;) {
    tpacket_block_desc* bd = block_at(ring_, opts_.block_size, block_);
    if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
      return false;
    if (in_block_ == 0)
      next_pkt_ = reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
    if (in_block_ < bd->hdr.bh1.num_pkts) {
      auto* h = reinterpret_cast<tpacket3_hdr*>(next_pkt_);
      const uint8_t* frame = next_pkt_ + h->tp_mac;
      pkt.assign(std::span<const uint8_t>(frame, h->tp_snaplen), h->tp_len,
                 static_cast<uint64_t>(h->tp_sec) * 1000000000ull + h->tp_nsec);
      pkt.ifindex = static_cast<uint32_t>(ifindex_);
      next_pkt_ += h->tp_next_offset;
      ++in_block_;
      ++rx_;
      return true;
    }
    // Every packet of this block has been copied: give it back and move on.
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    block_ = (block_ + 1) % opts_.block_count;
    in_block_ = 0;
  }
}

Result<bool> LiveInterface::receive(PacketBuffer& pkt, int timeout_ms) {
  if (next_from_ring(pkt)) return true;
  if (timeout_ms == 0) return false;
  pollfd p{fd_, POLLIN | POLLERR, 0};
  int rc = poll(&p, 1, timeout_ms);
  if (rc < 0 && errno != EINTR) return sys_error(name_, "poll");
  return next_from_ring(pkt);
}

Status LiveInterface::send(std::span<const uint8_t> frame) {
  if (::send(fd_, frame.data(), frame.size(), 0) < 0)
    return sys_error(name_, fmt::format("send of a {}-byte frame", frame.size()));
  ++tx_;
  return {};
}

namespace {

class LiveSource : public PacketSource {
 public:
  LiveSource(LiveInterface& i, uint64_t max, const std::atomic<bool>* stop)
      : i_(i), max_(max), stop_(stop) {}
  Result<bool> next(PacketBuffer& pkt) override {
    for (;;) {
      if ((max_ && seen_ >= max_) || (stop_ && stop_->load())) return false;
      BOMBUS_ASSIGN_OR_RETURN(bool got, i_.receive(pkt, 20));
      if (got) {
        ++seen_;
        return true;
      }
    }
  }

 private:
  LiveInterface& i_;
  uint64_t max_;
  const std::atomic<bool>* stop_;
  uint64_t seen_ = 0;
};

class LiveSink : public PacketSink {
 public:
  explicit LiveSink(LiveInterface& i) : i_(i) {}
  Status write(const PacketBuffer& p) override { return i_.send(p.bytes()); }

 private:
  LiveInterface& i_;
};

uint64_t mono_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Sends a redirected frame out of every target that is an interface of the run (matched by its
// kernel ifindex); the other targets (unknown devices, ingress, CPU and socket targets) are
// counted in redirect_unknown and taken off the packet. No target reached: the frame is dropped.
Verdict redirect_out(std::span<LiveInterface* const> ifaces, PacketBuffer& pkt, RunnerStats& st) {
  if (pkt.redirect_to.empty()) {
    ++st.redirect_unknown;
    return Verdict::kDrop;
  }
  size_t kept = 0;
  for (const RedirectTarget& t : pkt.redirect_to) {
    LiveInterface* out = nullptr;
    if (t.kind == RedirectKind::kIfindex)
      for (LiveInterface* o : ifaces)
        if (static_cast<uint32_t>(o->ifindex()) == t.index) out = o;
    if (!out) {
      ++st.redirect_unknown;
      continue;
    }
    (void)out->send(pkt.bytes());  // a frame the link refuses is lost, as in XDP
    pkt.redirect_to[kept++] = t;
  }
  pkt.redirect_to.resize(kept);
  return kept ? Verdict::kRedirect : Verdict::kDrop;
}

}  // namespace

std::unique_ptr<PacketSource> live_source(LiveInterface& iface, uint64_t max_packets,
                                          const std::atomic<bool>* stop) {
  return std::make_unique<LiveSource>(iface, max_packets, stop);
}

std::unique_ptr<PacketSink> live_sink(LiveInterface& iface) {
  return std::make_unique<LiveSink>(iface);
}

Result<RunnerStats> run_live(std::span<LiveInterface* const> ifaces, const PacketProgram& prog,
                             const LiveRunOptions& opts) {
  RunnerStats st;
  if (ifaces.empty()) return make_error(Errc::kInvalid, "run_live: no interfaces");
  std::vector<pollfd> fds;
  for (LiveInterface* i : ifaces) fds.push_back(pollfd{i->fd(), POLLIN | POLLERR, 0});
  const uint64_t start = mono_ms();
  PacketBuffer pkt;
  for (;;) {
    if (opts.stop && opts.stop->load()) break;
    if (opts.max_packets && st.packets >= opts.max_packets) break;
    if (opts.duration_ms >= 0 && mono_ms() - start >= static_cast<uint64_t>(opts.duration_ms))
      break;
    bool any = false;
    for (LiveInterface* in : ifaces) {
      for (;;) {
        auto got = in->receive(pkt, 0);
        if (!got.ok()) return got.error();
        if (!*got) break;
        any = true;
        auto t0 = std::chrono::steady_clock::now();
        Verdict v = prog(pkt);
        st.ns += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - t0)
                                           .count());
        if (v == Verdict::kTx) (void)in->send(pkt.bytes());  // a refused frame is lost, as in XDP
        if (v == Verdict::kRedirect) v = redirect_out(ifaces, pkt, st);
        if (v == Verdict::kPass && opts.bridge_pass) {
          for (LiveInterface* o : ifaces)
            if (o != in) (void)o->send(pkt.bytes());
        }
        BOMBUS_TRY(route_packet(opts.taps, st, v, pkt));
        if (opts.max_packets && st.packets >= opts.max_packets) break;
      }
    }
    if (!any) {
      for (auto& f : fds) f.revents = 0;
      if (poll(fds.data(), fds.size(), 10) < 0 && errno != EINTR)
        return make_error(Errc::kIo, fmt::format("poll: {}", std::strerror(errno)));
    }
  }
  for (PacketSink* tap : opts.taps.by_verdict)
    if (tap) BOMBUS_TRY(tap->close());
  for (const auto& [target, tap] : opts.taps.by_target)
    if (tap) BOMBUS_TRY(tap->close());
  return st;
}

}  // namespace bombus::net
