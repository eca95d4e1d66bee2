// The rows of the program-type table, the ctx-access rule shared by verifier and rewrite pass,
// and the per-type helper allow-lists (modelled on the kernel's *_func_proto functions).
#include "platform/program_types.h"

#include <algorithm>
#include <array>

#include "platform/ctx_structs.h"
#include "platform/sock_ctx_tables.h"
#include "platform/tracing_types.h"

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
constexpr CtxField skb_scalar(std::string_view n, uint32_t off, uint32_t size = 4) {
  return CtxField{n, off, size, off, size, true, false, K::kScalar, true, false};
}
// An IPv4/IPv6 address word of __sk_buff: whole 4-byte reads only (no narrow loads).
constexpr CtxField skb_addr(std::string_view n, uint32_t off) {
  return CtxField{n, off, 4, off, 4, true, false, K::kScalar, false, false};
}
// A field that lives elsewhere in SkbCtx (pointers) or allows no narrow loads.
constexpr CtxField skb_other(std::string_view n, uint32_t off, uint32_t size, uint32_t real_off,
                             uint32_t real_size, K kind) {
  return CtxField{n, off, size, real_off, real_size, true, false, kind, false, false};
}

// The __sk_buff program types, as bits: which of them may read / write each field (the
// kernel's tc_cls_act / sk_filter / cg_skb / lwt / sk_skb access rules over the common
// bpf_skb_is_valid_access; PlatformTypes.CtxAccessMatchesTheKernel checks every aligned access).
enum SkbUser : uint8_t { kTc = 1, kSf = 2, kCg = 4, kLwt = 8, kSk = 16 };
constexpr uint8_t kAllSkb = kTc | kSf | kCg | kLwt | kSk;
constexpr uint8_t kDirect = kTc | kCg | kLwt | kSk;  // direct packet access
constexpr uint8_t kSockInfo = kCg | kSk;             // family .. local_port

struct SkbFieldDef {
  CtxField field;
  uint8_t read = 0, write = 0;
};

