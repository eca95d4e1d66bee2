// Builds the helper table from helpers.def (prototypes) and helper_names.inc (uapi names by id),
// and answers the map/helper compatibility question the kernel's verifier asks.
#include "platform/helper_protos.h"

#include <algorithm>

namespace bombus::platform {
namespace {

constexpr std::string_view kNames[] = {
#include "platform/helper_names.inc"
};
static_assert(std::size(kNames) == kNumHelperIds);

std::array<HelperProto, kNumHelperIds> build_table() {
  std::array<HelperProto, kNumHelperIds> t{};
  for (int i = 0; i < kNumHelperIds; ++i) {
    t[i].id = i;
    t[i].name = kNames[i];
  }
#define BOMBUS_HELPER(id_, ret_, a1, a2, a3, a4, a5, flags_)                                      \
  t[id_].known = true;                                                                            \
  t[id_].ret = RetType::k##ret_;                                                                  \
  t[id_].args = {ArgType::k##a1, ArgType::k##a2, ArgType::k##a3, ArgType::k##a4, ArgType::k##a5}; \
  t[id_].flags = flags_;
#include "platform/helpers.def"
#undef BOMBUS_HELPER
  return t;
}

const std::array<HelperProto, kNumHelperIds>& table() {
  static const auto t = build_table();
  return t;
}

}  // namespace

int HelperProto::num_args() const {
  int n = 0;
  for (int i = 0; i < 5; ++i)
    if (args[i] != ArgType::kNone) n = i + 1;
  return n;
}

const HelperProto* helper_proto(int32_t id) {
  if (id < 0 || id >= kNumHelperIds) return nullptr;
  return &table()[id];
}

const HelperProto* helper_proto_by_name(std::string_view name) {
  if (name.starts_with("bpf_")) name.remove_prefix(4);
  for (const auto& p : table())
    if (p.name == name) return &p;
  return nullptr;
}

std::span<const HelperProto> helper_protos() {
  return table();
}

namespace {

// Helper ids the map-compatibility rules name (uapi BPF_FUNC_*).
enum : int32_t {
  kLookup = 1,
  kUpdate = 2,
  kDelete = 3,
  kTailCall = 12,
  kPerfEventRead = 22,
  kPerfEventOutput = 25,
  kGetStackid = 27,
  kSkbUnderCgroup = 33,
  kCurrentTaskUnderCgroup = 37,
  kRedirectMap = 51,
  kSkRedirectMap = 52,
  kSockMapUpdate = 53,
  kPerfEventReadValue = 55,
  kMsgRedirectMap = 60,
  kSockHashUpdate = 70,
  kMsgRedirectHash = 71,
  kSkRedirectHash = 72,
  kGetLocalStorage = 81,
  kSkSelectReuseport = 82,
  kPush = 87,
  kPop = 88,
  kPeek = 89,
  kSkStorageGet = 107,
  kSkStorageDelete = 108,
  kSkbOutput = 111,
  kXdpOutput = 121,
  kRingbufOutput = 130,
  kRingbufReserve = 131,
  kRingbufQuery = 134,
  kInodeStorageGet = 145,
  kInodeStorageDelete = 146,
  kTaskStorageGet = 156,
  kTaskStorageDelete = 157,
  kForEachMapElem = 164,
  kKptrXchg = 194,
  kLookupPercpu = 195,
  kRingbufReserveDynptr = 198,
  kRingbufSubmitDynptr = 199,
  kRingbufDiscardDynptr = 200,
  kUserRingbufDrain = 209,
  kCgrpStorageGet = 210,
  kCgrpStorageDelete = 211,
};

bool one_of(int32_t id, std::initializer_list<int32_t> ids) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The kernel's may_update_sockmap: program types that can never hold a locked socket may update
// and delete sockmap/sockhash entries with the generic map helpers.
bool may_update_sockmap(int32_t id, ProgType prog) {
  if (id != kUpdate && id != kDelete) return false;
  switch (prog) {
    case ProgType::kSockOps:
      return id == kDelete;  // updates go through the dedicated helpers
    case ProgType::kSocketFilter:
    case ProgType::kSchedCls:
    case ProgType::kSchedAct:
    case ProgType::kXdp:
    case ProgType::kSkReuseport:
    case ProgType::kFlowDissector:
    case ProgType::kSkLookup:
      return true;
    default:
      return false;
  }
}

// Direction 1: maps with special semantics take only their own helpers.
bool map_allows(MapType t, int32_t id, ProgType prog) {
  using M = MapType;
  switch (t) {
    case M::kProgArray:
      return id == kTailCall;
    case M::kPerfEventArray:
      return one_of(
          id, {kPerfEventRead, kPerfEventOutput, kSkbOutput, kPerfEventReadValue, kXdpOutput});
    case M::kRingbuf:
      return one_of(id, {kRingbufOutput, kRingbufReserve, kRingbufQuery, kRingbufReserveDynptr,
                         kRingbufSubmitDynptr, kRingbufDiscardDynptr});
    case M::kUserRingbuf:
      return id == kUserRingbufDrain;
    case M::kStackTrace:
      return id == kGetStackid;
    case M::kCgroupArray:
      return one_of(id, {kSkbUnderCgroup, kCurrentTaskUnderCgroup});
    case M::kCgroupStorage:
    case M::kPercpuCgroupStorage:
      return id == kGetLocalStorage;
    case M::kDevmap:
    case M::kDevmapHash:
    case M::kXskmap:
      return one_of(id, {kRedirectMap, kLookup});
    case M::kCpumap:
      return id == kRedirectMap;
    case M::kArrayOfMaps:
    case M::kHashOfMaps:
      return id == kLookup;
    case M::kSockmap:
      return one_of(id, {kSkRedirectMap, kSockMapUpdate, kMsgRedirectMap, kSkSelectReuseport,
                         kLookup}) ||
             may_update_sockmap(id, prog);
    case M::kSockhash:
      return one_of(id, {kSkRedirectHash, kSockHashUpdate, kMsgRedirectHash, kSkSelectReuseport,
                         kLookup}) ||
             may_update_sockmap(id, prog);
    case M::kReuseportSockarray:
      return id == kSkSelectReuseport;
    case M::kQueue:
    case M::kStack:
      return one_of(id, {kPeek, kPop, kPush});
    case M::kSkStorage:
      return one_of(id, {kSkStorageGet, kSkStorageDelete, kKptrXchg});
    case M::kInodeStorage:
      return one_of(id, {kInodeStorageGet, kInodeStorageDelete, kKptrXchg});
    case M::kTaskStorage:
      return one_of(id, {kTaskStorageGet, kTaskStorageDelete, kKptrXchg});
    case M::kCgrpStorage:
      return one_of(id, {kCgrpStorageGet, kCgrpStorageDelete, kKptrXchg});
    case M::kBloomFilter:
      return one_of(id, {kPeek, kPush});
    default:
      return true;
  }
}

// Direction 2: helpers made for one kind of map take only that kind.
bool helper_allows(int32_t id, MapType t) {
  using M = MapType;
  auto is = [t](std::initializer_list<MapType> ts) {
    return std::find(ts.begin(), ts.end(), t) != ts.end();
  };
  switch (id) {
    case kTailCall:
      return t == M::kProgArray;
    case kPerfEventRead:
    case kPerfEventOutput:
    case kPerfEventReadValue:
    case kSkbOutput:
    case kXdpOutput:
      return t == M::kPerfEventArray;
    case kRingbufOutput:
    case kRingbufReserve:
    case kRingbufQuery:
    case kRingbufReserveDynptr:
    case kRingbufSubmitDynptr:
    case kRingbufDiscardDynptr:
      return t == M::kRingbuf;
    case kUserRingbufDrain:
      return t == M::kUserRingbuf;
    case kGetStackid:
      return t == M::kStackTrace;
    case kCurrentTaskUnderCgroup:
    case kSkbUnderCgroup:
      return t == M::kCgroupArray;
    case kRedirectMap:
      return is({M::kDevmap, M::kDevmapHash, M::kCpumap, M::kXskmap});
    case kSkRedirectMap:
    case kMsgRedirectMap:
    case kSockMapUpdate:
      return t == M::kSockmap;
    case kSkRedirectHash:
    case kMsgRedirectHash:
    case kSockHashUpdate:
      return t == M::kSockhash;
    case kGetLocalStorage:
      return is({M::kCgroupStorage, M::kPercpuCgroupStorage});
    case kSkSelectReuseport:
      return is({M::kReuseportSockarray, M::kSockmap, M::kSockhash});
    case kPop:
      return is({M::kQueue, M::kStack});
    case kPeek:
    case kPush:
      return is({M::kQueue, M::kStack, M::kBloomFilter});
    case kLookupPercpu:
      return is({M::kPercpuArray, M::kPercpuHash, M::kLruPercpuHash});
    case kSkStorageGet:
    case kSkStorageDelete:
      return t == M::kSkStorage;
    case kInodeStorageGet:
    case kInodeStorageDelete:
      return t == M::kInodeStorage;
    case kTaskStorageGet:
    case kTaskStorageDelete:
      return t == M::kTaskStorage;
    case kCgrpStorageGet:
    case kCgrpStorageDelete:
      return t == M::kCgrpStorage;
    // Not the kernel's map check but its callback check: only maps with an iteration callback.
    case kForEachMapElem:
      return is(
          {M::kHash, M::kLruHash, M::kArray, M::kPercpuHash, M::kPercpuArray, M::kLruPercpuHash});
    default:
      return true;
  }
}

}  // namespace

bool helper_accepts_map(int32_t id, MapType t, ProgType prog) {
  return map_allows(t, id, prog) && helper_allows(id, t);
}

std::string_view arg_type_name(ArgType a) {
  switch (a) {
    case ArgType::kNone:
      return "ARG_DONTCARE";
    case ArgType::kAnything:
      return "ARG_ANYTHING";
    case ArgType::kConstMapPtr:
      return "ARG_CONST_MAP_PTR";
    case ArgType::kPtrToMapKey:
      return "ARG_PTR_TO_MAP_KEY";
    case ArgType::kPtrToMapValue:
      return "ARG_PTR_TO_MAP_VALUE";
    case ArgType::kPtrToUninitMapValue:
      return "ARG_PTR_TO_UNINIT_MAP_VALUE";
    case ArgType::kPtrToMapValueOrNull:
      return "ARG_PTR_TO_MAP_VALUE_OR_NULL";
    case ArgType::kPtrToMem:
      return "ARG_PTR_TO_MEM";
    case ArgType::kPtrToMemOrNull:
      return "ARG_PTR_TO_MEM_OR_NULL";
    case ArgType::kPtrToUninitMem:
      return "ARG_PTR_TO_UNINIT_MEM";
    case ArgType::kConstSize:
      return "ARG_CONST_SIZE";
    case ArgType::kConstSizeOrZero:
      return "ARG_CONST_SIZE_OR_ZERO";
    case ArgType::kPtrToCtx:
      return "ARG_PTR_TO_CTX";
    case ArgType::kPtrToCtxOrNull:
      return "ARG_PTR_TO_CTX_OR_NULL";
    case ArgType::kPtrToStackOrNull:
      return "ARG_PTR_TO_STACK_OR_NULL";
    case ArgType::kPtrToFunc:
      return "ARG_PTR_TO_FUNC";
    case ArgType::kPtrToSpinLock:
      return "ARG_PTR_TO_SPIN_LOCK";
    case ArgType::kPtrToTimer:
      return "ARG_PTR_TO_TIMER";
    case ArgType::kPtrToInt:
      return "ARG_PTR_TO_INT";
    case ArgType::kPtrToLong:
      return "ARG_PTR_TO_LONG";
    case ArgType::kPtrToConstStr:
      return "ARG_PTR_TO_CONST_STR";
    case ArgType::kPtrToAllocMem:
      return "ARG_PTR_TO_ALLOC_MEM";
    case ArgType::kConstAllocSizeOrZero:
      return "ARG_CONST_ALLOC_SIZE_OR_ZERO";
    case ArgType::kPtrToDynptr:
      return "ARG_PTR_TO_DYNPTR";
    case ArgType::kPtrToBtfId:
      return "ARG_PTR_TO_BTF_ID";
    case ArgType::kPtrToSockCommon:
      return "ARG_PTR_TO_SOCK_COMMON";
    case ArgType::kPtrToBtfIdSockCommon:
      return "ARG_PTR_TO_BTF_ID_SOCK_COMMON";
  }
  return "?";
}

std::string_view ret_type_name(RetType r) {
  switch (r) {
    case RetType::kInteger:
      return "RET_INTEGER";
    case RetType::kVoid:
      return "RET_VOID";
    case RetType::kPtrToMapValue:
      return "RET_PTR_TO_MAP_VALUE";
    case RetType::kPtrToMapValueOrNull:
      return "RET_PTR_TO_MAP_VALUE_OR_NULL";
    case RetType::kPtrToAllocMemOrNull:
      return "RET_PTR_TO_ALLOC_MEM_OR_NULL";
    case RetType::kPtrToBtfIdOrNull:
      return "RET_PTR_TO_BTF_ID_OR_NULL";
    case RetType::kPtrToMemOrBtfId:
      return "RET_PTR_TO_MEM_OR_BTF_ID";
    case RetType::kPtrToSocketOrNull:
      return "RET_PTR_TO_SOCKET_OR_NULL";
    case RetType::kPtrToTcpSockOrNull:
      return "RET_PTR_TO_TCP_SOCK_OR_NULL";
    case RetType::kPtrToSockCommonOrNull:
      return "RET_PTR_TO_SOCK_COMMON_OR_NULL";
    case RetType::kPtrToBtfIdTrusted:
      return "RET_PTR_TO_BTF_ID_TRUSTED";
  }
  return "?";
}

}  // namespace bombus::platform
