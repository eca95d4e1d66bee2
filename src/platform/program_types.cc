// The rows of the program-type table, the ctx-access rule shared by verifier and rewrite pass,
// and the per-type helper allow-lists (modelled on the kernel's *_func_proto functions).
#include "platform/program_types.h"

#include <algorithm>
#include <array>

#include "platform/ctx_structs.h"

namespace bombus::platform {
namespace {

using K = FieldKind;

constexpr CtxField kXdpFields[] = {
    {"data", 0, 4, 0, 8, true, false, K::kPktData, false},
    {"data_end", 4, 4, 8, 8, true, false, K::kPktEnd, false},
    {"data_meta", 8, 4, 16, 8, true, false, K::kPktMeta, false},
    {"ingress_ifindex", 12, 4, 24, 4, true, false, K::kScalar, false},
    {"rx_queue_index", 16, 4, 28, 4, true, false, K::kScalar, false},
    {"egress_ifindex", 20, 4, 32, 4, true, false, K::kScalar, false},
};

// A scalar __sk_buff field that lives at its uapi offset in SkbCtx::uapi.
constexpr CtxField skb_scalar(std::string_view n, uint32_t off, uint32_t size, bool w) {
  return CtxField{n, off, size, off, size, true, w, K::kScalar, true, false};
}

constexpr CtxField kTcFields[] = {
    skb_scalar("len", skb_off::kLen, 4, false),
    skb_scalar("pkt_type", skb_off::kPktType, 4, false),
    skb_scalar("mark", skb_off::kMark, 4, true),
    skb_scalar("queue_mapping", skb_off::kQueueMapping, 4, true),
    skb_scalar("protocol", skb_off::kProtocol, 4, false),
    skb_scalar("vlan_present", skb_off::kVlanPresent, 4, false),
    skb_scalar("vlan_tci", skb_off::kVlanTci, 4, false),
    skb_scalar("vlan_proto", skb_off::kVlanProto, 4, false),
    skb_scalar("priority", skb_off::kPriority, 4, true),
    skb_scalar("ingress_ifindex", skb_off::kIngressIfindex, 4, false),
    skb_scalar("ifindex", skb_off::kIfindex, 4, false),
    skb_scalar("tc_index", skb_off::kTcIndex, 4, true),
    {"cb", skb_off::kCb, 20, skb_off::kCb, 20, true, true, K::kScalar, true, true},
    skb_scalar("hash", skb_off::kHash, 4, false),
    skb_scalar("tc_classid", skb_off::kTcClassid, 4, true),
    {"data", skb_off::kData, 4, kSkbRealData, 8, true, false, K::kPktData, false},
    {"data_end", skb_off::kDataEnd, 4, kSkbRealDataEnd, 8, true, false, K::kPktEnd, false},
    skb_scalar("napi_id", skb_off::kNapiId, 4, false),
    {"data_meta", skb_off::kDataMeta, 4, kSkbRealDataMeta, 8, true, false, K::kPktMeta, false},
    {"tstamp", skb_off::kTstamp, 8, skb_off::kTstamp, 8, true, true, K::kScalar, false},
    skb_scalar("wire_len", skb_off::kWireLen, 4, false),
    skb_scalar("gso_segs", skb_off::kGsoSegs, 4, false),
    {"sk", skb_off::kSk, 8, kSkbRealSk, 8, true, false, K::kPtrOrNull, false},
    skb_scalar("gso_size", skb_off::kGsoSize, 4, false),
    skb_scalar("tstamp_type", skb_off::kTstampType, 1, false),
    {"hwtstamp", skb_off::kHwtstamp, 8, skb_off::kHwtstamp, 8, true, false, K::kScalar, false},
};

constexpr CtxField kSocketFilterFields[] = {
    skb_scalar("len", skb_off::kLen, 4, false),
    skb_scalar("pkt_type", skb_off::kPktType, 4, false),
    skb_scalar("mark", skb_off::kMark, 4, false),
    skb_scalar("queue_mapping", skb_off::kQueueMapping, 4, false),
    skb_scalar("protocol", skb_off::kProtocol, 4, false),
    skb_scalar("vlan_present", skb_off::kVlanPresent, 4, false),
    skb_scalar("vlan_tci", skb_off::kVlanTci, 4, false),
    skb_scalar("vlan_proto", skb_off::kVlanProto, 4, false),
    skb_scalar("priority", skb_off::kPriority, 4, false),
    skb_scalar("ingress_ifindex", skb_off::kIngressIfindex, 4, false),
    skb_scalar("ifindex", skb_off::kIfindex, 4, false),
    skb_scalar("tc_index", skb_off::kTcIndex, 4, false),
    {"cb", skb_off::kCb, 20, skb_off::kCb, 20, true, true, K::kScalar, true, true},
    skb_scalar("hash", skb_off::kHash, 4, false),
    skb_scalar("napi_id", skb_off::kNapiId, 4, false),
    skb_scalar("gso_segs", skb_off::kGsoSegs, 4, false),
    {"sk", skb_off::kSk, 8, kSkbRealSk, 8, true, false, K::kPtrOrNull, false},
    skb_scalar("gso_size", skb_off::kGsoSize, 4, false),
};

constexpr uint32_t kPtRegsSize = 168;  // struct pt_regs on x86-64

const std::array<ProgTypeInfo, 9> kTypes = {{
    {ProgType::kSocketFilter, "socket_filter", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx),
     kSocketFilterFields, 0, 0, false, true, false, false, true, true},
    {ProgType::kKprobe,
     "kprobe",
     CtxModel::kBytes,
     kPtRegsSize,
     kPtRegsSize,
     {},
     0,
     kPtRegsSize,
     false,
     false,
     false,
     false,
     false,
     false},
    {ProgType::kSchedCls, "sched_cls", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx), kTcFields, 0,
     0, false, true, true, true, true, true},
    {ProgType::kSchedAct, "sched_act", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx), kTcFields, 0,
     0, false, true, true, true, true, true},
    {ProgType::kTracepoint,
     "tracepoint",
     CtxModel::kBytes,
     2048,
     2048,
     {},
     8,
     2048,
     false,
     false,
     false,
     false,
     false,
     false},
    {ProgType::kXdp, "xdp", CtxModel::kFields, kXdpMdSize, sizeof(XdpCtx), kXdpFields, 0, 0, false,
     false, true, true, true, true},
    {ProgType::kPerfEvent,
     "perf_event",
     CtxModel::kBytes,
     kPtRegsSize + 16,
     kPtRegsSize + 16,
     {},
     0,
     kPtRegsSize + 16,
     false,
     false,
     false,
     false,
     false,
     false},
    {ProgType::kRawTracepoint,
     "raw_tracepoint",
     CtxModel::kBytes,
     96,
     96,
     {},
     0,
     96,
     false,
     false,
     false,
     false,
     true,
     false},
    {ProgType::kSyscall,
     "syscall",
     CtxModel::kBytes,
     0,
     0,
     {},
     0,
     65535,
     true,
     false,
     false,
     false,
     true,
     false},
}};

