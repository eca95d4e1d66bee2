// CO-RE phase: apply the BTF.ext CO-RE relocation records of each code section against the
// target BTF (OpenOptions::target_btf, btf_custom_path, or /sys/kernel/btf/vmlinux).
#include "loader/state.h"

namespace bombus::loader::detail {

Status apply_core(OpenState& st) {
  if (!st.btf_ext || st.opts->skip_core) return Status{};
  for (const btf::ExtSection& es : st.btf_ext->sections()) {
    if (es.relos.empty()) continue;
    return make_error(Errc::kUnsupported, "CO-RE relocations are not supported yet",
                      st.at(es.name));
  }
  return Status{};
}

}  // namespace bombus::loader::detail