constexpr SkbFieldDef kSkbDefs[] = {
    {skb_scalar("len", skb_off::kLen), kAllSkb, 0},
    {skb_scalar("pkt_type", skb_off::kPktType), kAllSkb, 0},
    {skb_scalar("mark", skb_off::kMark), kAllSkb & ~kSk, kTc | kCg | kLwt},
    {skb_scalar("queue_mapping", skb_off::kQueueMapping), kAllSkb, kTc},
    {skb_scalar("protocol", skb_off::kProtocol), kAllSkb, 0},
    {skb_scalar("vlan_present", skb_off::kVlanPresent), kAllSkb, 0},
    {skb_scalar("vlan_tci", skb_off::kVlanTci), kAllSkb, 0},
    {skb_scalar("vlan_proto", skb_off::kVlanProto), kAllSkb, 0},
    {skb_scalar("priority", skb_off::kPriority), kAllSkb, kTc | kCg | kLwt | kSk},
    {skb_scalar("ingress_ifindex", skb_off::kIngressIfindex), kAllSkb, 0},
    {skb_scalar("ifindex", skb_off::kIfindex), kAllSkb, 0},
    {skb_scalar("tc_index", skb_off::kTcIndex), kAllSkb, kTc | kSk},
    {{"cb", skb_off::kCb, 20, skb_off::kCb, 20, true, false, K::kScalar, true, true},
     kAllSkb,
     kAllSkb & ~kSk},
    {skb_scalar("hash", skb_off::kHash), kAllSkb, 0},
    {skb_scalar("tc_classid", skb_off::kTcClassid), kTc, kTc},
    {skb_other("data", skb_off::kData, 4, kSkbRealData, 8, K::kPktData), kDirect, 0},
    {skb_other("data_end", skb_off::kDataEnd, 4, kSkbRealDataEnd, 8, K::kPktEnd), kDirect, 0},
    {skb_scalar("napi_id", skb_off::kNapiId), kAllSkb, 0},
    {skb_scalar("family", skb_off::kFamily), kSockInfo, 0},
    {skb_addr("remote_ip4", skb_off::kRemoteIp4), kSockInfo, 0},
    {skb_addr("local_ip4", skb_off::kLocalIp4), kSockInfo, 0},
    {skb_addr("remote_ip6", skb_off::kRemoteIp6 + 0), kSockInfo, 0},
    {skb_addr("remote_ip6", skb_off::kRemoteIp6 + 4), kSockInfo, 0},
    {skb_addr("remote_ip6", skb_off::kRemoteIp6 + 8), kSockInfo, 0},
    {skb_addr("remote_ip6", skb_off::kRemoteIp6 + 12), kSockInfo, 0},
    {skb_addr("local_ip6", skb_off::kLocalIp6 + 0), kSockInfo, 0},
    {skb_addr("local_ip6", skb_off::kLocalIp6 + 4), kSockInfo, 0},
    {skb_addr("local_ip6", skb_off::kLocalIp6 + 8), kSockInfo, 0},
    {skb_addr("local_ip6", skb_off::kLocalIp6 + 12), kSockInfo, 0},
    {skb_scalar("remote_port", skb_off::kRemotePort), kSockInfo, 0},
    {skb_scalar("local_port", skb_off::kLocalPort), kSockInfo, 0},
    {skb_other("data_meta", skb_off::kDataMeta, 4, kSkbRealDataMeta, 8, K::kPktMeta), kTc, 0},
    {skb_other("tstamp", skb_off::kTstamp, 8, skb_off::kTstamp, 8, K::kScalar), kTc | kCg,
     kTc | kCg},
    {skb_scalar("wire_len", skb_off::kWireLen), kTc, 0},
    {skb_scalar("gso_segs", skb_off::kGsoSegs), kAllSkb, 0},
    {skb_other("sk", skb_off::kSk, 8, kSkbRealSk, 8, K::kSockCommonOrNull), kAllSkb, 0},
    {skb_scalar("gso_size", skb_off::kGsoSize), kAllSkb, 0},
    {skb_scalar("tstamp_type", skb_off::kTstampType, 1), kTc, 0},
    {skb_other("hwtstamp", skb_off::kHwtstamp, 8, skb_off::kHwtstamp, 8, K::kScalar), kTc | kCg, 0},
};

constexpr size_t skb_field_count(uint8_t user) {
  size_t n = 0;
  for (const auto& d : kSkbDefs) n += (d.read & user) != 0;
  return n;
}

// The fields one __sk_buff program type sees, in offset order.
template <uint8_t User>
constexpr auto skb_fields() {
  std::array<CtxField, skb_field_count(User)> out{};
  size_t i = 0;
  for (const auto& d : kSkbDefs) {
    if (!(d.read & User)) continue;
    out[i] = d.field;
    out[i++].writable = (d.write & User) != 0;
  }
  return out;
}

constexpr auto kTcFields = skb_fields<kTc>();
constexpr auto kSocketFilterFields = skb_fields<kSf>();
constexpr auto kCgroupSkbFields = skb_fields<kCg>();
constexpr auto kLwtFields = skb_fields<kLwt>();
constexpr auto kSkSkbFields = skb_fields<kSk>();

