// Program types as data: for each supported BPF_PROG_TYPE_*, its name, how its context looks to
// the program (uapi fields with access rules, or a plain byte buffer), where each field really
// lives in bombus's structs (ctx_structs.h), which helpers it may call, and test-run facts.
// The verifier checks ctx accesses with check_ctx_access(); the ctx-rewrite pass uses the same
// answer to retarget loads/stores; engines and the runtime only see the rewritten program.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "platform/uapi.h"

namespace bombus::platform {

enum class FieldKind : uint8_t {
  kScalar,     // plain integer
  kPktData,    // PTR_TO_PACKET
  kPktEnd,     // PTR_TO_PACKET_END
  kPktMeta,    // PTR_TO_PACKET_META
  kPtrOrNull,  // a kernel object pointer that is always NULL in bombus (sk, flow_keys)
  kSocket,     // a struct bpf_sock pointer that is never NULL (PTR_TO_SOCKET: sock_addr->sk)
  // Socket pointers that may be NULL (platform/sock_fields.h): PTR_TO_SOCK_COMMON_OR_NULL
  // (__sk_buff.sk), PTR_TO_SOCKET_OR_NULL.
  kSockCommonOrNull,
  kSocketOrNull,
};

// Bit of an attach type in CtxField::attach_mask.
constexpr uint64_t attach_bit(AttachType a) {
  return uint64_t{1} << static_cast<uint32_t>(a);
}

struct CtxField {
  std::string_view name;
  uint32_t off = 0, size = 0;            // in the uapi struct
  uint32_t real_off = 0, real_size = 0;  // in bombus's struct
  bool readable = true, writable = false;
  FieldKind kind = FieldKind::kScalar;
  bool narrow = true;        // loads narrower than the field are allowed (at aligned offsets)
  bool array = false;        // an array of u32 (cb[]): any 1/2/4/8-byte aligned access inside
  uint64_t attach_mask = 0;  // attach types that see the field (attach_bit); 0: all of them
};

enum class CtxModel : uint8_t {
  kFields,  // only listed fields are accessible
  kBytes,   // ctx is plain bytes [bytes_min, bytes_max), read-only unless bytes_writable
};

struct ProgTypeInfo {
  ProgType type = ProgType::kUnspec;
  std::string_view name;  // bpftool's spelling: "xdp", "sched_cls", "socket_filter", ...
  CtxModel model = CtxModel::kFields;
  uint32_t ctx_size = 0;       // sizeof the uapi ctx struct (kBytes: default test-run size)
  uint32_t real_ctx_size = 0;  // sizeof bombus's struct (== ctx_size when no rewrite)
  std::span<const CtxField> fields;
  uint32_t bytes_min = 0, bytes_max = 0;  // kBytes: accessible range
  bool bytes_writable = false;
  bool ld_abs = false;  // LD_ABS / LD_IND allowed (socket filter, tc)
  bool direct_packet_access = false;
  bool packet_write = false;   // stores through packet pointers allowed
  bool test_run = false;       // BPF_PROG_TEST_RUN supported
  bool needs_rewrite = false;  // ctx accesses must go through the ctx-rewrite pass
};

// Info for a program type; nullptr when bombus does not support the type.
const ProgTypeInfo* prog_type_info(ProgType t);
// By bpftool name ("xdp", "sched_cls", "kprobe", ...).
const ProgTypeInfo* prog_type_by_name(std::string_view name);
std::span<const ProgTypeInfo> supported_prog_types();
// Program type from a libbpf section name ("xdp", "tc", "classifier/x", "kprobe/..",
// "tracepoint/a/b", "raw_tp/x", "socket", "syscall", "perf_event", ...). nullopt when unknown.
std::optional<ProgType> prog_type_from_section(std::string_view sec);

// The answer to "may the program access ctx+off with this size": where it really lives.
struct CtxAccess {
  const CtxField* field = nullptr;  // null for kBytes contexts
  uint32_t real_off = 0;            // offset in bombus's struct
  uint32_t real_size = 0;           // access width there (1/2/4/8)
  FieldKind kind = FieldKind::kScalar;
};
// Returns the rewritten location, or an error message in the kernel's words
// ("invalid bpf_context access off=%d size=%d"). `attach` is the program's
// expected_attach_type as loaded (0 when none was given; see effective_attach_type).
struct CtxAccessResult {
  std::optional<CtxAccess> access;
  std::string error;
  bool ok() const { return access.has_value(); }
};
CtxAccessResult check_ctx_access(const ProgTypeInfo& info, int64_t off, uint32_t size, bool write,
                                 AttachType attach = {});

// Whether a program of type `t` (attached as `attach`) may call helper `id` (the kernel's
// per-type get_func_proto; sock_addr and sockopt lists depend on the attach type).
bool helper_allowed(ProgType t, int32_t id, AttachType attach = {});

// The attach type the kernel works with: cgroup_sock loaded without one (0) is sock_create.
AttachType effective_attach_type(ProgType t, AttachType attach);
// Empty when `attach` is a valid expected_attach_type for `t`; otherwise why not (the kernel
// refuses such a load with EINVAL before verifying): sock_addr and sockopt programs need one.
std::string attach_type_error(ProgType t, AttachType attach);

// The values r0 may hold at the main program's exit (the kernel's check_return_code), or
// nullopt when the type does not restrict them.
struct RetRange {
  int32_t lo = 0, hi = 0;
};
std::optional<RetRange> return_range(ProgType t, AttachType attach = {});

}  // namespace bombus::platform
