// Socket helpers at run time: bpf_sk_fullsock, bpf_tcp_sock, bpf_get_listener_sock,
// bpf_sk_release and the socket lookups. A test run gives skb->sk a synthetic socket
// (platform::SynthSock, uapi struct bpf_sock first) and names it with SockScope for as long as
// the run lasts, so bpf_tcp_sock can find its struct bpf_tcp_sock; engines read both structs
// directly (uapi layout, no load rewriting).
#pragma once

#include "platform/sock_fields.h"

namespace bombus::vm {

// While alive, `s` is the current thread's socket (the helpers recognise pointers to its
// bpf_sock and bpf_tcp_sock). Nests.
class SockScope {
 public:
  explicit SockScope(platform::SynthSock* s);
  ~SockScope();
  SockScope(const SockScope&) = delete;
  SockScope& operator=(const SockScope&) = delete;

 private:
  platform::SynthSock* prev_;
};

}  // namespace bombus::vm
