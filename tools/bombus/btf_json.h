// bpftool's JSON form of a raw BTF dump (`-j btf dump ... format raw`): {"types":[...]}.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "btf/btf.h"

namespace bombus::cli {

nlohmann::ordered_json btf_type_json(const btf::Btf& b, uint32_t id);
// All of the BTF's own types, or only `roots` (id 0 as bpftool prints void: UNKNOWN).
nlohmann::ordered_json btf_types_json(const btf::Btf& b, const std::vector<uint32_t>* roots);

}  // namespace bombus::cli
