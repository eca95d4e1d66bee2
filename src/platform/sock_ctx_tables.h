// Context field tables and helper lists of the cgroup and socket-level program types whose
// context is a uapi struct other than __sk_buff: cgroup_sock_addr (struct bpf_sock_addr), sk_msg
// (struct sk_msg_md), sock_ops (struct bpf_sock_ops), cgroup_sockopt (struct bpf_sockopt) and
// cgroup_sysctl (struct bpf_sysctl) and sk_reuseport (struct sk_reuseport_md), plus the
// attach-type masks cgroup_sock's struct bpf_sock needs. Internal to program_types.cc.
//
// Every rule here was measured on the kernel the selftests are scored against (6.18): a
// one-access program per aligned 1/2/4/8-byte read and write of the struct, per attach type
// (PlatformSockTypes.CtxAccessMatchesTheKernel re-checks it). bombus's real context is the uapi
// image itself (the 8-byte __bpf_md_ptr slots hold host pointers), so no access is rewritten.
#pragma once

#include <array>
#include <cstdint>

#include "platform/program_types.h"

namespace bombus::platform::sock_tables {

using A = AttachType;
using K = FieldKind;

// Attach-type sets.
inline constexpr uint64_t kAddr4 =
    attach_bit(A::kCgroupInet4Bind) | attach_bit(A::kCgroupInet4Connect) |
    attach_bit(A::kCgroupUdp4Sendmsg) | attach_bit(A::kCgroupUdp4Recvmsg) |
    attach_bit(A::kCgroupInet4Getpeername) | attach_bit(A::kCgroupInet4Getsockname);
inline constexpr uint64_t kAddr6 =
    attach_bit(A::kCgroupInet6Bind) | attach_bit(A::kCgroupInet6Connect) |
    attach_bit(A::kCgroupUdp6Sendmsg) | attach_bit(A::kCgroupUdp6Recvmsg) |
    attach_bit(A::kCgroupInet6Getpeername) | attach_bit(A::kCgroupInet6Getsockname);
inline constexpr uint64_t kSockAddrAll = kAddr4 | kAddr6;
inline constexpr uint64_t kSockCreate =
    attach_bit(A::kCgroupInetSockCreate) | attach_bit(A::kCgroupInetSockRelease);
inline constexpr uint64_t kPostBind4 = attach_bit(A::kCgroupInet4PostBind);
inline constexpr uint64_t kPostBind6 = attach_bit(A::kCgroupInet6PostBind);
inline constexpr uint64_t kSockoptGet = attach_bit(A::kCgroupGetsockopt);
inline constexpr uint64_t kSockoptSet = attach_bit(A::kCgroupSetsockopt);

// A field at the same offset and size in the uapi struct and in bombus's context.
constexpr CtxField field(std::string_view n, uint32_t off, uint32_t size, bool write = false,
                         bool narrow = false, uint64_t mask = 0, K kind = K::kScalar) {
  return CtxField{n, off, size, off, size, true, write, kind, narrow, false, mask};
}
// A 4-byte address/port word: 1/2/4-byte reads, whole-word writes.
constexpr CtxField addr_word(std::string_view n, uint32_t off, uint64_t mask, bool write = true) {
  return field(n, off, 4, write, true, mask);
}

inline constexpr uint32_t kBpfSockAddrSize = 72;
inline constexpr CtxField kSockAddrFields[] = {
    field("user_family", 0, 4),
    addr_word("user_ip4", 4, kAddr4),
    // user_ip6[4]: words, and the two aligned u64 halves (read and write).
    field("user_ip6", 8, 8, true, false, kAddr6),
    field("user_ip6", 16, 8, true, false, kAddr6),
    addr_word("user_ip6", 8, kAddr6),
    addr_word("user_ip6", 12, kAddr6),
    addr_word("user_ip6", 16, kAddr6),
    addr_word("user_ip6", 20, kAddr6),
    addr_word("user_port", 24, 0),
    field("family", 28, 4),
    field("type", 32, 4),
    field("protocol", 36, 4),
    addr_word("msg_src_ip4", 40, attach_bit(A::kCgroupUdp4Sendmsg)),
    field("msg_src_ip6", 48, 8, true, false, attach_bit(A::kCgroupUdp6Sendmsg)),
    addr_word("msg_src_ip6", 44, attach_bit(A::kCgroupUdp6Sendmsg)),
    addr_word("msg_src_ip6", 48, attach_bit(A::kCgroupUdp6Sendmsg)),
    addr_word("msg_src_ip6", 52, attach_bit(A::kCgroupUdp6Sendmsg)),
    addr_word("msg_src_ip6", 56, attach_bit(A::kCgroupUdp6Sendmsg)),
    field("sk", 64, 8, false, false, 0, K::kSocket),
};

// sk_msg_md: packet pointers, then 4-byte-only socket words, then the socket.
inline constexpr uint32_t kSkMsgMdSize = 80;
inline constexpr CtxField kSkMsgFields[] = {
    field("data", 0, 8, false, false, 0, K::kPktData),
    field("data_end", 8, 8, false, false, 0, K::kPktEnd),
    field("family", 16, 4),
    field("remote_ip4", 20, 4),
    field("local_ip4", 24, 4),
    field("remote_ip6", 28, 4),
    field("remote_ip6", 32, 4),
    field("remote_ip6", 36, 4),
    field("remote_ip6", 40, 4),
    field("local_ip6", 44, 4),
    field("local_ip6", 48, 4),
    field("local_ip6", 52, 4),
    field("local_ip6", 56, 4),
    field("remote_port", 60, 4),
    field("local_port", 64, 4),
    field("size", 68, 4),
    field("sk", 72, 8, false, false, 0, K::kSocket),
};

// bpf_sock_ops: op, reply/args, 36 u32 socket/TCP words (only reply and sk_txhash writable),
// two u64 counters, the socket (or NULL), the TCP header bytes, skb_len, skb_tcp_flags
// (1/2-byte loads at its start only) and skb_hwtstamp.
inline constexpr uint32_t kSockOpsSize = 224;
inline constexpr uint32_t kSockOpsWords = 41;  // u32 words at 0..160, plus sk_txhash at 164
constexpr auto sock_ops_fields() {
  std::array<CtxField, kSockOpsWords + 11> out{};
  for (uint32_t i = 0; i < kSockOpsWords; ++i) out[i] = field("sock_ops word", 4 * i, 4);
  out[0].name = "op";
  out[1] = field("reply", 4, 4, true);
  size_t n = kSockOpsWords;
  out[n++] = field("sk_txhash", 164, 4, true);
  out[n++] = field("bytes_received", 168, 8);
  out[n++] = field("bytes_acked", 176, 8);
  out[n++] = field("sk", 184, 8, false, false, 0, K::kSocketOrNull);
  out[n++] = field("skb_data", 192, 8, false, false, 0, K::kPktData);
  out[n++] = field("skb_data_end", 200, 8, false, false, 0, K::kPktEnd);
  out[n++] = field("skb_len", 208, 4);
  out[n++] = field("skb_tcp_flags", 212, 4);
  out[n++] = field("skb_tcp_flags", 212, 2);
  out[n++] = field("skb_tcp_flags", 212, 1);
  out[n++] = field("skb_hwtstamp", 216, 8);
  return out;
}
inline constexpr auto kSockOpsFields = sock_ops_fields();

// bpf_sockopt: level/optname writable by setsockopt, retval visible to getsockopt only.
inline constexpr uint32_t kBpfSockoptSize = 40;
inline constexpr CtxField kSockoptFields[] = {
    field("sk", 0, 8, false, false, 0, K::kSocket),
    field("optval", 8, 8, false, false, 0, K::kPktData),
    field("optval_end", 16, 8, false, false, 0, K::kPktEnd),
    field("level", 24, 4, false, false, kSockoptGet),
    field("level", 24, 4, true, false, kSockoptSet),
    field("optname", 28, 4, false, false, kSockoptGet),
    field("optname", 28, 4, true, false, kSockoptSet),
    field("optlen", 32, 4, true),
    field("retval", 36, 4, true, false, kSockoptGet),
};

// bpf_sysctl: write (read-only) and file_pos (whole-u32 writes), narrow loads allowed.
inline constexpr uint32_t kBpfSysctlSize = 8;
inline constexpr CtxField kSysctlFields[] = {
    field("write", 0, 4, false, true),
    field("file_pos", 4, 4, true, true),
};

// sk_reuseport_md: read-only packet, narrow loads of len/ip_protocol/bind_inany, eth_protocol
// as a u32 or either u16 half, hash whole, the listening socket and the migrating one (or NULL).
inline constexpr uint32_t kSkReuseportMdSize = 56;
inline constexpr CtxField kSkReuseportFields[] = {
    field("data", 0, 8, false, false, 0, K::kPktData),
    field("data_end", 8, 8, false, false, 0, K::kPktEnd),
    field("len", 16, 4, false, true),
    field("eth_protocol", 20, 4),
    field("eth_protocol", 20, 2),
    field("eth_protocol", 22, 2),
    field("ip_protocol", 24, 4, false, true),
    field("bind_inany", 28, 4, false, true),
    field("hash", 32, 4),
    field("sk", 40, 8, false, false, 0, K::kSocket),
    field("migrating_sk", 48, 8, false, false, 0, K::kSockCommonOrNull),
};

// Helper lists beyond the base set (program_types.cc), sorted.
// cgroup_sock_addr (sock_addr_func_proto); bind (64) for connect4/6 only, get/set_retval
// (186/187) not for recvmsg/getpeername/getsockname (helper_allowed applies both).
inline constexpr int32_t kSockAddrHelpers[] = {46,  49,  57,  81,  84,  85,  86,
                                               99,  107, 108, 122, 136, 137, 138,
                                               139, 140, 160, 178, 186, 187, 196};
// sk_msg (sk_msg_func_proto): msg_redirect/apply/cork/pull/push/pop, sock_hash_update, ...
inline constexpr int32_t kSkMsgHelpers[] = {60,  61,  62,  63,  71,  90,  91,  107, 108,
                                            122, 136, 137, 138, 139, 140, 160, 178, 196};
// sock_ops (sock_ops_func_proto): setsockopt/getsockopt, cb_flags_set, header options, ...
inline constexpr int32_t kSockOpsHelpers[] = {46,  49,  53,  57,  59,  70,  81,  96,
                                              107, 108, 122, 136, 137, 138, 139, 140,
                                              142, 143, 144, 160, 178, 196};
// cgroup_sockopt (cg_sockopt_func_proto); setsockopt/getsockopt (49/57) only when attached
// to setsockopt.
inline constexpr int32_t kSockoptHelpers[] = {49, 57, 81, 96, 107, 108, 122, 186, 187};
// cgroup_sysctl (sysctl_func_proto): the sysctl name/value helpers, storage, retval.
inline constexpr int32_t kSysctlHelpers[] = {81, 101, 102, 103, 104, 160, 186, 187};
// sk_reuseport (sk_reuseport_func_proto): select_reuseport, skb loads, socket cookie; no
// perf_event_output (25) although every other type here has it.
inline constexpr int32_t kSkReuseportHelpers[] = {26, 46, 68, 82, 160};

}  // namespace bombus::platform::sock_tables
