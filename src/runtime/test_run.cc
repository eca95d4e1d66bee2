// Program::test_run with the kernel's BPF_PROG_TEST_RUN conventions per program type:
//  - xdp: data_in (>= ETH_HLEN) goes into a 4 KiB frame after 256 bytes of headroom; ctx_in is an
//    xdp_md whose `data` is the metadata length at the front of data_in; data_out is
//    [data_meta, data_end) after the run, so adjust_head/tail/meta show; ctx_out an xdp_md.
//  - sched_cls/sched_act/socket_filter/cgroup_skb/lwt_*: an skb on the loopback device (ifindex
//    1), protocol and pkt_type from the Ethernet header; all but tc start at the network header
//    (len excludes L2) and get a zeroed L2 header back in data_out; ctx_in may set only mark,
//    priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp.
//  - syscall: ctx_in is the program's buffer and comes back as ctx_out; raw_tracepoint: ctx_in
//    holds the u64 arguments. kprobe/tracepoint/perf_event (the kernel refuses to test-run them)
//    run with ctx_in as their context bytes, a bombus extension.
//  - cgroup_sock_addr, sk_msg, sock_ops, cgroup_sockopt, cgroup_sysctl, sk_reuseport: refused,
//    as the kernel refuses them.
#include <chrono>
#include <cstring>

#include "loader/kernel_btf.h"
#include "platform/ctx_structs.h"
#include "platform/program_types.h"
#include "platform/sock_fields.h"
#include "runtime/object_impl.h"
#include "runtime/tracing_event.h"
#include "vm/helpers/helpers_sock.h"
#include "vm/probe_mem.h"

