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

bool helper_accepts_map(int32_t id, MapType t) {
  using M = MapType;
  auto in = [&](std::initializer_list<int32_t> ids) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  // Direction 1: special map types accept only their own helpers.
  switch (t) {
    case M::kProgArray:
      if (id != 12) return false;
      break;
    case M::kPerfEventArray:
      if (!in({22, 25, 55, 111, 121})) return false;
      break;
    case M::kRingbuf:
      if (!in({130, 131, 134, 198})) return false;
      break;
    case M::kUserRingbuf:
      if (id != 209) return false;
      break;
    case M::kStackTrace:
      if (id != 27) return false;
      break;
    case M::kCgroupArray:
      if (!in({33, 37})) return false;
      break;
    case M::kDevmap:
    case M::kDevmapHash:
    case M::kXskmap:
      if (!in({51, 1})) return false;
      break;
    case M::kCpumap:
      if (id != 51) return false;
      break;
    case M::kArrayOfMaps:
    case M::kHashOfMaps:
      if (id != 1) return false;
      break;
    case M::kQueue:
    case M::kStack:
      if (!in({87, 88, 89})) return false;
      break;
    case M::kBloomFilter:
      if (!in({87, 89})) return false;
      break;
    default:
      break;
  }
  // Direction 2: special helpers accept only their own map types.
  switch (id) {
    case 12:
      return t == M::kProgArray;
    case 22:
    case 25:
    case 55:
    case 111:
    case 121:
      return t == M::kPerfEventArray;
    case 130:
    case 131:
    case 134:
      return t == M::kRingbuf;
    case 209:
      return t == M::kUserRingbuf;
    case 27:
      return t == M::kStackTrace;
    case 33:
    case 37:
      return t == M::kCgroupArray;
    case 51:
      return t == M::kDevmap || t == M::kDevmapHash || t == M::kCpumap || t == M::kXskmap;
    case 87:
    case 89:
      return t == M::kQueue || t == M::kStack || t == M::kBloomFilter;
    case 88:
      return t == M::kQueue || t == M::kStack;
    case 195:
      return t == M::kPercpuArray || t == M::kPercpuHash || t == M::kLruPercpuHash;
    case 164:
      return t == M::kHash || t == M::kLruHash || t == M::kArray || t == M::kPercpuHash ||
             t == M::kPercpuArray || t == M::kLruPercpuHash;
    default:
      return true;
  }
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
  }
  return "?";
}

}  // namespace bombus::platform
