// Socket field tables and the test-run socket (sock_fields.h). The tables follow the kernel's
// bpf_sock_common_is_valid_access / bpf_sock_is_valid_access / bpf_tcp_sock_is_valid_access /
// bpf_xdp_sock_is_valid_access; SockFields.AccessMatchesTheKernel checks every aligned 1/2/4/8-
// byte load against the running kernel.
#include "platform/sock_fields.h"

#include <cstring>

namespace bombus::platform {

namespace {

using R = SockRule;

constexpr SockField kSockFields[] = {
    {"bound_dev_if", 0, 4, R::kWord, false},
    {"family", 4, 4, R::kNarrowStart, false},
    {"type", 8, 4, R::kNarrowStart, true},
    {"protocol", 12, 4, R::kNarrowStart, true},
    {"mark", 16, 4, R::kWord, true},
    {"priority", 20, 4, R::kWord, true},
    {"src_ip4", 24, 4, R::kNarrowAny, false},
    {"src_ip6", 28, 16, R::kNarrowAny, false},
    {"src_port", 44, 4, R::kNarrowStart, false},
    {"dst_port", 48, 2, R::kDstPort, false},
    {"dst_ip4", 52, 4, R::kNarrowAny, false},
    {"dst_ip6", 56, 16, R::kNarrowAny, false},
    {"state", 72, 4, R::kNarrowStart, false},
    {"rx_queue_mapping", 76, 4, R::kNarrowStart, false},
};

// Every field is a u32 read whole except the two u64 byte counters. The kernel's verifier lets
// a u32 load reach the upper half of those two, then fails converting it ("verifier bug: error
// during ctx access conversion"), so the program does not load: they are not listed.
constexpr SockField kTcpSockFields[] = {
    {"snd_cwnd", 0, 4},
    {"srtt_us", 4, 4},
    {"rtt_min", 8, 4},
    {"snd_ssthresh", 12, 4},
    {"rcv_nxt", 16, 4},
    {"snd_nxt", 20, 4},
    {"snd_una", 24, 4},
    {"mss_cache", 28, 4},
    {"ecn_flags", 32, 4},
    {"rate_delivered", 36, 4},
    {"rate_interval_us", 40, 4},
    {"packets_out", 44, 4},
    {"retrans_out", 48, 4},
    {"total_retrans", 52, 4},
    {"segs_in", 56, 4},
    {"data_segs_in", 60, 4},
    {"segs_out", 64, 4},
    {"data_segs_out", 68, 4},
    {"lost_out", 72, 4},
    {"sacked_out", 76, 4},
    {"bytes_received", 80, 8, R::kDword},
    {"bytes_acked", 88, 8, R::kDword},
    {"dsack_dups", 96, 4},
    {"delivered", 100, 4},
    {"delivered_ce", 104, 4},
    {"icsk_retransmits", 108, 4},
};

constexpr SockField kXdpSockFields[] = {{"queue_id", 0, 4}};

bool rule_allows(const SockField& f, int64_t off, uint32_t size) {
  const bool narrow = size == 1 || size == 2 || size == 4;
  const int64_t at = off - f.off;
  switch (f.rule) {
    case R::kWord:
      return at == 0 && size == 4;
    case R::kNarrowStart:
      return at == 0 && narrow;
    case R::kNarrowAny:
      return narrow;
    case R::kDstPort:
      return (at == 0 && (size == 4 || size == 2)) || size == 1;
    case R::kDword:
      return at == 0 && size == 8;
  }
  return false;
}

}  // namespace

std::string_view sock_obj_name(SockObj o) {
  switch (o) {
    case SockObj::kSockCommon:
      return "sock_common";
    case SockObj::kSock:
      return "sock";
    case SockObj::kTcpSock:
      return "tcp_sock";
    case SockObj::kXdpSock:
      return "xdp_sock";
  }
  return "sock";
}

std::span<const SockField> sock_fields(SockObj o) {
  switch (o) {
    case SockObj::kSockCommon:
    case SockObj::kSock:
      return kSockFields;
    case SockObj::kTcpSock:
      return kTcpSockFields;
    case SockObj::kXdpSock:
      return kXdpSockFields;
  }
  return {};
}

const SockField* check_sock_access(SockObj o, int64_t off, uint32_t size) {
  if (off < 0 || size == 0 || off % size != 0) return nullptr;
  for (const SockField& f : sock_fields(o)) {
    if (off < f.off || off >= f.off + f.size) continue;
    if (f.fullsock_only && o == SockObj::kSockCommon) return nullptr;
    return rule_allows(f, off, size) ? &f : nullptr;
  }
  return nullptr;
}

void init_test_run_sock(SynthSock& s, std::span<const uint8_t> frame) {
  s = SynthSock{};
  s.sk.state = 7;  // TCP_CLOSE, as sock_init_data leaves it
  if (frame.size() < 14) return;
  const uint16_t ethertype = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
  const uint8_t* ip = frame.data() + 14;
  const size_t ip_len = frame.size() - 14;
  if (ethertype == 0x0800) {
    s.sk.family = 2;  // AF_INET
    if (ip_len >= 20) {
      std::memcpy(&s.sk.src_ip4, ip + 12, 4);
      std::memcpy(&s.sk.dst_ip4, ip + 16, 4);
    }
  } else if (ethertype == 0x86dd) {
    s.sk.family = 10;  // AF_INET6
    if (ip_len >= 40) {
      std::memcpy(s.sk.src_ip6, ip + 8, 16);
      std::memcpy(s.sk.dst_ip6, ip + 24, 16);
    }
  }
}

}  // namespace bombus::platform
