// The kfunc table (see kfunc_table.h). Flags are the kernel's BTF_ID_FLAGS facts; argument kinds
// follow each kfunc's C prototype and its parameter-name suffixes (__ign, __uninit, __opt, __szk).
#include "verifier/kfunc_table.h"

namespace bombus::verifier {
namespace {

using A = KArg;
using O = BtfObj;
using S = KfuncSet;

constexpr IterKind kIters[] = {
    {"num", 8, 4},    // struct bpf_iter_num { u64 __opaque[1]; }, next() returns int *
    {"bits", 16, 4},  // struct bpf_iter_bits { u64 __opaque[2]; }, next() returns int *
};
constexpr int8_t kNum = 0, kBits = 1;
constexpr O kNo = O::kAny;

constexpr KfuncDesc kTable[] = {
    // Open-coded iterators.
    {"bpf_iter_num_new",
     S::kCommon,
     kKfIterNew,
     KRet::kScalar,
     kNo,
     kNum,
     3,
     {A::kIter, A::kScalar, A::kScalar},
     {}},
    {"bpf_iter_num_next",
     S::kCommon,
     kKfIterNext | kKfRetNull,
     KRet::kIterElem,
     kNo,
     kNum,
     1,
     {A::kIter},
     {}},
    {"bpf_iter_num_destroy", S::kCommon, kKfIterDestroy, KRet::kVoid, kNo, kNum, 1, {A::kIter}, {}},
    {"bpf_iter_bits_new",
     S::kCommon,
     kKfIterNew,
     KRet::kScalar,
     kNo,
     kBits,
     3,
     {A::kIter, A::kAnything, A::kScalar},
     {}},
    {"bpf_iter_bits_next",
     S::kCommon,
     kKfIterNext | kKfRetNull,
     KRet::kIterElem,
     kNo,
     kBits,
     1,
     {A::kIter},
     {}},
    {"bpf_iter_bits_destroy",
     S::kCommon,
     kKfIterDestroy,
     KRet::kVoid,
     kNo,
     kBits,
     1,
     {A::kIter},
     {}},
    // RCU read-side sections.
    {"bpf_rcu_read_lock", S::kCommon, kKfRcuLock, KRet::kVoid, kNo, -1, 0, {}, {}},
    {"bpf_rcu_read_unlock", S::kCommon, kKfRcuUnlock, KRet::kVoid, kNo, -1, 0, {}, {}},
    // Dynptrs.
    {"bpf_dynptr_slice",
     S::kCommon,
     kKfRetNull,
     KRet::kSlice,
     kNo,
     -1,
     4,
     {A::kDynptr, A::kScalar, A::kBufOpt, A::kConstSize},
     {}},
    {"bpf_dynptr_slice_rdwr",
     S::kCommon,
     kKfRetNull,
     KRet::kSlice,
     kNo,
     -1,
     4,
     {A::kDynptr, A::kScalar, A::kBufOpt, A::kConstSize},
     {}},
    {"bpf_dynptr_adjust",
     S::kCommon,
     0,
     KRet::kScalar,
     kNo,
     -1,
     3,
     {A::kDynptr, A::kScalar, A::kScalar},
     {}},
    {"bpf_dynptr_is_null", S::kCommon, 0, KRet::kScalar, kNo, -1, 1, {A::kDynptr}, {}},
    {"bpf_dynptr_is_rdonly", S::kCommon, 0, KRet::kScalar, kNo, -1, 1, {A::kDynptr}, {}},
    {"bpf_dynptr_size", S::kCommon, 0, KRet::kScalar, kNo, -1, 1, {A::kDynptr}, {}},
    {"bpf_dynptr_clone",
     S::kCommon,
     0,
     KRet::kScalar,
     kNo,
     -1,
     2,
     {A::kDynptr, A::kDynptrUninit},
     {}},
    {"bpf_dynptr_from_xdp",
     S::kXdp,
     0,
     KRet::kScalar,
     kNo,
     -1,
     3,
     {A::kAnything, A::kScalar, A::kDynptrUninit},
     {}},
    {"bpf_dynptr_from_skb",
     S::kSkb,
     0,
     KRet::kScalar,
     kNo,
     -1,
     3,
     {A::kAnything, A::kScalar, A::kDynptrUninit},
     {}},
    // Tasks and cgroups (the generic set).
    {"bpf_task_acquire",
     S::kGeneric,
     kKfAcquire | kKfRcu | kKfRetNull,
     KRet::kBtfPtr,
     O::kTask,
     -1,
     1,
     {A::kBtfPtr},
     {O::kTask}},
    {"bpf_task_release",
     S::kGeneric,
     kKfRelease,
     KRet::kVoid,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kTask}},
    {"bpf_task_from_pid",
     S::kGeneric,
     kKfAcquire | kKfRetNull,
     KRet::kBtfPtr,
     O::kTask,
     -1,
     1,
     {A::kScalar},
     {}},
    {"bpf_cgroup_acquire",
     S::kGeneric,
     kKfAcquire | kKfRcu | kKfRetNull,
     KRet::kBtfPtr,
     O::kCgroup,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCgroup}},
    {"bpf_cgroup_release",
     S::kGeneric,
     kKfRelease,
     KRet::kVoid,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCgroup}},
    {"bpf_cgroup_ancestor",
     S::kGeneric,
     kKfAcquire | kKfRcu | kKfRetNull,
     KRet::kBtfPtr,
     O::kCgroup,
     -1,
     2,
     {A::kBtfPtr, A::kScalar},
     {O::kCgroup}},
    {"bpf_cgroup_from_id",
     S::kGeneric,
     kKfAcquire | kKfRetNull,
     KRet::kBtfPtr,
     O::kCgroup,
     -1,
     1,
     {A::kScalar},
     {}},
    {"bpf_task_under_cgroup",
     S::kGeneric,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     2,
     {A::kBtfPtr, A::kBtfPtr},
     {O::kTask, O::kCgroup}},
    // cpumasks.
    {"bpf_cpumask_create",
     S::kCpumask,
     kKfAcquire | kKfRetNull,
     KRet::kBtfPtr,
     O::kBpfCpumask,
     -1,
     0,
     {},
     {}},
    {"bpf_cpumask_acquire",
     S::kCpumask,
     kKfAcquire | kKfTrustedArgs,
     KRet::kBtfPtr,
     O::kBpfCpumask,
     -1,
     1,
     {A::kBtfPtr},
     {O::kBpfCpumask}},
    {"bpf_cpumask_release",
     S::kCpumask,
     kKfRelease,
     KRet::kVoid,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kBpfCpumask}},
    {"bpf_cpumask_first",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCpumask}},
    {"bpf_cpumask_first_zero",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCpumask}},
    {"bpf_cpumask_first_and",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     2,
     {A::kBtfPtr, A::kBtfPtr},
     {O::kCpumask, O::kCpumask}},
    {"bpf_cpumask_set_cpu",
     S::kCpumask,
     kKfRcu,
     KRet::kVoid,
     kNo,
     -1,
     2,
     {A::kScalar, A::kBtfPtr},
     {kNo, O::kBpfCpumask}},
    {"bpf_cpumask_clear_cpu",
     S::kCpumask,
     kKfRcu,
     KRet::kVoid,
     kNo,
     -1,
     2,
     {A::kScalar, A::kBtfPtr},
     {kNo, O::kBpfCpumask}},
    {"bpf_cpumask_test_cpu",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     2,
     {A::kScalar, A::kBtfPtr},
     {kNo, O::kCpumask}},
    {"bpf_cpumask_setall",
     S::kCpumask,
     kKfRcu,
     KRet::kVoid,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kBpfCpumask}},
    {"bpf_cpumask_clear",
     S::kCpumask,
     kKfRcu,
     KRet::kVoid,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kBpfCpumask}},
    {"bpf_cpumask_weight",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCpumask}},
    {"bpf_cpumask_empty",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCpumask}},
    {"bpf_cpumask_full",
     S::kCpumask,
     kKfRcu,
     KRet::kScalar,
     kNo,
     -1,
     1,
     {A::kBtfPtr},
     {O::kCpumask}},
};

}  // namespace