// cgroup_sock: struct bpf_sock per attach type. Measured on the kernel: sock_create/release
// see bound_dev_if, mark and priority as whole-u32 reads and writes; post_bind4/6 cannot touch
// them but read src_ip4 / src_ip6 (narrow loads allowed) and src_port; src_port, family, type,
// protocol, state and rx_queue_mapping allow 1/2-byte loads only at the field's start; dst_port is
// a u16 (1/2-byte loads inside it) also readable as a u32; the destination address words allow any
// narrow load. Overlapping entries give the alternatives. Test runs may store into the ctx
// (bytes_writable).
constexpr CtxField sock_word(std::string_view n, uint32_t off, uint32_t size, bool narrow, bool w,
                             uint64_t mask = 0) {
  return CtxField{n, off, size, off, size, true, w, K::kScalar, narrow, false, mask};
}
constexpr uint32_t kBpfSockSize = 80;
using sock_tables::kPostBind4;
using sock_tables::kPostBind6;
using sock_tables::kSockCreate;
constexpr CtxField kCgroupSockFields[] = {
    sock_word("bound_dev_if", 0, 4, false, true, kSockCreate),
    sock_word("family", 4, 4, false, false),
    sock_word("family", 4, 2, false, false),
    sock_word("family", 4, 1, false, false),
    sock_word("type", 8, 4, false, false),
    sock_word("type", 8, 2, false, false),
    sock_word("type", 8, 1, false, false),
    sock_word("protocol", 12, 4, false, false),
    sock_word("protocol", 12, 2, false, false),
    sock_word("protocol", 12, 1, false, false),
    sock_word("mark", 16, 4, false, true, kSockCreate),
    sock_word("priority", 20, 4, false, true, kSockCreate),
    sock_word("src_ip4", 24, 4, true, false, kPostBind4),
    sock_word("src_ip6", 28, 4, true, false, kPostBind6),
    sock_word("src_ip6", 32, 4, true, false, kPostBind6),
    sock_word("src_ip6", 36, 4, true, false, kPostBind6),
    sock_word("src_ip6", 40, 4, true, false, kPostBind6),
    sock_word("src_port", 44, 4, false, false, kPostBind4 | kPostBind6),
    sock_word("src_port", 44, 2, false, false, kPostBind4 | kPostBind6),
    sock_word("src_port", 44, 1, false, false, kPostBind4 | kPostBind6),
    sock_word("dst_port", 48, 4, false, false),
    sock_word("dst_port", 48, 2, true, false),
    sock_word("dst_ip4", 52, 4, true, false),
    sock_word("dst_ip6", 56, 4, true, false),
    sock_word("dst_ip6", 60, 4, true, false),
    sock_word("dst_ip6", 64, 4, true, false),
    sock_word("dst_ip6", 68, 4, true, false),
    sock_word("state", 72, 4, false, false),
    sock_word("state", 72, 2, false, false),
    sock_word("state", 72, 1, false, false),
    sock_word("rx_queue_mapping", 76, 4, false, false),
    sock_word("rx_queue_mapping", 76, 2, false, false),
    sock_word("rx_queue_mapping", 76, 1, false, false),
};

constexpr uint32_t kPtRegsSize = 168;  // struct pt_regs on x86-64

const std::array<ProgTypeInfo, 21> kTypes = {{
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
    {ProgType::kCgroupSkb, "cgroup_skb", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx),
     kCgroupSkbFields, 0, 0, false, false, true, false, true, true},
    {ProgType::kLwtIn, "lwt_in", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx), kLwtFields, 0, 0,
     false, false, true, false, true, true},
    {ProgType::kLwtOut, "lwt_out", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx), kLwtFields, 0, 0,
     false, false, true, false, true, true},
    {ProgType::kLwtXmit, "lwt_xmit", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx), kLwtFields, 0,
     0, false, false, true, true, true, true},
    {ProgType::kCgroupSock, "cgroup_sock", CtxModel::kFields, kBpfSockSize, kBpfSockSize,
     kCgroupSockFields, 0, 0, true, false, false, false, false, false},
    {ProgType::kSkSkb, "sk_skb", CtxModel::kFields, kSkBuffSize, sizeof(SkbCtx), kSkSkbFields, 0, 0,
     false, false, true, true, false, true},
    // The kernel has no BPF_PROG_TEST_RUN for the six below (ENOTSUPP).
    {ProgType::kCgroupSockAddr, "cgroup_sock_addr", CtxModel::kFields,
     sock_tables::kBpfSockAddrSize, sock_tables::kBpfSockAddrSize, sock_tables::kSockAddrFields, 0,
     0, false, false, false, false, false, false},
    {ProgType::kSkMsg, "sk_msg", CtxModel::kFields, sock_tables::kSkMsgMdSize,
     sock_tables::kSkMsgMdSize, sock_tables::kSkMsgFields, 0, 0, false, false, true, true, false,
     false},
    {ProgType::kSockOps, "sock_ops", CtxModel::kFields, sock_tables::kSockOpsSize,
     sock_tables::kSockOpsSize, sock_tables::kSockOpsFields, 0, 0, false, false, true, false, false,
     false},
    {ProgType::kCgroupSockopt, "cgroup_sockopt", CtxModel::kFields, sock_tables::kBpfSockoptSize,
     sock_tables::kBpfSockoptSize, sock_tables::kSockoptFields, 0, 0, false, false, true, true,
     false, false},
    {ProgType::kCgroupSysctl, "cgroup_sysctl", CtxModel::kFields, sock_tables::kBpfSysctlSize,
     sock_tables::kBpfSysctlSize, sock_tables::kSysctlFields, 0, 0, false, false, false, false,
     false, false},
    {ProgType::kSkReuseport, "sk_reuseport", CtxModel::kFields, sock_tables::kSkReuseportMdSize,
     sock_tables::kSkReuseportMdSize, sock_tables::kSkReuseportFields, 0, 0, false, false, true,
     false, false, false},
}};

