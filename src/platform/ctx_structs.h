// bombus's real context structures: what r1 points to when a program of a packet type runs.
// Programs are written against the uapi structs (struct xdp_md, struct __sk_buff); the ctx-rewrite
// pass (ctx_rewrite.h) turns their field accesses into accesses to these structs, as the kernel
// rewrites them to its own xdp_buff / sk_buff. Pointer fields are real 64-bit host pointers here.
// Helpers (skb_load_bytes, xdp_adjust_head, ...) and the test-run code use these layouts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bombus::platform {

inline constexpr uint32_t kXdpHeadroom = 256;  // XDP_PACKET_HEADROOM
inline constexpr uint32_t kSkbHeadroom = 64;   // NET_SKB_PAD-like headroom for test runs
inline constexpr uint32_t kXdpMdSize = 24;     // sizeof(struct xdp_md)
inline constexpr uint32_t kSkBuffSize = 192;   // sizeof(struct __sk_buff)

// XDP: first three fields are pointers (uapi: u32 data, data_end, data_meta).
struct XdpCtx {
  uint64_t data = 0;       // real pointer to the first packet byte
  uint64_t data_end = 0;   // one past the last byte
  uint64_t data_meta = 0;  // == data when there is no metadata
  uint32_t ingress_ifindex = 0;
  uint32_t rx_queue_index = 0;
  uint32_t egress_ifindex = 0;
  uint32_t reserved = 0;
  // Not visible to programs: the frame the packet lives in (headroom + data + tailroom).
  uint8_t* frame = nullptr;
  uint32_t frame_size = 0;
  uint32_t tailroom_limit = 0;  // data_end may grow up to frame + tailroom_limit
};
static_assert(offsetof(XdpCtx, ingress_ifindex) == 24);

// __sk_buff: the uapi image lives at offset 0 (scalar fields are read/written in place at their
// uapi offsets); the pointer fields live after it.
struct SkbCtx {
  alignas(8) uint8_t uapi[kSkBuffSize] = {};
  uint64_t data = 0;
  uint64_t data_end = 0;
  uint64_t data_meta = 0;
  uint64_t flow_keys = 0;  // always 0 (no flow dissector)
  uint64_t sk = 0;         // always 0 (no socket)
  // Not visible to programs.
  uint8_t* buf = nullptr;  // start of the buffer (headroom before data)
  uint32_t buf_size = 0;
  uint32_t mac_header = 0;  // offset of the L2 header from buf (for test runs)
};
inline constexpr uint32_t kSkbRealData = offsetof(SkbCtx, data);
inline constexpr uint32_t kSkbRealDataEnd = offsetof(SkbCtx, data_end);
inline constexpr uint32_t kSkbRealDataMeta = offsetof(SkbCtx, data_meta);
inline constexpr uint32_t kSkbRealFlowKeys = offsetof(SkbCtx, flow_keys);
inline constexpr uint32_t kSkbRealSk = offsetof(SkbCtx, sk);

// uapi offsets of struct __sk_buff fields.
namespace skb_off {
inline constexpr uint32_t kLen = 0, kPktType = 4, kMark = 8, kQueueMapping = 12, kProtocol = 16,
                          kVlanPresent = 20, kVlanTci = 24, kVlanProto = 28, kPriority = 32,
                          kIngressIfindex = 36, kIfindex = 40, kTcIndex = 44, kCb = 48, kHash = 68,
                          kTcClassid = 72, kData = 76, kDataEnd = 80, kNapiId = 84, kFamily = 88,
                          kRemoteIp4 = 92, kLocalIp4 = 96, kRemoteIp6 = 100, kLocalIp6 = 116,
                          kRemotePort = 132, kLocalPort = 136, kDataMeta = 140, kFlowKeys = 144,
                          kTstamp = 152, kWireLen = 160, kGsoSegs = 164, kSk = 168, kGsoSize = 176,
                          kTstampType = 180, kHwtstamp = 184;
}  // namespace skb_off

// Read/write a u32 field of the __sk_buff image.
inline uint32_t skb_u32(const SkbCtx& s, uint32_t off) {
  uint32_t v;
  __builtin_memcpy(&v, s.uapi + off, 4);
  return v;
}
inline void set_skb_u32(SkbCtx& s, uint32_t off, uint32_t v) {
  __builtin_memcpy(s.uapi + off, &v, 4);
}

}  // namespace bombus::platform