// Helper allow-lists, sorted.
constexpr int32_t kBaseHelpers[] = {1,   2,   3,   5,   6,   7,   8,   12,  42,  87,  88,  89,  93,
                                    94,  105, 106, 113, 115, 118, 125, 130, 131, 132, 133, 134, 160,
                                    164, 165, 169, 170, 171, 172, 177, 181, 182, 195, 208, 209};
constexpr int32_t kTracingHelpers[] = {4,  14,  15,  16,  22,  25,  27,  35,  36,  45,  58, 67,
                                       80, 109, 112, 114, 117, 120, 173, 174, 183, 184, 185};
constexpr int32_t kTcHelpers[] = {9,  10, 11, 13, 17, 18, 19, 23, 25, 26, 28, 31, 32,  34,  38,
                                  39, 40, 41, 43, 46, 47, 48, 50, 67, 68, 79, 97, 122, 135, 163};
constexpr int32_t kSocketFilterHelpers[] = {25, 26, 46, 47, 68, 122};
constexpr int32_t kXdpHelpers[] = {23, 25, 28, 44, 51, 54, 65, 122, 163, 188, 189, 190};
constexpr int32_t kSyscallHelpers[] = {14, 15, 16, 148};

bool in(std::span<const int32_t> list, int32_t id) {
  return std::binary_search(list.begin(), list.end(), id);
}

std::string access_error(int64_t off, uint32_t size) {
  return "invalid bpf_context access off=" + std::to_string(off) + " size=" + std::to_string(size);
}

}  // namespace

