// Socket objects as programs see them: the uapi structs struct bpf_sock, struct bpf_tcp_sock and
// struct bpf_xdp_sock, their field tables with the kernel's access rules (which fields a
// sock_common pointer may read versus a full socket, narrow loads, the backward-compatible
// dst_port word/half/byte rules, loads only), and the synthetic socket a test run attaches to an
// skb (the kernel's BPF_PROG_TEST_RUN gives skb->sk a fake socket: family and addresses from the
// packet's IP header, state TCP_CLOSE, no TCP). bombus keeps these objects in uapi layout, so a
// load through a socket pointer needs no rewrite: the verifier checks it, the engines read the
// struct directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace bombus::platform {

// The kernel's socket pointer kinds: PTR_TO_SOCK_COMMON, PTR_TO_SOCKET, PTR_TO_TCP_SOCK,
// PTR_TO_XDP_SOCK.
enum class SockObj : uint8_t { kSockCommon, kSock, kTcpSock, kXdpSock };

// The kernel's spelling in logs ("sock_common", "sock", "tcp_sock", "xdp_sock").
std::string_view sock_obj_name(SockObj o);

// struct bpf_sock (uapi/linux/bpf.h).
struct BpfSock {
  uint32_t bound_dev_if = 0;
  uint32_t family = 0;
  uint32_t type = 0;
  uint32_t protocol = 0;
  uint32_t mark = 0;
  uint32_t priority = 0;
  uint32_t src_ip4 = 0;  // network byte order
  uint32_t src_ip6[4] = {};
  uint32_t src_port = 0;  // host byte order
  uint16_t dst_port = 0;  // network byte order
  uint16_t pad = 0;
  uint32_t dst_ip4 = 0;
  uint32_t dst_ip6[4] = {};
  uint32_t state = 0;
  int32_t rx_queue_mapping = -1;
};
static_assert(sizeof(BpfSock) == 80 && offsetof(BpfSock, dst_port) == 48 &&
              offsetof(BpfSock, state) == 72);

// struct bpf_tcp_sock.
struct BpfTcpSock {
  uint32_t snd_cwnd = 0, srtt_us = 0, rtt_min = 0, snd_ssthresh = 0, rcv_nxt = 0, snd_nxt = 0,
           snd_una = 0, mss_cache = 0, ecn_flags = 0, rate_delivered = 0, rate_interval_us = 0,
           packets_out = 0, retrans_out = 0, total_retrans = 0, segs_in = 0, data_segs_in = 0,
           segs_out = 0, data_segs_out = 0, lost_out = 0, sacked_out = 0;
  uint64_t bytes_received = 0, bytes_acked = 0;
  uint32_t dsack_dups = 0, delivered = 0, delivered_ce = 0, icsk_retransmits = 0;
};
static_assert(sizeof(BpfTcpSock) == 112 && offsetof(BpfTcpSock, bytes_acked) == 88);

inline constexpr uint32_t kBpfSockSize = sizeof(BpfSock);
inline constexpr uint32_t kBpfTcpSockSize = sizeof(BpfTcpSock);
inline constexpr uint32_t kBpfXdpSockSize = 4;  // struct bpf_xdp_sock { __u32 queue_id; }

// How a field may be read (the kernel's bpf_sock_is_valid_access and friends).
enum class SockRule : uint8_t {
  kWord,         // only a full 4-byte load at the field's start
  kNarrowStart,  // 1, 2 or 4 bytes at the field's start
  kNarrowAny,    // 1, 2 or 4 bytes anywhere inside (aligned to the load size): addresses
  kDstPort,      // 4 bytes at its start (backward compatible), 2 at its start, 1 in its 2 bytes
  kDword,        // only a full 8-byte load
};

struct SockField {
  std::string_view name;
  uint32_t off = 0, size = 0;  // size: bytes the rule covers (dst_port: 2)
  SockRule rule = SockRule::kWord;
  bool fullsock_only = false;  // not readable through a sock_common pointer
};

std::span<const SockField> sock_fields(SockObj o);

// May a program load `size` bytes at `off` of the object? Writes are never allowed (the caller
// reports them as "cannot write into sock"). Returns the field, or nullptr when the kernel
// refuses ("invalid sock access").
const SockField* check_sock_access(SockObj o, int64_t off, uint32_t size);

// What a test run's skb->sk points at: the socket in uapi layout, and the struct bpf_tcp_sock
// bpf_tcp_sock() would return for it (never, for the test-run socket, which is not TCP).
struct SynthSock {
  BpfSock sk;
  BpfTcpSock tcp;
  uint64_t cookie = 0;  // bpf_get_socket_cookie's, given on first use
  bool is_tcp() const { return sk.protocol == 6 && sk.type == 1; }  // IPPROTO_TCP, SOCK_STREAM
};

// The kernel's test-run socket for a frame starting with an Ethernet header: family AF_INET or
// AF_INET6 (with src/dst addresses from the IP header when it is complete) from the ethertype,
// AF_UNSPEC otherwise; state TCP_CLOSE, rx_queue_mapping -1, everything else zero.
void init_test_run_sock(SynthSock& s, std::span<const uint8_t> frame);

}  // namespace bombus::platform