// Helper allow-lists (sorted), measured on the kernel the selftests are scored against (6.18,
// privileged: CAP_BPF + CAP_PERFMON): a one-helper program per (type, id) is refused with
// "program of this type cannot use helper" exactly when the id is missing from the base list and
// from the type's own list. Kernel facts, not kernel code: base = what every type below gets from
// bpf_base_func_proto (maps, ringbuf, timers, loop, dynptrs, current task/pid/comm, probe_read_*,
// task/cgroup storage, get_current_task_btf, ...); the rest comes from each type's func_proto.
constexpr int32_t kBaseHelpers[] = {
    1,   2,   3,   5,   6,   7,   8,   12,  14,  15,  16,  17,  22,  25,  35,  37,  42,  55,  80,
    87,  88,  89,  93,  94,  105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131,
    132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 175, 176,
    177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211};
// kprobe, tracepoint, raw_tracepoint(_writable): probe_read(_str), get_stackid, get_stack,
// get_func_ip, get_attach_cookie. No ktime_get_coarse_ns (160) for any tracing type.
constexpr int32_t kTracingHelpers[] = {4, 27, 45, 67, 173, 174};
// perf_event: the tracing set plus perf_prog_read_value and read_branch_records.
constexpr int32_t kPerfEventHelpers[] = {4, 27, 45, 56, 67, 119, 173, 174};
constexpr int32_t kSocketFilterHelpers[] = {26,  46,  47,  68,  122, 136, 137,
                                            138, 139, 140, 160, 178, 196};
// sched_cls and sched_act (tc_cls_act_func_proto).
constexpr int32_t kTcHelpers[] = {9,   10,  11,  13,  18,  19,  20,  21,  23,  24,  26,  28,  29,
                                  30,  31,  32,  33,  34,  38,  39,  40,  41,  43,  46,  47,  48,
                                  50,  66,  68,  69,  79,  83,  84,  85,  86,  95,  96,  97,  98,
                                  99,  100, 107, 108, 110, 122, 124, 135, 136, 137, 138, 139, 140,
                                  151, 152, 155, 160, 163, 178, 192, 196, 204, 205, 206, 207};
constexpr int32_t kXdpHelpers[] = {23,  28,  44,  51,  54,  65,  69,  84,  85,  86,
                                   99,  100, 110, 136, 137, 138, 139, 140, 160, 163,
                                   178, 188, 189, 190, 196, 204, 205, 206, 207};
// cgroup_skb (cg_skb_func_proto): skb loads, socket lookups and storage, cgroup ids, ...
constexpr int32_t kCgroupSkbHelpers[] = {26,  46,  47,  68,  79,  81,  83,  84,  85,  86,
                                         95,  96,  97,  98,  99,  107, 108, 122, 128, 129,
                                         136, 137, 138, 139, 140, 160, 178, 196};
