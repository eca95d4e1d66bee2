// Socket helpers (helpers_sock.h). bombus has no socket table: lookups find nothing (NULL, so
// no reference is taken) and release has nothing to drop. The casts follow the kernel on the
// socket a test run attaches: it is a full socket (not TIME_WAIT / NEW_SYN_RECV), bpf_tcp_sock
// gives its struct bpf_tcp_sock only for a TCP stream socket, and it is a listener only in
// TCP_LISTEN.
#include "vm/helpers/helpers_sock.h"

#include <atomic>

#include "platform/ctx_structs.h"
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

// The test-run socket of an skb program's ctx, or null (other program types, live packets).
platform::SynthSock* ctx_sock(u64 ctx) {
  const HelperEnv* e = helper_impl::env();
  if (!ctx || !e) return nullptr;
  switch (e->prog_type) {
    case platform::ProgType::kSchedCls:
    case platform::ProgType::kSchedAct:
    case platform::ProgType::kSocketFilter:
    case platform::ProgType::kCgroupSkb:
    case platform::ProgType::kLwtIn:
    case platform::ProgType::kLwtOut:
    case platform::ProgType::kLwtXmit:
    case platform::ProgType::kSkSkb:
      return owner(reinterpret_cast<const platform::SkbCtx*>(ctx)->sk);
    default:
      return nullptr;
  }
}

// bpf_get_socket_cookie(skb): the socket's cookie, given on first use from a process-wide
// counter (the kernel's sock_gen_cookie); 0 without a socket.
u64 get_socket_cookie(u64 ctx, u64, u64, u64, u64) {
  static std::atomic<uint64_t> next{0};
  platform::SynthSock* s = ctx_sock(ctx);
  if (!s) return 0;
  if (!s->cookie) s->cookie = ++next;
  return s->cookie;
}

// bpf_get_socket_uid(skb): a socket with no struct socket behind it (the test-run one) has uid
// 0 in the kernel; without a socket, overflowuid.
u64 get_socket_uid(u64 ctx, u64, u64, u64, u64) {
  return ctx_sock(ctx) ? 0 : 65534;
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
  t[46] = get_socket_cookie;
  t[47] = get_socket_uid;
}

}  // namespace bombus::vm