namespace bombus::runtime {

namespace {

using platform::ProgType;
namespace off = platform::skb_off;
constexpr uint32_t kEthHlen = 14, kPage = 4096, kTailroom = 320, kSkbPad = 64 + 2;

Error err(Errc c, const ProgramImpl& p, const std::string& m) {
  Location l;
  l.program = p.spec->name;
  return make_error(c, "test run: " + m, l);
}

bool all_zero(std::span<const uint8_t> b, size_t from, size_t to) {
  for (size_t i = from; i < to && i < b.size(); ++i)
    if (b[i]) return false;
  return true;
}

// Runs `repeat` times; fills retval and duration; updates stats.
Status run_loop(ProgramImpl& p, void* ctx, size_t ctx_len, const TestRun& in,
                std::span<const vm::MemRegion> regions, TestRunResult& out,
                const std::function<void()>& before_each = nullptr) {
  uint32_t repeat = in.repeat ? in.repeat : 1;
  EngineRunArgs a;
  a.runtime = &p.env;
  a.cpu = in.cpu;
  a.regions = regions;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t r0 = 0;
  for (uint32_t i = 0; i < repeat; ++i) {
    if (before_each) before_each();
    auto r = p.image->run(ctx, ctx_len, a);
    if (!r.ok()) {
      Error e = r.error();
      e.where.program = p.spec->name;
      return e;
    }
    r0 = *r;
  }
  auto ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  out.retval64 = r0;
  out.retval = static_cast<uint32_t>(r0);
  out.duration_ns = ns / repeat;
  if (p.obj->opts.enable_stats) {
    p.run_cnt += repeat;
    p.run_time_ns += ns;
  }
  return {};
}

void set_data_out(const TestRun& in, const uint8_t* p, size_t n, TestRunResult& out) {
  if (in.data_size_out && n > in.data_size_out) {
    n = in.data_size_out;
    out.data_truncated = true;
  }
  out.data_out.assign(p, p + n);
}

Result<TestRunResult> run_xdp(ProgramImpl& p, const TestRun& in) {
  TestRunResult out;
  size_t size = in.data_in.size();
  if (size < kEthHlen || size > kPage - platform::kXdpHeadroom - kTailroom)
    return err(Errc::kInvalid, p,
               "xdp data_in must be 14.." +
                   std::to_string(kPage - platform::kXdpHeadroom - kTailroom) + " bytes, got " +
                   std::to_string(size));
  uint32_t metalen = 0, ingress = 1, rxq = 0;
  if (!in.ctx_in.empty()) {
    if (in.ctx_in.size() > platform::kXdpMdSize &&
        !all_zero(in.ctx_in, platform::kXdpMdSize, in.ctx_in.size()))
      return err(Errc::kTooBig, p, "ctx_in has nonzero bytes past struct xdp_md");
    uint8_t md[platform::kXdpMdSize] = {};
    std::memcpy(md, in.ctx_in.data(), std::min<size_t>(sizeof md, in.ctx_in.size()));
    uint32_t f[6];
    std::memcpy(f, md, sizeof f);
    if (f[2] != 0) return err(Errc::kInvalid, p, "xdp_md.data_meta must be 0");
    if (f[5] != 0) return err(Errc::kInvalid, p, "xdp_md.egress_ifindex must be 0");
    if (f[0] > f[1] || f[1] != size)
      return err(Errc::kInvalid, p, "xdp_md.data/data_end must describe data_in");
    metalen = f[0];
    if (metalen > 32 || metalen % 4) return err(Errc::kInvalid, p, "bad metadata length");
    if (size - metalen < kEthHlen) return err(Errc::kInvalid, p, "packet shorter than ETH_HLEN");
    if (f[3]) ingress = f[3];
    if (f[4] && !f[3]) return err(Errc::kInvalid, p, "rx_queue_index needs ingress_ifindex");
    rxq = f[4];
    if (rxq) return err(Errc::kInvalid, p, "rx_queue_index out of range for the device");
  }
  alignas(64) static thread_local uint8_t frame[kPage];
  std::memset(frame, 0, sizeof frame);
  std::memcpy(frame + platform::kXdpHeadroom, in.data_in.data(), size);
  platform::XdpCtx x;
  x.frame = frame;
  x.frame_size = kPage;
  x.data_meta = reinterpret_cast<uint64_t>(frame + platform::kXdpHeadroom);
  x.data = x.data_meta + metalen;
  x.data_end = x.data_meta + size;
  x.ingress_ifindex = ingress;
  x.rx_queue_index = rxq;
  vm::MemRegion regions[] = {{reinterpret_cast<uintptr_t>(frame), kPage, true}};
  BOMBUS_TRY(run_loop(p, &x, sizeof x, in, regions, out));
  set_data_out(in, reinterpret_cast<uint8_t*>(x.data_meta), x.data_end - x.data_meta, out);
  if (!in.ctx_in.empty() || in.ctx_size_out) {
    // The kernel writes back only data and data_end; the rest is ctx_in as given.
    uint32_t md[6] = {};
    std::memcpy(md, in.ctx_in.data(), std::min<size_t>(sizeof md, in.ctx_in.size()));
    md[0] = static_cast<uint32_t>(x.data - x.data_meta);
    md[1] = static_cast<uint32_t>(x.data_end - x.data_meta);
    out.ctx_out.assign(reinterpret_cast<uint8_t*>(md), reinterpret_cast<uint8_t*>(md) + sizeof md);
  }
  return out;
}

// The __sk_buff fields the kernel reads from skb->sk (cgroup_skb and sk_skb see them).
void set_skb_sock_fields(platform::SkbCtx& s, const platform::BpfSock& sk) {
  namespace off = platform::skb_off;
  platform::set_skb_u32(s, off::kFamily, sk.family);
  platform::set_skb_u32(s, off::kRemoteIp4, sk.dst_ip4);
  platform::set_skb_u32(s, off::kLocalIp4, sk.src_ip4);
  std::memcpy(s.uapi + off::kRemoteIp6, sk.dst_ip6, 16);
  std::memcpy(s.uapi + off::kLocalIp6, sk.src_ip6, 16);
  platform::set_skb_u32(s, off::kRemotePort, sk.dst_port);
  platform::set_skb_u32(s, off::kLocalPort, sk.src_port);
}

Result<TestRunResult> run_skb(ProgramImpl& p, const TestRun& in) {
  TestRunResult out;
  // Only tc programs see the L2 header; the others start at the network header.
  bool l2 = p.type == ProgType::kSchedCls || p.type == ProgType::kSchedAct;
  size_t size = in.data_in.size();
  if (size < kEthHlen || size > kPage - kSkbPad - kTailroom)
    return err(Errc::kInvalid, p,
               "skb data_in must be 14.." + std::to_string(kPage - kSkbPad - kTailroom) +
                   " bytes, got " + std::to_string(size));
  std::vector<uint8_t> ctx(platform::kSkBuffSize, 0);
  if (!in.ctx_in.empty()) {
    if (in.ctx_in.size() > ctx.size() && !all_zero(in.ctx_in, ctx.size(), in.ctx_in.size()))
      return err(Errc::kTooBig, p, "ctx_in has nonzero bytes past struct __sk_buff");
    std::memcpy(ctx.data(), in.ctx_in.data(), std::min(ctx.size(), in.ctx_in.size()));
    // Only these ranges may be set (the kernel's convert___skb_to_skb).
    struct Range {
      uint32_t from, to;
    } allowed[] = {{off::kMark, off::kMark + 4},
                   {off::kPriority, off::kPriority + 4},
                   {off::kIngressIfindex, off::kIfindex + 4},
                   {off::kCb, off::kCb + 20},
                   {off::kTstamp, off::kTstamp + 8},
                   {off::kWireLen, off::kGsoSegs + 4},
                   {off::kGsoSize, off::kGsoSize + 4},
                   {off::kHwtstamp, off::kHwtstamp + 8}};
    for (uint32_t i = 0; i < ctx.size(); ++i) {
      if (!ctx[i]) continue;
      bool ok = false;
      for (auto r : allowed) ok |= i >= r.from && i < r.to;
      if (!ok)
        return err(
            Errc::kInvalid, p,
            "ctx_in sets __sk_buff byte " + std::to_string(i) + ", which test runs do not accept");
    }
  }
  std::vector<uint8_t> buf(kPage, 0);
  std::memcpy(buf.data() + kSkbPad, in.data_in.data(), size);
  platform::SkbCtx s;
  std::memcpy(s.uapi, ctx.data(), ctx.size());
  s.buf = buf.data();
  s.buf_size = static_cast<uint32_t>(buf.size() - kTailroom);
  const uint8_t* eth = buf.data() + kSkbPad;
  uint16_t proto;
  std::memcpy(&proto, eth + 12, 2);
  uint32_t pkt_type;
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {};
  if (std::memcmp(eth, bcast, 6) == 0)
    pkt_type = 1;
  else if (eth[0] & 1)
    pkt_type = 2;
  else
    pkt_type = std::memcmp(eth, zero, 6) == 0 ? 0 : 3;
  // The kernel's test run reads the IP header for skb->sk's addresses and refuses a frame
  // that is too short to hold it.
  if ((proto == 0x0008 && size < kEthHlen + 20) || (proto == 0xdd86 && size < kEthHlen + 40))
    return err(Errc::kInvalid, p,
               std::string(proto == 0x0008 ? "an IPv4" : "an IPv6") +
                   " data_in must hold the whole IP header (" + (proto == 0x0008 ? "34" : "54") +
                   " bytes with Ethernet), got " + std::to_string(size));
  uint32_t ifindex = platform::skb_u32(s, off::kIfindex);
  if (ifindex > 1)
    return err(Errc::kNotFound, p, "no device with ifindex " + std::to_string(ifindex));
  s.data = reinterpret_cast<uint64_t>(buf.data() + kSkbPad + (l2 ? 0 : kEthHlen));
  s.data_end = reinterpret_cast<uint64_t>(buf.data() + kSkbPad + size);
  s.data_meta = s.data;
  uint32_t len = static_cast<uint32_t>(s.data_end - s.data);
  platform::set_skb_u32(s, off::kLen, len);
  platform::set_skb_u32(s, off::kPktType, pkt_type);
  platform::set_skb_u32(s, off::kProtocol, proto);
  platform::set_skb_u32(s, off::kIfindex, 1);
  uint32_t wire = platform::skb_u32(s, off::kWireLen);
  if (wire && wire < len) return err(Errc::kInvalid, p, "wire_len smaller than the packet");
  if (!wire) platform::set_skb_u32(s, off::kWireLen, len);
  if (!platform::skb_u32(s, off::kGsoSegs)) platform::set_skb_u32(s, off::kGsoSegs, 0);
  // skb->sk: the kernel's test-run socket (family and addresses from the IP header).
  platform::SynthSock sock;
  platform::init_test_run_sock(sock, {eth, size});
  set_skb_sock_fields(s, sock.sk);
  s.sk = reinterpret_cast<uint64_t>(&sock.sk);
  vm::SockScope sock_scope(&sock);
  vm::MemRegion regions[] = {{reinterpret_cast<uintptr_t>(buf.data()), buf.size(), true},
                             {reinterpret_cast<uintptr_t>(&sock), sizeof sock, false}};
  BOMBUS_TRY(run_loop(p, &s, sizeof s, in, regions, out));
  const uint8_t* start = reinterpret_cast<uint8_t*>(s.data) - (l2 ? 0 : kEthHlen);
  // Non-tc programs get their L2 header back zeroed, as the kernel pushes it with memset.
  if (!l2) std::memset(const_cast<uint8_t*>(start), 0, kEthHlen);
  set_data_out(in, start, reinterpret_cast<uint8_t*>(s.data_end) - start, out);
  if (!in.ctx_in.empty() || in.ctx_size_out) {
    std::vector<uint8_t> c = ctx;  // ctx_in with the fields the kernel writes back
    auto copy = [&](uint32_t o, uint32_t n) { std::memcpy(c.data() + o, s.uapi + o, n); };
    copy(off::kMark, 4);
    copy(off::kPriority, 4);
    copy(off::kIngressIfindex, 4);
    copy(off::kIfindex, 4);
    copy(off::kTstamp, 8);
    copy(off::kCb, 20);
    copy(off::kWireLen, 4);
    copy(off::kGsoSegs, 4);
    copy(off::kHwtstamp, 8);
    out.ctx_out = std::move(c);
  }
  return out;
}

Result<TestRunResult> run_bytes(ProgramImpl& p, const TestRun& in,
                                const platform::ProgTypeInfo& info) {
  TestRunResult out;
  if (!in.data_in.empty())
    return err(Errc::kInvalid, p, "this program type takes no data_in, only ctx_in");
  if (p.type == ProgType::kSyscall && in.ctx_in.size() > 65535)
    return err(Errc::kTooBig, p, "ctx_in larger than 65535 bytes");
  if (p.type == ProgType::kRawTracepoint && (in.ctx_in.size() > 96 || in.ctx_in.size() % 8))
    return err(Errc::kInvalid, p, "raw_tracepoint ctx_in must be up to 12 u64 arguments");
  size_t n = std::max<size_t>(in.ctx_in.size(), p.type == ProgType::kSyscall ? 0 : info.ctx_size);
  std::vector<uint8_t> ctx(std::max<size_t>(n, 8), 0);
  std::memcpy(ctx.data(), in.ctx_in.data(), in.ctx_in.size());
  vm::MemRegion regions[] = {
      {reinterpret_cast<uintptr_t>(ctx.data()), ctx.size(), info.bytes_writable}};
  BOMBUS_TRY(run_loop(p, ctx.data(), in.ctx_in.empty() && p.type == ProgType::kSyscall ? 0 : n, in,
                      regions, out));
  if (p.type == ProgType::kSyscall) out.ctx_out.assign(ctx.begin(), ctx.begin() + in.ctx_in.size());
  return out;
}

// The ctx is the target's u64 arguments: from TestRun::event (JSON, pointer arguments become
// synthetic kernel objects from vmlinux BTF: runtime/tracing_event.h), else from ctx_in's raw
// u64 values, else all zero.
Result<TestRunResult> run_tracing(ProgramImpl& p, const TestRun& in) {
  if (!in.data_in.empty())
    return err(Errc::kInvalid, p, "tracing programs take no data_in, only an event or ctx_in");
  if (!in.event.empty() && !in.ctx_in.empty())
    return err(Errc::kInvalid, p, "give either an event or ctx_in, not both");
  if (in.ctx_in.size() > 96 || in.ctx_in.size() % 8)
    return err(Errc::kInvalid, p, "tracing ctx_in must be up to 12 u64 arguments");
  auto vmlinux = loader::system_vmlinux_btf();
  if (!vmlinux.ok()) return err(Errc::kUnsupported, p, vmlinux.error().message);
  auto ev =
      build_tracing_event(**vmlinux, p.spec->expected_attach_type.value_or(uapi::AttachType{}),
                          p.spec->attach_target, in.event);
  if (!ev.ok()) return err(ev.error().code, p, ev.error().message);
  if (!in.ctx_in.empty()) std::memcpy((*ev)->args.data(), in.ctx_in.data(), in.ctx_in.size());
  vm::CurrentTaskScope current((*ev)->current);
  vm::ProbeObjectsScope objects((*ev)->objects.ranges());
  TestRunResult out;
  vm::MemRegion regions[] = {
      {reinterpret_cast<uintptr_t>((*ev)->args.data()), sizeof((*ev)->args), false}};
  BOMBUS_TRY(run_loop(p, (*ev)->args.data(), sizeof((*ev)->args), in, regions, out));
  return out;
}

}  // namespace

Result<TestRunResult> run_test(ProgramImpl& p, const TestRun& in) {
  const platform::ProgTypeInfo* info = platform::prog_type_info(p.type);
  if (!info) return err(Errc::kUnsupported, p, "program type not supported");
  if (in.cpu >= 4096) return err(Errc::kInvalid, p, "cpu out of range");
  switch (p.type) {
    case ProgType::kXdp:
      return run_xdp(p, in);
    case ProgType::kTracing:  // tp_btf/fentry/fexit/fmod_ret on a synthetic event
      return run_tracing(p, in);
    case ProgType::kSchedCls:
    case ProgType::kSchedAct:
    case ProgType::kSocketFilter:
    case ProgType::kCgroupSkb:
    case ProgType::kLwtIn:
    case ProgType::kLwtOut:
    case ProgType::kLwtXmit:
    case ProgType::kSkSkb:  // the kernel has no test run for sk_skb: a bombus extension
      return run_skb(p, in);
    case ProgType::kCgroupSockAddr:
    case ProgType::kSkMsg:
    case ProgType::kSockOps:
    case ProgType::kCgroupSockopt:
    case ProgType::kCgroupSysctl:
    case ProgType::kSkReuseport:
      // As the kernel (ENOTSUPP): their ctx stands for kernel state (a socket, the message or
      // option buffer, the sysctl being written) that a ctx_in of bytes cannot provide.
      return err(Errc::kUnsupported, p,
                 std::string("the kernel has no BPF_PROG_TEST_RUN for ") + std::string(info->name) +
                     " programs (it answers ENOTSUPP); bombus refuses it too: the context's "
                     "socket, buffers or sysctl cannot come from ctx_in");
    default:
      return run_bytes(p, in, *info);
  }
}

}  // namespace bombus::runtime