// lwt_in and lwt_out (lwt_out_func_proto; lwt_in adds lwt_push_encap, 73).
constexpr int32_t kLwtOutHelpers[] = {24,  26,  28,  33,  34,  39,  136,
                                      137, 138, 139, 140, 160, 178, 196};
constexpr int32_t kLwtInHelpers[] = {24,  26,  28,  33,  34,  39,  73, 136,
                                     137, 138, 139, 140, 160, 178, 196};
// lwt_xmit (lwt_xmit_func_proto): skb rewriting, redirect, tunnel keys, lwt_push_encap.
constexpr int32_t kLwtXmitHelpers[] = {9,   10,  11,  13,  20,  21,  23,  24,  26, 28,
                                       29,  30,  33,  34,  38,  39,  40,  41,  43, 73,
                                       135, 136, 137, 138, 139, 140, 160, 178, 196};
// cgroup_sock (sock_filter_func_proto; the same for sock_create and post_bind4).
constexpr int32_t kCgroupSockHelpers[] = {46, 81, 107, 122, 160, 186, 187};
// sk_skb (sk_skb_func_proto): skb edits, sk_redirect_map/hash, socket lookups.
constexpr int32_t kSkSkbHelpers[] = {9,  26, 38, 39,  43,  46,  47,  50,  52,  72,  84,
                                     85, 86, 99, 136, 137, 138, 139, 140, 160, 178, 196};
constexpr int32_t kSyscallHelpers[] = {4,   27,  45,  46,  67,  107, 108, 111, 121, 136, 137, 138,
                                       139, 140, 147, 162, 166, 167, 168, 173, 178, 179, 188, 196};

static_assert(std::is_sorted(std::begin(kBaseHelpers), std::end(kBaseHelpers)) &&
              std::is_sorted(std::begin(kTracingHelpers), std::end(kTracingHelpers)) &&
              std::is_sorted(std::begin(kPerfEventHelpers), std::end(kPerfEventHelpers)) &&
              std::is_sorted(std::begin(kSocketFilterHelpers), std::end(kSocketFilterHelpers)) &&
              std::is_sorted(std::begin(kTcHelpers), std::end(kTcHelpers)) &&
              std::is_sorted(std::begin(kXdpHelpers), std::end(kXdpHelpers)) &&
              std::is_sorted(std::begin(kSyscallHelpers), std::end(kSyscallHelpers)) &&
              std::is_sorted(std::begin(kCgroupSkbHelpers), std::end(kCgroupSkbHelpers)) &&
              std::is_sorted(std::begin(kLwtOutHelpers), std::end(kLwtOutHelpers)) &&
              std::is_sorted(std::begin(kLwtInHelpers), std::end(kLwtInHelpers)) &&
              std::is_sorted(std::begin(kLwtXmitHelpers), std::end(kLwtXmitHelpers)) &&
              std::is_sorted(std::begin(kCgroupSockHelpers), std::end(kCgroupSockHelpers)) &&
              std::is_sorted(std::begin(kSkSkbHelpers), std::end(kSkSkbHelpers)) &&
              std::is_sorted(std::begin(sock_tables::kSockAddrHelpers),
                             std::end(sock_tables::kSockAddrHelpers)) &&
              std::is_sorted(std::begin(sock_tables::kSkMsgHelpers),
                             std::end(sock_tables::kSkMsgHelpers)) &&
              std::is_sorted(std::begin(sock_tables::kSockOpsHelpers),
                             std::end(sock_tables::kSockOpsHelpers)) &&
              std::is_sorted(std::begin(sock_tables::kSockoptHelpers),
                             std::end(sock_tables::kSockoptHelpers)) &&
              std::is_sorted(std::begin(sock_tables::kSysctlHelpers),
                             std::end(sock_tables::kSysctlHelpers)) &&
              std::is_sorted(std::begin(sock_tables::kSkReuseportHelpers),
                             std::end(sock_tables::kSkReuseportHelpers)));

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
  if (t == ProgType::kTracing) return tracing_prog_type_info();  // platform/tracing_types.cc
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
  if (is("cgroup_skb") || sec == "cgroup/skb") return ProgType::kCgroupSkb;
  if (sec == "cgroup/sock" || sec == "cgroup/sock_create" || sec == "cgroup/sock_release" ||
      sec == "cgroup/post_bind4" || sec == "cgroup/post_bind6")
    return ProgType::kCgroupSock;
  if (is("sk_skb")) return ProgType::kSkSkb;
  if (is("sk_msg")) return ProgType::kSkMsg;
  if (is("sockops")) return ProgType::kSockOps;
  if (sec == "cgroup/getsockopt" || sec == "cgroup/setsockopt") return ProgType::kCgroupSockopt;
  if (sec == "cgroup/sysctl") return ProgType::kCgroupSysctl;
  if (is("sk_reuseport")) return ProgType::kSkReuseport;
  for (std::string_view op :
       {"bind", "connect", "sendmsg", "recvmsg", "getpeername", "getsockname"})
    for (std::string_view v : {"4", "6"})
      if (sec.size() == 7 + op.size() + 1 && sec.starts_with("cgroup/") &&
          sec.substr(7, op.size()) == op && sec.ends_with(v))
        return ProgType::kCgroupSockAddr;
  if (is("lwt_in")) return ProgType::kLwtIn;
  if (is("lwt_out")) return ProgType::kLwtOut;
  if (is("lwt_xmit")) return ProgType::kLwtXmit;
  if (is("fentry") || is("fexit") || is("fmod_ret") || is("tp_btf") || is("iter"))
    return ProgType::kTracing;
  if (is("lsm")) return ProgType::kLsm;
  return std::nullopt;
}

