// Socket pointers in the verifier: the kernel's PTR_TO_SOCK_COMMON / SOCKET / TCP_SOCK / XDP_SOCK
// (kBtfId registers with Reg::sock set). Where they come from (skb->sk, bpf_sk_fullsock,
// bpf_tcp_sock, lookups, sockmap values), how their fields are read (platform/sock_fields.h
// tables, loads only), and the kernel's "jeq/jne infer not null" for pointer comparisons.
// check_mem.cc, check_call.cc and engine_flow.cc call in here through small hooks.
#pragma once

#include "platform/helper_protos.h"
#include "platform/program_types.h"
#include "verifier/state.h"
#include "verifier/verifier.h"

namespace bombus::verifier {

class Engine;

// A load (or refused store) of `size` bytes at insn offset `off` through socket pointer `regno`.
// Loads give an unknown scalar of `size` bytes (sign-extended for LDXSX) in `value_reg`.
bool check_sock_access(Engine& e, int regno, int off, int size, bool write, int value_reg,
                       bool sign_ext);

// The socket kind a helper's return type gives (kNone: not a socket).
SockKind sock_kind_of_ret(platform::RetType t);

// A ctx field holding a socket pointer (FieldKind::kSockCommonOrNull / kSocketOrNull): the register
// it loads, with a fresh null-check id from `new_id` when it may be NULL. Type kNotInit when the
// field kind is no socket.
Reg sock_ctx_pointer(platform::FieldKind k, uint32_t new_id);

// `dst == src` compared two pointers and `eq` is the state where they are equal: when exactly
// one of them may be NULL (and neither is a plain BTF-typed pointer), it is not NULL there (the
// kernel marks that register alone).
void infer_not_null_on_eq(State& eq, int dst, int src, const std::vector<MapInfo>& maps);

// A map value found non-NULL: an XSKMAP's is a struct bpf_xdp_sock (PTR_TO_XDP_SOCK, the
// kernel's mark_ptr_or_null_reg); other maps' values are left alone.
void xsk_value_to_sock(Reg& r, const MapInfo& m);

}  // namespace bombus::verifier
