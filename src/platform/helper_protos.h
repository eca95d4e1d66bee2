// The helper table as data: for every kernel helper id (uapi numbering, BPF_FUNC_*), its name,
// return type, argument types (the kernel's ARG_* / RET_* vocabulary), GPL-only flag and a few
// properties the verifier needs. One source of truth for the verifier, the interpreter and the
// JIT; the implementations live in src/vm/helpers and are indexed by the same id.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "platform/uapi.h"

namespace bombus::platform {

enum class ArgType : uint8_t {
  kNone,                 // argument not used (ARG_DONTCARE)
  kAnything,             // any scalar or pointer (ARG_ANYTHING)
  kConstMapPtr,          // ARG_CONST_MAP_PTR
  kPtrToMapKey,          // ARG_PTR_TO_MAP_KEY: readable key_size bytes
  kPtrToMapValue,        // ARG_PTR_TO_MAP_VALUE: readable value_size bytes
  kPtrToUninitMapValue,  // ARG_PTR_TO_MAP_VALUE | MEM_UNINIT: writable value_size bytes
  kPtrToMapValueOrNull,
  kPtrToMem,  // ARG_PTR_TO_MEM (readable), size in the next ARG_CONST_SIZE*
  kPtrToMemOrNull,
  kPtrToUninitMem,   // ARG_PTR_TO_UNINIT_MEM (written by the helper), size in the next arg
  kConstSize,        // ARG_CONST_SIZE (> 0)
  kConstSizeOrZero,  // ARG_CONST_SIZE_OR_ZERO
  kPtrToCtx,         // ARG_PTR_TO_CTX
  kPtrToCtxOrNull,
  kPtrToStackOrNull,      // ARG_PTR_TO_STACK_OR_NULL (callback context)
  kPtrToFunc,             // ARG_PTR_TO_FUNC (callback: ld_imm64 BPF_PSEUDO_FUNC)
  kPtrToSpinLock,         // ARG_PTR_TO_SPIN_LOCK: a struct bpf_spin_lock in a map value
  kPtrToTimer,            // ARG_PTR_TO_TIMER: a struct bpf_timer in a map value
  kPtrToInt,              // ARG_PTR_TO_INT (writable 4 bytes)
  kPtrToLong,             // ARG_PTR_TO_LONG (writable 8 bytes)
  kPtrToConstStr,         // ARG_PTR_TO_CONST_STR: NUL-terminated string in a read-only map
  kPtrToAllocMem,         // ARG_PTR_TO_ALLOC_MEM: a ringbuf_reserve result (released)
  kConstAllocSizeOrZero,  // ARG_CONST_ALLOC_SIZE_OR_ZERO (ringbuf_reserve size)
  kPtrToDynptr,
  kPtrToBtfId,            // kernel objects (task, sock, ...): not supported in user space
  kPtrToSockCommon,       // ARG_PTR_TO_SOCK_COMMON: a non-NULL socket pointer (sk_fullsock, ...)
  kPtrToBtfIdSockCommon,  // ARG_PTR_TO_BTF_ID_SOCK_COMMON: socket pointer (sk_release, skc_to_*)
};

enum class RetType : uint8_t {
  kInteger,              // RET_INTEGER
  kVoid,                 // RET_VOID
  kPtrToMapValue,        // RET_PTR_TO_MAP_VALUE
  kPtrToMapValueOrNull,  // RET_PTR_TO_MAP_VALUE_OR_NULL (value_size bytes of the map arg)
  kPtrToAllocMemOrNull,  // RET_PTR_TO_ALLOC_MEM_OR_NULL (size = the const size arg)
  kPtrToBtfIdOrNull,     // kernel object pointer (unsupported in user space)
  kPtrToMemOrBtfId,
  kPtrToSocketOrNull,      // RET_PTR_TO_SOCKET_OR_NULL
  kPtrToTcpSockOrNull,     // RET_PTR_TO_TCP_SOCK_OR_NULL
  kPtrToSockCommonOrNull,  // RET_PTR_TO_SOCK_COMMON_OR_NULL
  kPtrToBtfIdTrusted,      // RET_PTR_TO_BTF_ID_TRUSTED (never NULL: get_current_task_btf)
};

// Helper properties (bit flags).
inline constexpr uint32_t kGplOnly = 1u << 0;         // needs a GPL-compatible license
inline constexpr uint32_t kPktAccess = 1u << 1;       // may take packet pointers as memory args
inline constexpr uint32_t kChangesPktData = 1u << 2;  // invalidates packet pointers
inline constexpr uint32_t kCallback = 1u << 3;        // calls back into the program (loop, ...)
inline constexpr uint32_t kReleasesRef = 1u << 4;     // releases arg1 (ringbuf submit/discard)
inline constexpr uint32_t kAcquiresRef = 1u << 5;     // result must be released (ringbuf_reserve)
inline constexpr uint32_t kPtrCast = 1u << 6;  // result is arg1 seen as another type (same ref)

struct HelperProto {
  int32_t id = 0;
  std::string_view name;  // without the "bpf_" prefix, e.g. "map_lookup_elem"
  bool known = false;     // a prototype is defined (else name only)
  RetType ret = RetType::kInteger;
  std::array<ArgType, 5> args{};
  uint32_t flags = 0;

  bool gpl_only() const { return flags & kGplOnly; }
  bool changes_pkt_data() const { return flags & kChangesPktData; }
  int num_args() const;
};

inline constexpr int kNumHelperIds = 210;  // ids 0..209 in the uapi this tree is built against

// Prototype for `id`, or nullptr when id is out of range. For ids without a prototype the
// result has known == false (the verifier rejects calls to them as "unknown func").
const HelperProto* helper_proto(int32_t id);
// Lookup by name ("map_lookup_elem" or "bpf_map_lookup_elem"); nullptr when unknown.
const HelperProto* helper_proto_by_name(std::string_view name);
// All ids 0..kNumHelperIds-1, in id order.
std::span<const HelperProto> helper_protos();

// Whether helper `id` accepts a map of type `t` as its ARG_CONST_MAP_PTR in a program of type
// `prog` (the kernel's check_map_func_compatibility, both directions; sockmap/sockhash updates
// and deletes depend on the program type, kUnspec allows none).
bool helper_accepts_map(int32_t id, MapType t, ProgType prog = ProgType::kUnspec);

std::string_view arg_type_name(ArgType a);  // kernel spelling, e.g. "ARG_PTR_TO_MAP_KEY"
std::string_view ret_type_name(RetType r);

}  // namespace bombus::platform