CtxAccessResult check_ctx_access(const ProgTypeInfo& info, int64_t off, uint32_t size, bool write,
                                 AttachType attach) {
  CtxAccessResult r;
  const uint64_t attach_mask = attach_bit(effective_attach_type(info.type, attach));
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
    if (f.attach_mask != 0 && !(f.attach_mask & attach_mask)) continue;
    // A field that does not fit may have an overlapping alternative later in the list.
    if ((write && !f.writable) || (!write && !f.readable) || off + size > f.off + f.size) continue;
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
  }
  r.error = access_error(off, size);
  return r;
}

bool helper_allowed(ProgType t, int32_t id, AttachType attach) {
  std::span<const int32_t> own;
  using A = AttachType;
  switch (t) {
    case ProgType::kTracing:
      if (tracing_helper_allowed(id)) return true;
      break;
    case ProgType::kKprobe:
    case ProgType::kTracepoint:
    case ProgType::kRawTracepoint:
    case ProgType::kRawTracepointWritable:
      own = kTracingHelpers;
      break;
    case ProgType::kPerfEvent:
      own = kPerfEventHelpers;
      break;
    case ProgType::kSchedCls:
    case ProgType::kSchedAct:
      own = kTcHelpers;
      break;
    case ProgType::kSocketFilter:
      own = kSocketFilterHelpers;
      break;
    case ProgType::kXdp:
      own = kXdpHelpers;
      break;
    case ProgType::kSyscall:
      own = kSyscallHelpers;
      break;
    case ProgType::kCgroupSkb:
      own = kCgroupSkbHelpers;
      break;
    case ProgType::kLwtIn:
      own = kLwtInHelpers;
      break;
    case ProgType::kLwtOut:
      own = kLwtOutHelpers;
      break;
    case ProgType::kLwtXmit:
      own = kLwtXmitHelpers;
      break;
    case ProgType::kCgroupSock:
      own = kCgroupSockHelpers;
      break;
    case ProgType::kSkSkb:
      own = kSkSkbHelpers;
      break;
    case ProgType::kCgroupSockAddr:
      if (id == 64)  // bpf_bind
        return attach == A::kCgroupInet4Connect || attach == A::kCgroupInet6Connect;
      if (id == 186 || id == 187)  // get/set_retval: not where the return value is fixed at 1
        return return_range(t, attach).value_or(RetRange{}).lo == 0;
      own = sock_tables::kSockAddrHelpers;
      break;
    case ProgType::kSkMsg:
      own = sock_tables::kSkMsgHelpers;
      break;
    case ProgType::kSockOps:
      own = sock_tables::kSockOpsHelpers;
      break;
    case ProgType::kCgroupSockopt:
      if ((id == 49 || id == 57) && attach != A::kCgroupSetsockopt) return false;
      own = sock_tables::kSockoptHelpers;
      break;
    case ProgType::kSkReuseport:
      if (id == 25) return false;  // perf_event_output: not offered to sk_reuseport
      own = sock_tables::kSkReuseportHelpers;
      break;
    case ProgType::kCgroupSysctl:
      if (id == 186 || id == 187)  // get/set_retval: only when loaded as cgroup/sysctl
        return attach == A::kCgroupSysctl;
      own = sock_tables::kSysctlHelpers;
      break;
    default:
      return false;  // no table for this type
  }
  return in(kBaseHelpers, id) || in(own, id);
}

