// Socket pointers (check_sock.h): field loads by the platform's socket tables, the kinds helpers
// and ctx fields return, and null inference from pointer equality.
#include "verifier/check_sock.h"

#include <cstdio>
#include <string>

#include "platform/sock_fields.h"
#include "verifier/engine.h"

namespace bombus::verifier {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

platform::SockObj obj_of(SockKind k) {
  return static_cast<platform::SockObj>(static_cast<int>(k) - 1);
}

}  // namespace

bool check_sock_access(Engine& e, int regno, int off, int size, bool write, int value_reg,
                       bool sign_ext) {
  const Reg ptr = e.reg(regno);
  const char* name = reg_type_name(ptr);
  if (write)
    return e.fail(fmt("R%d cannot write into %s", regno, name),
                  "socket fields are read-only; use a helper (bpf_setsockopt, ...) to change "
                  "the socket");
  if (ptr.var.smin < 0)
    return e.fail(
        fmt("R%d min value is negative, either use unsigned index or 'var &= const'", regno));
  // Socket pointers take no arithmetic, so the access is at the insn offset; the kernel checks
  // alignment strictly before the field rules.
  const int64_t at = static_cast<int64_t>(ptr.off) + off +
                     static_cast<int64_t>(ptr.var.is_const() ? ptr.var.const_value() : 0);
  if (!ptr.var.is_const() || at % size != 0)
    return e.fail(fmt("misaligned %s access off %s+%d+%d size %d", name, ptr.var.var.str().c_str(),
                      ptr.off, off, size));
  if (!platform::check_sock_access(obj_of(ptr.sock), at, static_cast<uint32_t>(size)))
    return e.fail(fmt("R%d invalid %s access off=%d size=%d", regno, name, off, size),
                  ptr.sock == SockKind::kSockCommon
                      ? "this field needs a full socket: call bpf_sk_fullsock() and check the "
                        "result against NULL"
                      : "no field of that size at that offset (see struct bpf_sock / "
                        "bpf_tcp_sock in linux/bpf.h)");
  if (value_reg >= 0) {
    Reg v = Reg::scalar(Scalar::unknown_bytes(size));
    if (sign_ext && size < 8) v.var.sext(size * 8);
    e.reg(value_reg) = v;
  }
  return true;
}

SockKind sock_kind_of_ret(platform::RetType t) {
  switch (t) {
    case platform::RetType::kPtrToSocketOrNull:
      return SockKind::kSock;
    case platform::RetType::kPtrToTcpSockOrNull:
      return SockKind::kTcpSock;
    case platform::RetType::kPtrToSockCommonOrNull:
      return SockKind::kSockCommon;
    default:
      return SockKind::kNone;
  }
}

Reg sock_ctx_pointer(platform::FieldKind k, uint32_t new_id) {
  Reg r = Reg::pointer(RegType::kBtfId);
  switch (k) {
    case platform::FieldKind::kSockCommonOrNull:
      r.sock = SockKind::kSockCommon;
      r.maybe_null = true;
      break;
    case platform::FieldKind::kSocketOrNull:
      r.sock = SockKind::kSock;
      r.maybe_null = true;
      break;
    default:
      return Reg{};
  }
  if (r.maybe_null) r.id = new_id;
  return r;
}

void xsk_value_to_sock(Reg& r, const MapInfo& m) {
  if (r.type != RegType::kMapValue || m.type != platform::MapType::kXskmap) return;
  const uint32_t id = r.id, ref = r.ref_obj_id;
  const bool null = r.maybe_null;
  r = Reg::pointer(RegType::kBtfId);
  r.sock = SockKind::kXdpSock;
  r.maybe_null = null;
  r.id = id;
  r.ref_obj_id = ref;
}

void infer_not_null_on_eq(State& eq, int dst, int src, const std::vector<MapInfo>& maps) {
  Reg& a = eq.reg(dst);
  Reg& b = eq.reg(src);
  if (!a.is_pointer() || !b.is_pointer() || a.maybe_null == b.maybe_null) return;
  auto plain_btf = [](const Reg& r) {
    return r.type == RegType::kBtfId && r.sock == SockKind::kNone;
  };
  if (plain_btf(a) || plain_btf(b)) return;
  Reg& n = a.maybe_null ? a : b;
  n.maybe_null = false;
  if (n.type == RegType::kMapValue && n.map >= 0 && static_cast<size_t>(n.map) < maps.size())
    xsk_value_to_sock(n, maps[n.map]);
}

}  // namespace bombus::verifier
