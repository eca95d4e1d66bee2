// Packet helpers for xdp (XdpCtx) and skb programs (SkbCtx): byte loads/stores, checksums,
// head/tail/meta adjustment, redirects and MTU checks, with the kernel's bounds and error codes.
// Packet buffers are owned by the runner (runtime test_run, net): helpers move data/data_end
// within the frame they were given and never reallocate.
#include <cstring>

#include "platform/ctx_structs.h"
#include "vm/helpers/helpers.h"
#include "vm/maps/map.h"

namespace bombus::vm::helper_impl {
namespace {

using u64 = uint64_t;
using platform::SkbCtx;
using platform::XdpCtx;
namespace off = platform::skb_off;

void* P(u64 p) {
  return reinterpret_cast<void*>(p);
}
u64 R(long v) {
  return static_cast<u64>(static_cast<int64_t>(v));
}
constexpr long kEinval = -22, kEfault = -14, kEnomem = -12, kEnotsupp = -524;
constexpr uint32_t kEthHlen = 14;
constexpr uint32_t kXdpFrameSize = 40;    // sizeof(struct xdp_frame), kept at the frame start
constexpr uint32_t kSkbSharedInfo = 320;  // tailroom the kernel reserves (skb_shared_info)

SkbCtx* skb(u64 p) {
  return static_cast<SkbCtx*>(P(p));
}
XdpCtx* xdp(u64 p) {
  return static_cast<XdpCtx*>(P(p));
}
uint32_t skb_len(const SkbCtx* s) {
  return static_cast<uint32_t>(s->data_end - s->data);
}
void set_skb_len(SkbCtx* s, uint32_t len) {
  s->data_end = s->data + len;
  platform::set_skb_u32(*s, off::kLen, len);
}

// ---- checksums (RFC 1071 arithmetic) ----
uint32_t csum_add32(uint32_t a, uint32_t b) {
  uint32_t r = a + b;
  return r + (r < a);
}
uint16_t csum_fold(uint32_t c) {
  c = (c & 0xffff) + (c >> 16);
  c = (c & 0xffff) + (c >> 16);
  return static_cast<uint16_t>(~c);
}
// Replace `from` by `to` (network-order values of `size` bytes, or a precomputed diff when size
// is 0) in the 16-bit checksum at `field`.
void csum_replace(uint8_t* field, uint32_t from, uint32_t to, int size, bool pseudo_keep_zero) {
  uint16_t c;
  std::memcpy(&c, field, 2);
  if (pseudo_keep_zero && c == 0) return;
  uint32_t sum = static_cast<uint16_t>(~c);
  if (size == 2) {
    sum = csum_add32(sum, static_cast<uint16_t>(~from));
    sum = csum_add32(sum, static_cast<uint16_t>(to));
  } else if (size == 4) {
    sum = csum_add32(sum, ~from);
    sum = csum_add32(sum, to);
  } else {
    sum = csum_add32(sum, to);
  }
  uint16_t r = csum_fold(sum);
  if (pseudo_keep_zero && r == 0) r = 0xffff;
  std::memcpy(field, &r, 2);
}

u64 csum_diff(u64 from, u64 from_size, u64 to, u64 to_size, u64 seed) {
  if ((from_size | to_size) & 3 || from_size > 512 || to_size > 512) return R(kEinval);
  uint64_t sum = static_cast<uint32_t>(seed);
  for (u64 i = 0; i < from_size; i += 4) {
    uint32_t w;
    std::memcpy(&w, static_cast<uint8_t*>(P(from)) + i, 4);
    sum += static_cast<uint32_t>(~w);
  }
  for (u64 i = 0; i < to_size; i += 4) {
    uint32_t w;
    std::memcpy(&w, static_cast<uint8_t*>(P(to)) + i, 4);
    sum += w;
  }
  while (sum >> 32) sum = (sum & 0xffffffff) + (sum >> 32);
  return sum;
}

u64 l3_csum_replace(u64 ctx, u64 offset, u64 from, u64 to, u64 flags) {
  SkbCtx* s = skb(ctx);
  if (flags & ~0xfULL) return R(kEinval);
  int size = static_cast<int>(flags & 0xf);
  if (size != 0 && size != 2 && size != 4) return R(kEinval);
  if (offset > 0xffff || offset + 2 > skb_len(s)) return R(kEfault);
  csum_replace(reinterpret_cast<uint8_t*>(s->data) + offset, static_cast<uint32_t>(from),
               static_cast<uint32_t>(to), size, false);
  return 0;
}
u64 l4_csum_replace(u64 ctx, u64 offset, u64 from, u64 to, u64 flags) {
  SkbCtx* s = skb(ctx);
  constexpr u64 kPseudo = 0x10, kMangled0 = 0x20, kMarkEnforce = 0x40;
  if (flags & ~(0xfULL | kPseudo | kMangled0 | kMarkEnforce)) return R(kEinval);
  int size = static_cast<int>(flags & 0xf);
  if (size != 0 && size != 2 && size != 4) return R(kEinval);
  if (offset > 0xffff || offset + 2 > skb_len(s)) return R(kEfault);
  csum_replace(reinterpret_cast<uint8_t*>(s->data) + offset, static_cast<uint32_t>(from),
               static_cast<uint32_t>(to), size, flags & kMangled0);
  return 0;
}
u64 csum_update(u64 ctx, u64 csum, u64, u64, u64) {
  return R(kEnotsupp);
}
u64 csum_level(u64 ctx, u64 level, u64, u64, u64) {
  if (level > 3) return R(kEinval);
  return level == 0 ? R(-13) : 0;  // QUERY on a CHECKSUM_NONE skb: -EACCES
}

// ---- skb ----
u64 skb_load_bytes(u64 ctx, u64 offset, u64 to, u64 len, u64) {
  SkbCtx* s = skb(ctx);
  if (offset > 0xffff || len == 0 || offset + len > skb_len(s)) {
    std::memset(P(to), 0, len);
    return R(kEfault);
  }
  std::memcpy(P(to), reinterpret_cast<uint8_t*>(s->data) + offset, len);
  return 0;
}
u64 skb_load_bytes_relative(u64 ctx, u64 offset, u64 to, u64 len, u64 start_header) {
  SkbCtx* s = skb(ctx);
  if (start_header > 1) {
    std::memset(P(to), 0, len);
    return R(kEfault);
  }
  u64 base = start_header == 1 ? kEthHlen : 0;  // BPF_HDR_START_NET: after the Ethernet header
  return skb_load_bytes(ctx, base + offset, to, len, 0);
  (void)s;
}
u64 skb_store_bytes(u64 ctx, u64 offset, u64 from, u64 len, u64 flags) {
  SkbCtx* s = skb(ctx);
  if (flags & ~3ULL) return R(kEinval);
  if (offset > 0xffff || offset + len > skb_len(s)) return R(kEfault);
  std::memmove(reinterpret_cast<uint8_t*>(s->data) + offset, P(from), len);
  if (flags & 2) platform::set_skb_u32(*s, off::kHash, 0);
  return 0;
}
u64 skb_pull_data(u64 ctx, u64 len, u64, u64, u64) {
  // Every bombus skb is linear: pulling succeeds whenever the bytes exist.
  return len <= skb_len(skb(ctx)) ? 0 : R(kEnomem);
}
u64 skb_change_tail(u64 ctx, u64 new_len, u64 flags, u64, u64) {
  SkbCtx* s = skb(ctx);
  if (flags) return R(kEinval);
  uint8_t* end_of_buf = s->buf + s->buf_size;
  if (new_len < kEthHlen || new_len > 0xffff ||
      reinterpret_cast<uint8_t*>(s->data) + new_len > end_of_buf)
    return R(kEinval);
  uint32_t old = skb_len(s);
  if (new_len > old) std::memset(reinterpret_cast<uint8_t*>(s->data) + old, 0, new_len - old);
  set_skb_len(s, static_cast<uint32_t>(new_len));
  return 0;
}
u64 skb_change_head(u64 ctx, u64 head_room, u64 flags, u64, u64) {
  SkbCtx* s = skb(ctx);
  if (flags || head_room > 0xffff) return R(kEinval);
  auto* data = reinterpret_cast<uint8_t*>(s->data);
  if (data - head_room < s->buf) return R(kEnomem);
  data -= head_room;
  std::memset(data, 0, head_room);
  uint32_t len = skb_len(s) + static_cast<uint32_t>(head_room);
  s->data = reinterpret_cast<u64>(data);
  s->data_meta = s->data;
  set_skb_len(s, len);
  return 0;
}
// BPF_ADJ_ROOM_NET (0): room after the L3 header; BPF_ADJ_ROOM_MAC (1): after the L2 header.
u64 skb_adjust_room(u64 ctx, u64 len_diff, u64 mode, u64 flags, u64) {
  SkbCtx* s = skb(ctx);
  auto diff = static_cast<int32_t>(len_diff);
  if (mode > 1) return R(kEnotsupp);
  if (flags & ~0x3ffULL) return R(kEinval);
  uint32_t len = skb_len(s);
  auto* d = reinterpret_cast<uint8_t*>(s->data);
  uint32_t at = kEthHlen;
  if (mode == 0) {
    if (len < kEthHlen + 20) return R(kEinval);
    uint8_t v = d[kEthHlen] >> 4;
    at += v == 4 ? (d[kEthHlen] & 0xf) * 4 : v == 6 ? 40 : 0;
    if (!at || at > len) return R(kEinval);
  }
  if (diff < 0) {
    uint32_t shrink = static_cast<uint32_t>(-diff);
    if (at + shrink > len) return R(kEinval);
    std::memmove(d + shrink, d, at);  // move headers forward over the removed bytes
    s->data += shrink;
    s->data_meta = s->data;
    set_skb_len(s, len - shrink);
  } else if (diff > 0) {
    if (d - diff < s->buf) return R(kEnomem);
    std::memmove(d - diff, d, at);
    std::memset(d - diff + at, 0, diff);
    s->data -= diff;
    s->data_meta = s->data;
    set_skb_len(s, len + diff);
  }
  return 0;
}
u64 get_cgroup_classid(u64, u64, u64, u64, u64) {
  return 0;
}
u64 get_hash_recalc(u64 ctx, u64, u64, u64, u64) {
  return platform::skb_u32(*skb(ctx), off::kHash);
}
u64 set_hash(u64 ctx, u64 hash, u64, u64, u64) {
  platform::set_skb_u32(*skb(ctx), off::kHash, static_cast<uint32_t>(hash));
  return 0;
}
u64 set_hash_invalid(u64 ctx, u64, u64, u64, u64) {
  platform::set_skb_u32(*skb(ctx), off::kHash, 0);
  return 0;
}
u64 get_socket_cookie(u64, u64, u64, u64, u64) {
  return 0;
}
u64 get_socket_uid(u64, u64, u64, u64, u64) {
  return 65534;
}  // overflowuid: no socket
u64 skb_cgroup_id(u64, u64, u64, u64, u64) {
  return 0;
}
u64 get_netns_cookie(u64, u64, u64, u64, u64) {
  return 0;
}
u64 skb_ecn_set_ce(u64, u64, u64, u64, u64) {
  return 0;
}
u64 skb_change_type(u64 ctx, u64 type, u64, u64, u64) {
  if (type > 7) return R(kEinval);
  platform::set_skb_u32(*skb(ctx), off::kPktType, static_cast<uint32_t>(type));
  return 0;
}

bool is_xdp() {
  HelperEnv* e = env();
  return !e || e->prog_type == platform::ProgType::kXdp;
}

// bpf_redirect: XDP takes no flags (XDP_ABORTED otherwise); tc keeps BPF_F_INGRESS and shoots
// the packet for any other flag. The target is recorded for the runner either way it succeeds.
u64 redirect(u64 ifindex, u64 flags, u64, u64, u64) {
  const bool xdp_prog = is_xdp();
  const u64 allowed = xdp_prog ? 0 : kRedirectFIngress;
  if (flags & ~allowed) return xdp_prog ? platform::kXdpAborted : R(platform::kTcActShot);
  if (HelperEnv* e = env(); e && e->redirect)
    *e->redirect = {RedirectRecord::Kind::kIfindex, static_cast<uint32_t>(ifindex), flags, nullptr};
  return xdp_prog ? platform::kXdpRedirect : platform::kTcActRedirect;
}

bool is_devmap(const Map& m) {
  return m.type() == platform::MapType::kDevmap || m.type() == platform::MapType::kDevmapHash;
}
uint32_t devmap_entry_ifindex(const void* value) {
  uint32_t ifindex;
  std::memcpy(&ifindex, value, 4);  // struct bpf_devmap_val: ifindex first
  return ifindex;
}

// bpf_redirect_map: the low two bits of flags are the action on a miss; devmaps also take
// BPF_F_BROADCAST (every entry; a miss does not matter) and BPF_F_EXCLUDE_INGRESS. Any other
// bit aborts. A miss clears the record, so the last redirect of a run wins, as in the kernel.
u64 redirect_map(u64 map, u64 key, u64 flags, u64, u64) {
  constexpr u64 kActionMask = 3;
  auto* m = reinterpret_cast<Map*>(map);
  const bool devmap = is_devmap(*m);
  const u64 allowed = kActionMask | (devmap ? kRedirectFBroadcast | kRedirectFExcludeIngress : 0);
  if (flags & ~allowed) return platform::kXdpAborted;
  HelperEnv* e = env();
  auto k = static_cast<uint32_t>(key);
  const void* v = m->lookup(&k);
  RedirectRecord r;
  if (devmap && v && devmap_entry_ifindex(v) != 0) {
    r = {RedirectRecord::Kind::kIfindex, devmap_entry_ifindex(v), 0, m};
  } else if (!devmap && v) {
    const bool cpumap = m->type() == platform::MapType::kCpumap;
    r = {cpumap ? RedirectRecord::Kind::kCpu : RedirectRecord::Kind::kXsk, k, 0, m};
  }
  if (devmap && (flags & kRedirectFBroadcast))
    r = {RedirectRecord::Kind::kBroadcast, 0, flags & kRedirectFExcludeIngress, m};
  if (e && e->redirect) *e->redirect = r;
  return r.kind == RedirectRecord::Kind::kNone ? flags & kActionMask : platform::kXdpRedirect;
}

// ---- xdp ----
u64 xdp_adjust_head(u64 ctx, u64 delta, u64, u64, u64) {
  XdpCtx* x = xdp(ctx);
  auto d = static_cast<int32_t>(delta);
  uint64_t metalen = x->data - x->data_meta;
  uint64_t data = x->data + d;
  uint64_t frame_end = reinterpret_cast<uint64_t>(x->frame) + kXdpFrameSize;
  if (data < frame_end + metalen || data > x->data_end - kEthHlen) return R(kEinval);
  if (metalen) std::memmove(reinterpret_cast<uint8_t*>(x->data_meta + d), P(x->data_meta), metalen);
  x->data_meta += d;
  x->data = data;
  return 0;
}
u64 xdp_adjust_tail(u64 ctx, u64 offset, u64, u64, u64) {
  XdpCtx* x = xdp(ctx);
  auto d = static_cast<int32_t>(offset);
  uint64_t end = x->data_end + d;
  uint64_t max_end = reinterpret_cast<uint64_t>(x->frame) + x->frame_size - kSkbSharedInfo;
  if (end > max_end || end < x->data + kEthHlen) return R(kEinval);
  if (d > 0) std::memset(P(x->data_end), 0, d);
  x->data_end = end;
  return 0;
}
u64 xdp_adjust_meta(u64 ctx, u64 offset, u64, u64, u64) {
  XdpCtx* x = xdp(ctx);
  auto d = static_cast<int32_t>(offset);
  uint64_t meta = x->data_meta + d;
  uint64_t frame_end = reinterpret_cast<uint64_t>(x->frame) + kXdpFrameSize;
  if (meta < frame_end || meta > x->data) return R(kEinval);
  uint64_t metalen = x->data - meta;
  if (metalen & 3 || metalen > 32) return R(-13);  // EACCES
  x->data_meta = meta;
  return 0;
}
u64 xdp_get_buff_len(u64 ctx, u64, u64, u64, u64) {
  return xdp(ctx)->data_end - xdp(ctx)->data;
}
u64 xdp_load_bytes(u64 ctx, u64 offset, u64 buf, u64 len, u64) {
  XdpCtx* x = xdp(ctx);
  if (offset > 0xffffffffULL || len == 0 || offset + len > x->data_end - x->data) return R(kEinval);
  std::memcpy(P(buf), P(x->data + offset), len);
  return 0;
}
u64 xdp_store_bytes(u64 ctx, u64 offset, u64 buf, u64 len, u64) {
  XdpCtx* x = xdp(ctx);
  if (offset > 0xffffffffULL || len == 0 || offset + len > x->data_end - x->data) return R(kEinval);
  std::memmove(P(x->data + offset), P(buf), len);
  return 0;
}

// bpf_check_mtu: BPF_MTU_CHK_RET_SUCCESS (0) or BPF_MTU_CHK_RET_FRAG_NEEDED (2); *mtu_len gets
// the MTU. XDP and skb differ only in where the length comes from.
u64 check_mtu(u64 ctx, u64 ifindex, u64 mtu_len, u64 len_diff, u64 flags) {
  if (flags & ~1ULL) return R(kEinval);
  HelperEnv* e = env();
  uint32_t mtu = e ? e->mtu : 1500;
  auto* io = static_cast<uint32_t*>(P(mtu_len));
  int64_t len;
  if (*io) {
    len = *io;
  } else if (is_xdp()) {
    len = static_cast<int64_t>(xdp(ctx)->data_end - xdp(ctx)->data) - kEthHlen;
  } else {
    len = static_cast<int64_t>(skb_len(skb(ctx))) - kEthHlen;
  }
  len += static_cast<int32_t>(len_diff);
  if (len < 0) return R(kEinval);
  *io = mtu;
  return len > mtu ? 2 : 0;
}

}  // namespace

void add_net(Table& t) {
  t[9] = skb_store_bytes;
  t[10] = l3_csum_replace;
  t[11] = l4_csum_replace;
  t[17] = get_cgroup_classid;
  t[23] = redirect;
  t[26] = skb_load_bytes;
  t[28] = csum_diff;
  t[32] = skb_change_type;
  t[34] = get_hash_recalc;
  t[38] = skb_change_tail;
  t[39] = skb_pull_data;
  t[40] = csum_update;
  t[41] = set_hash_invalid;
  t[43] = skb_change_head;
  t[44] = xdp_adjust_head;
  t[46] = get_socket_cookie;
  t[47] = get_socket_uid;
  t[48] = set_hash;
  t[50] = skb_adjust_room;
  t[51] = redirect_map;
  t[54] = xdp_adjust_meta;
  t[65] = xdp_adjust_tail;
  t[68] = skb_load_bytes_relative;
  t[79] = skb_cgroup_id;
  t[97] = skb_ecn_set_ce;
  t[122] = get_netns_cookie;
  t[135] = csum_level;
  t[163] = check_mtu;
  t[188] = xdp_get_buff_len;
  t[189] = xdp_load_bytes;
  t[190] = xdp_store_bytes;
}

}  // namespace bombus::vm::helper_impl

namespace bombus::vm {

void devmap_ifindexes(Map& map, uint32_t exclude, std::vector<uint32_t>& out) {
  map.for_each([&](const void*, void* value) -> long {
    const uint32_t ifindex = helper_impl::devmap_entry_ifindex(value);
    if (ifindex != 0 && ifindex != exclude) out.push_back(ifindex);
    return 0;
  });
}

}  // namespace bombus::vm