const KfuncDesc* find_kfunc(std::string_view name) {
  for (const KfuncDesc& d : kTable)
    if (name == d.name) return &d;
  return nullptr;
}

const IterKind& iter_kind(int index) {
  return kIters[index];
}

bool kfunc_allowed(const KfuncDesc& d, platform::ProgType t) {
  using P = platform::ProgType;
  switch (d.set) {
    case S::kCommon:
      return true;
    case S::kGeneric:
      return t == P::kTracing || t == P::kSchedCls || t == P::kXdp || t == P::kStructOps ||
             t == P::kSyscall || t == P::kCgroupSkb || t == P::kTracepoint || t == P::kPerfEvent;
    case S::kCpumask:
      return t == P::kTracing || t == P::kLsm || t == P::kStructOps || t == P::kSyscall ||
             t == P::kTracepoint || t == P::kPerfEvent;
    case S::kXdp:
      return t == P::kXdp;
    case S::kSkb:
      return t == P::kSchedCls || t == P::kSchedAct || t == P::kSocketFilter ||
             t == P::kCgroupSkb || t == P::kLwtIn || t == P::kLwtOut || t == P::kLwtXmit ||
             t == P::kLwtSeg6local || t == P::kSkSkb || t == P::kNetfilter;
  }
  return false;
}

const char* btf_obj_name(BtfObj o) {
  switch (o) {
    case O::kAny:
      return "?";
    case O::kTask:
      return "task_struct";
    case O::kCgroup:
      return "cgroup";
    case O::kBpfCpumask:
      return "bpf_cpumask";
    case O::kCpumask:
      return "cpumask";
  }
  return "?";
}

}  // namespace bombus::verifier
