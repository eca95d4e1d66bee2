// BTF func info facts the verifier needs, read from an object's BTF: whether a FUNC's return
// type is a scalar (the kernel's small int or enum test; void and pointers are not). Header-only
// so tools that build a verifier::Program from a loader::ObjectSpec (the selftest driver) use
// the same rule as runtime::verifier_input.
#pragma once

#include <cstdint>

#include "btf/btf.h"

namespace bombus::runtime {

// True also when `func_id` is not a FUNC with a FUNC_PROTO (nothing to hold against it).
inline bool btf_func_returns_scalar(const btf::Btf& b, uint32_t func_id) {
  if (!b.valid_id(func_id) || b.kind(func_id) != btf::Kind::kFunc) return true;
  const uint32_t proto = b.type(func_id).ref();
  if (!b.valid_id(proto) || b.kind(proto) != btf::Kind::kFuncProto) return true;
  const btf::Type ret = b.type(b.skip_modifiers(b.type(proto).ref()));
  return (ret.kind() == btf::Kind::kInt && ret.size() <= 8) || ret.is_enum();
}

}  // namespace bombus::runtime