AttachType effective_attach_type(ProgType t, AttachType attach) {
  if (t == ProgType::kCgroupSock && attach == AttachType{})
    return AttachType::kCgroupInetSockCreate;
  return attach;
}

std::string attach_type_error(ProgType t, AttachType attach) {
  const uint64_t bit = attach_bit(attach);
  if (t == ProgType::kCgroupSockAddr && !(bit & sock_tables::kSockAddrAll))
    return "a cgroup_sock_addr program needs its attach type (expected_attach_type " +
           std::to_string(static_cast<uint32_t>(attach)) +
           " is none of bind4/6, connect4/6, sendmsg4/6, recvmsg4/6, getpeername4/6, "
           "getsockname4/6: name the section cgroup/connect4, ...)";
  if (t == ProgType::kCgroupSockopt &&
      !(bit & (sock_tables::kSockoptGet | sock_tables::kSockoptSet)))
    return "a cgroup_sockopt program needs its attach type (expected_attach_type " +
           std::to_string(static_cast<uint32_t>(attach)) +
           " is neither getsockopt nor setsockopt: name the section cgroup/getsockopt or "
           "cgroup/setsockopt)";
  if (t == ProgType::kCgroupSock &&
      !(attach_bit(effective_attach_type(t, attach)) &
        (sock_tables::kSockCreate | sock_tables::kPostBind4 | sock_tables::kPostBind6)))
    return "a cgroup_sock program attaches to sock_create, sock_release or post_bind4/6 "
           "(expected_attach_type " +
           std::to_string(static_cast<uint32_t>(attach)) + ")";
  return {};
}

std::optional<RetRange> return_range(ProgType t, AttachType attach) {
  using A = AttachType;
  switch (t) {
    case ProgType::kTracing: {
      RetRange r;
      if (tracing_return_range(attach, r.lo, r.hi)) return r;
      return std::nullopt;
    }
    case ProgType::kCgroupSkb:
      if (attach == A::kCgroupInetEgress) return RetRange{0, 3};  // bit 1: congestion (cn)
      return RetRange{0, 1};
    case ProgType::kCgroupSockAddr:
      switch (attach) {
        case A::kCgroupInet4Bind:
        case A::kCgroupInet6Bind:
          return RetRange{0, 3};  // bit 1: skip the port-reservation check
        case A::kCgroupUdp4Recvmsg:
        case A::kCgroupUdp6Recvmsg:
        case A::kCgroupInet4Getpeername:
        case A::kCgroupInet6Getpeername:
        case A::kCgroupInet4Getsockname:
        case A::kCgroupInet6Getsockname:
          return RetRange{1, 1};  // these hooks cannot refuse
        default:
          return RetRange{0, 1};
      }
    case ProgType::kCgroupSock:
    case ProgType::kSockOps:
    case ProgType::kCgroupDevice:
    case ProgType::kCgroupSysctl:
    case ProgType::kCgroupSockopt:
    case ProgType::kSkLookup:
      return RetRange{0, 1};
    default:
      return std::nullopt;
  }
}

}  // namespace bombus::platform
