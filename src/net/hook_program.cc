// XDP and skb contexts around a PacketBuffer, with the same field values the runtime's test
// run gives (runtime/test_run.cc): XDP ingress on `ifindex`, an skb on `ifindex` with protocol
// and pkt_type from the Ethernet header; socket filters start at the network header.
#include "net/hook_program.h"

#include <algorithm>
#include <cstring>

#include "platform/ctx_structs.h"

namespace bombus::net {

namespace {

constexpr size_t kEthHlen = 14;
constexpr size_t kSkbTailroom = 320;  // skb_shared_info: the end of the usable buffer

uint32_t ingress_of(const HookOptions& o, const PacketBuffer& pkt) {
  return pkt.ifindex ? pkt.ifindex : o.ifindex;
}

// Runs the program with the redirect record cleared; after a REDIRECT, the record's targets
// become the packet's.
std::optional<uint64_t> run_recording(const RawRunFn& run, const HookOptions& o, void* ctx,
                                      size_t ctx_len, const vm::MemRegion& region) {
  if (o.redirect) *o.redirect = {};
  return run(ctx, ctx_len, region);
}
void take_redirect(const HookOptions& o, Verdict v, PacketBuffer& pkt) {
  if (v == Verdict::kRedirect && o.redirect)
    redirect_targets(*o.redirect, ingress_of(o, pkt), pkt.redirect_to);
}

Verdict run_xdp(const RawRunFn& run, const HookOptions& o, PacketBuffer& pkt) {
  if (pkt.size() < kEthHlen) return Verdict::kAborted;
  platform::XdpCtx x;
  uint8_t* frame = pkt.frame();
  const uint64_t data = reinterpret_cast<uint64_t>(pkt.data());
  x.data = x.data_meta = data;
  x.data_end = data + pkt.size();
  x.ingress_ifindex = ingress_of(o, pkt);
  x.rx_queue_index = o.rx_queue;
  x.frame = frame;
  x.frame_size = static_cast<uint32_t>(pkt.frame_size());
  const vm::MemRegion region{reinterpret_cast<uintptr_t>(frame), pkt.frame_size(), true};
  const std::optional<uint64_t> r0 = run_recording(run, o, &x, sizeof x, region);
  if (!r0) return Verdict::kAborted;
  const uint64_t base = reinterpret_cast<uint64_t>(frame);
  if (x.data != data || x.data_end != data + pkt.size())
    pkt.set_window(static_cast<size_t>(x.data - base), static_cast<size_t>(x.data_end - x.data));
  const Verdict v = verdict_from_xdp(*r0);
  take_redirect(o, v, pkt);
  return v;
}

uint32_t pkt_type_of(const uint8_t* eth) {
  static const uint8_t kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kZero[6] = {};
  if (std::memcmp(eth, kBcast, 6) == 0) return 1;  // PACKET_BROADCAST
  if (eth[0] & 1) return 2;                        // PACKET_MULTICAST
  return std::memcmp(eth, kZero, 6) == 0 ? 0 : 3;  // PACKET_HOST / PACKET_OTHERHOST
}

Verdict run_skb(const RawRunFn& run, HookKind kind, const HookOptions& o, PacketBuffer& pkt) {
  namespace off = platform::skb_off;
  if (pkt.size() < kEthHlen) return Verdict::kAborted;
  const bool l2 = kind != HookKind::kSocketFilter;
  platform::SkbCtx s;
  uint8_t* frame = pkt.frame();
  uint8_t* eth = pkt.data();
  s.buf = frame;
  s.buf_size = static_cast<uint32_t>(pkt.frame_size() > kSkbTailroom + pkt.head() + pkt.size()
                                         ? pkt.frame_size() - kSkbTailroom
                                         : pkt.head() + pkt.size());
  s.data = reinterpret_cast<uint64_t>(eth + (l2 ? 0 : kEthHlen));
  s.data_end = reinterpret_cast<uint64_t>(eth + pkt.size());
  s.data_meta = s.data;
  uint16_t proto;
  std::memcpy(&proto, eth + 12, 2);
  const uint32_t len = static_cast<uint32_t>(s.data_end - s.data);
  platform::set_skb_u32(s, off::kLen, len);
  platform::set_skb_u32(s, off::kPktType, pkt_type_of(eth));
  platform::set_skb_u32(s, off::kProtocol, proto);
  platform::set_skb_u32(s, off::kIfindex, ingress_of(o, pkt));
  platform::set_skb_u32(s, off::kWireLen, len);
  const vm::MemRegion region{reinterpret_cast<uintptr_t>(frame), pkt.frame_size(), true};
  const std::optional<uint64_t> r0 = run_recording(run, o, &s, sizeof s, region);
  if (!r0) return Verdict::kAborted;
  const uint64_t base = reinterpret_cast<uint64_t>(frame);
  const uint64_t start = s.data - (l2 ? 0 : kEthHlen);
  if (start != reinterpret_cast<uint64_t>(eth) ||
      s.data_end != reinterpret_cast<uint64_t>(eth) + pkt.size())
    pkt.set_window(static_cast<size_t>(start - base), static_cast<size_t>(s.data_end - start));
  if (kind == HookKind::kTc) {
    const Verdict v = verdict_from_tc(static_cast<int64_t>(*r0));
    take_redirect(o, v, pkt);
    return v;
  }
  const uint32_t keep = static_cast<uint32_t>(*r0);
  if (keep == 0) return Verdict::kDrop;
  if (keep < pkt.size()) pkt.set_window(pkt.head(), keep);
  return Verdict::kPass;
}

}  // namespace

void redirect_targets(const vm::RedirectRecord& r, uint32_t ingress,
                      std::vector<RedirectTarget>& out) {
  using K = vm::RedirectRecord::Kind;
  switch (r.kind) {
    case K::kNone:
      return;
    case K::kIfindex:
      out.push_back(
          {r.flags & vm::kRedirectFIngress ? RedirectKind::kIngress : RedirectKind::kIfindex,
           r.index});
      return;
    case K::kCpu:
      out.push_back({RedirectKind::kCpu, r.index});
      return;
    case K::kXsk:
      out.push_back({RedirectKind::kXsk, r.index});
      return;
    case K::kBroadcast: {
      if (!r.map) return;
      std::vector<uint32_t> devs;
      vm::devmap_ifindexes(*r.map, r.flags & vm::kRedirectFExcludeIngress ? ingress : 0, devs);
      for (uint32_t d : devs) out.push_back({RedirectKind::kIfindex, d});
      return;
    }
  }
}

PacketProgram hook_program(HookKind kind, RawRunFn run, const HookOptions& opts) {
  if (kind == HookKind::kXdp)
    return [run = std::move(run), opts](PacketBuffer& pkt) { return run_xdp(run, opts, pkt); };
  return [run = std::move(run), kind, opts](PacketBuffer& pkt) {
    return run_skb(run, kind, opts, pkt);
  };
}

}  // namespace bombus::net