const ProgTypeInfo* prog_type_info(ProgType t) {
  for (const auto& i : kTypes)
    if (i.type == t) return &i;
  return nullptr;
}

const ProgTypeInfo* prog_type_by_name(std::string_view name) {
  for (const auto& i : kTypes)
    if (i.name == name) return &i;
  return nullptr;
}

std::span<const ProgTypeInfo> supported_prog_types() {
  return kTypes;
}

std::optional<ProgType> prog_type_from_section(std::string_view sec) {
  auto is = [&](std::string_view p) {
    return sec == p || (sec.starts_with(p) && (sec[p.size()] == '/' || sec[p.size()] == '.'));
  };
  if (is("socket")) return ProgType::kSocketFilter;
  if (is("kprobe") || is("kretprobe") || is("uprobe") || is("uretprobe") || is("ksyscall") ||
      is("kretsyscall") || is("usdt") || is("kprobe.multi") || is("kretprobe.multi"))
    return ProgType::kKprobe;
  if (is("tc") || is("classifier") || is("tcx") || is("netkit")) return ProgType::kSchedCls;
  if (is("action")) return ProgType::kSchedAct;
  if (is("tracepoint") || is("tp")) return ProgType::kTracepoint;
  if (is("xdp")) return ProgType::kXdp;
  if (is("perf_event")) return ProgType::kPerfEvent;
  if (is("raw_tracepoint") || is("raw_tp")) return ProgType::kRawTracepoint;
  if (is("raw_tracepoint.w") || is("raw_tp.w")) return ProgType::kRawTracepointWritable;
  if (is("syscall")) return ProgType::kSyscall;
  if (is("fentry") || is("fexit") || is("fmod_ret") || is("tp_btf") || is("iter"))
    return ProgType::kTracing;
  if (is("lsm")) return ProgType::kLsm;
  return std::nullopt;
}

CtxAccessResult check_ctx_access(const ProgTypeInfo& info, int64_t off, uint32_t size, bool write) {
  CtxAccessResult r;
  bool size_ok = size == 1 || size == 2 || size == 4 || size == 8;
  if (!size_ok || off < 0 || off % size != 0) {
    r.error = access_error(off, size);
    return r;
  }
  if (info.model == CtxModel::kBytes) {
    if (off < info.bytes_min || off + size > info.bytes_max || (write && !info.bytes_writable)) {
      r.error = access_error(off, size);
      return r;
    }
    r.access = CtxAccess{nullptr, static_cast<uint32_t>(off), size, FieldKind::kScalar};
    return r;
  }
  for (const auto& f : info.fields) {
    if (off < f.off || off >= f.off + f.size) continue;
    if ((write && !f.writable) || (!write && !f.readable) || off + size > f.off + f.size) break;
    uint32_t delta = static_cast<uint32_t>(off - f.off);
    if (f.array) {
      r.access = CtxAccess{&f, f.real_off + delta, size, f.kind};
      return r;
    }
    if (size == f.size && delta == 0) {
      r.access = CtxAccess{&f, f.real_off, f.real_size, f.kind};
      return r;
    }
    // Narrow load of a scalar of the same width in both structs (little-endian offsets).
    if (!write && f.narrow && f.kind == FieldKind::kScalar && f.real_size == f.size &&
        size < f.size) {
      r.access = CtxAccess{&f, f.real_off + delta, size, f.kind};
      return r;
    }
    break;
  }
  r.error = access_error(off, size);
  return r;
}

bool helper_allowed(ProgType t, int32_t id) {
  if (in(kBaseHelpers, id)) return true;
  switch (t) {
    case ProgType::kKprobe:
    case ProgType::kTracepoint:
    case ProgType::kPerfEvent:
    case ProgType::kRawTracepoint:
    case ProgType::kRawTracepointWritable:
      return in(kTracingHelpers, id);
    case ProgType::kSchedCls:
    case ProgType::kSchedAct:
      return in(kTcHelpers, id);
    case ProgType::kSocketFilter:
      return in(kSocketFilterHelpers, id);
    case ProgType::kXdp:
      return in(kXdpHelpers, id);
    case ProgType::kSyscall:
      return in(kSyscallHelpers, id) || in(kTracingHelpers, id);
    default:
      return false;
  }
}

}  // namespace bombus::platform
