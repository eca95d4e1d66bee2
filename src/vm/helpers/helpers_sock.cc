// Socket helpers (helpers_sock.h). bombus has no socket table: lookups find nothing (NULL, so
// no reference is taken) and release has nothing to drop. The casts follow the kernel on the
// socket a test run attaches: it is a full socket (not TIME_WAIT / NEW_SYN_RECV), bpf_tcp_sock
// gives its struct bpf_tcp_sock only for a TCP stream socket, and it is a listener only in
// TCP_LISTEN.
#include "vm/helpers/helpers_sock.h"

#include "vm/helpers/helpers.h"

namespace bombus::vm {

namespace {

using u64 = uint64_t;

thread_local platform::SynthSock* g_sock = nullptr;

constexpr uint32_t kTcpTimeWait = 6, kTcpListen = 10, kTcpNewSynRecv = 12;

// The synthetic socket `p` points into (its bpf_sock or its bpf_tcp_sock), or null.
platform::SynthSock* owner(u64 p) {
  platform::SynthSock* s = g_sock;
  if (!s || !p) return nullptr;
  if (p == reinterpret_cast<u64>(&s->sk) || p == reinterpret_cast<u64>(&s->tcp)) return s;
  return nullptr;
}

u64 sk_fullsock(u64 sk, u64, u64, u64, u64) {
  const platform::SynthSock* s = owner(sk);
  if (!s) return 0;
  if (s->sk.state == kTcpTimeWait || s->sk.state == kTcpNewSynRecv) return 0;
  return reinterpret_cast<u64>(&s->sk);
}

u64 tcp_sock(u64 sk, u64, u64, u64, u64) {
  platform::SynthSock* s = owner(sk);
  return s && s->is_tcp() ? reinterpret_cast<u64>(&s->tcp) : 0;
}

u64 get_listener_sock(u64 sk, u64, u64, u64, u64) {
  platform::SynthSock* s = owner(sk);
  return s && s->sk.state == kTcpListen && s->is_tcp() ? reinterpret_cast<u64>(&s->sk) : 0;
}

u64 sk_release(u64, u64, u64, u64, u64) {
  return 0;
}

u64 sk_lookup(u64, u64, u64, u64, u64) {
  return 0;  // no socket table: nothing found
}

}  // namespace

SockScope::SockScope(platform::SynthSock* s) : prev_(g_sock) {
  g_sock = s;
}
SockScope::~SockScope() {
  g_sock = prev_;
}

void helper_impl::add_sock(Table& t) {
  t[84] = sk_lookup;  // sk_lookup_tcp
  t[85] = sk_lookup;  // sk_lookup_udp
  t[86] = sk_release;
  t[95] = sk_fullsock;
  t[96] = tcp_sock;
  t[98] = get_listener_sock;
  t[99] = sk_lookup;  // skc_lookup_tcp
}

}  // namespace bombus::vm
