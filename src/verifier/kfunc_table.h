// bombus's description of the kernel functions (kfuncs) programs call. The kernel keeps a kfunc's
// flags (KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, KF_ITER_*, ...) and the program types allowed to call
// it in BTF id sets compiled into the kernel, not in BTF, so the verifier needs its own table: one
// entry per kfunc with the facts of the kernel's BTF_ID_FLAGS lists, argument and return kinds
// (from the kfunc's C prototype), and the id set it belongs to (which program types may call it).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "platform/uapi.h"

namespace bombus::verifier {

// KF_* flags (the kernel's meaning; values are bombus's own).
enum KfuncFlag : uint32_t {
  kKfAcquire = 1u << 0,      // returns a referenced pointer that must be released
  kKfRelease = 1u << 1,      // releases the reference its pointer argument holds
  kKfRetNull = 1u << 2,      // the returned pointer may be NULL
  kKfTrustedArgs = 1u << 3,  // pointer arguments must be trusted (refcounted or from the kernel)
  kKfRcu = 1u << 4,          // pointer arguments may also be RCU-protected
  kKfSleepable = 1u << 5,
  kKfIterNew = 1u << 6,  // bpf_iter_<kind>_new: initialises the iterator at arg 0
  kKfIterNext = 1u << 7,
  kKfIterDestroy = 1u << 8,
  kKfRcuLock = 1u << 9,  // bpf_rcu_read_lock / unlock
  kKfRcuUnlock = 1u << 10,
};

// Kernel object a BTF pointer points to (struct name), for argument/return type checks.
enum class BtfObj : uint8_t { kAny, kTask, kCgroup, kBpfCpumask, kCpumask };

enum class KArg : uint8_t {
  kScalar,        // an integer
  kAnything,      // "__ign" suffix: not checked at all
  kIter,          // pointer to the iterator of the kfunc's kind on the stack
  kBtfPtr,        // pointer to a kernel object (arg_obj)
  kDynptr,        // pointer to an initialised dynptr on the stack
  kDynptrUninit,  // "__uninit": a stack dynptr the kfunc initialises
  kBufOpt,        // "__opt" buffer: NULL or memory of the size given by the next (constant) arg
  kConstSize,     // "__szk": a known constant (the size of the previous buffer / the result)
};

enum class KRet : uint8_t {
  kVoid,
  kScalar,
  kBtfPtr,    // pointer to ret_obj
  kIterElem,  // next(): pointer to ret_size bytes of the iterator's element, or NULL
  kSlice,     // dynptr slice: memory of the size given by the kConstSize argument, or NULL
};

// The kernel id set a kfunc is registered in, which decides the program types that may call it.
enum class KfuncSet : uint8_t {
  kCommon,   // every program type (common_kfunc_set: iterators, rcu, dynptr, ...)
  kGeneric,  // tracing, tc, xdp, struct_ops, syscall, cgroup_skb, tracepoint, perf_event
  kCpumask,  // tracing, lsm, struct_ops, syscall, tracepoint, perf_event
  kXdp,      // xdp only (bpf_dynptr_from_xdp)
  kSkb,      // tc / socket-level skb programs (bpf_dynptr_from_skb)
};

struct IterKind {
  const char* name;  // "num" -> struct bpf_iter_num, messages say "iter_num"
  int size;          // bytes of the iterator struct on the stack
  uint32_t elem;     // bytes next() returns a pointer to
};

struct KfuncDesc {
  const char* name;
  KfuncSet set;
  uint32_t flags;
  KRet ret;
  BtfObj ret_obj;
  int8_t iter;  // iterator kind index for iterator kfuncs, else -1
  uint8_t nargs;
  std::array<KArg, 5> args;
  std::array<BtfObj, 5> arg_obj;
};

const KfuncDesc* find_kfunc(std::string_view name);
const IterKind& iter_kind(int index);
bool kfunc_allowed(const KfuncDesc& d, platform::ProgType type);
const char* btf_obj_name(BtfObj o);  // "task_struct", "cgroup", ...

}  // namespace bombus::verifier
