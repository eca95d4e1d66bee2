// CO-RE phase: apply the BTF.ext CO-RE relocation records of each code section against the
// target BTF (OpenOptions::target_btf, btf_custom_path, or the kernel's vmlinux — then with
// module BTFs as further candidates, libbpf's rule) with the btf component's core_relocate().
// Runs on section code, before data relocations and linking, so every program that includes a
// subprogram gets the relocated copy.
#include "btf/core.h"
#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

// The CO-RE target: OpenOptions::target_btf, else btf_custom_path, else the kernel's vmlinux
// (OpenOptions::kernel_btf or /sys/kernel/btf/vmlinux, parsed once per process).
Result<std::shared_ptr<const btf::Btf>> target_btf(OpenState& st) {
  const OpenOptions& opts = *st.opts;
  if (opts.target_btf) return opts.target_btf;
  if (!opts.btf_custom_path.empty()) {
    BOMBUS_ASSIGN_OR_RETURN(btf::Btf b, btf::load_target_btf(opts.btf_custom_path));
    return std::shared_ptr<const btf::Btf>(std::make_shared<btf::Btf>(std::move(b)));
  }
  return st.kernel->vmlinux();
}

}  // namespace

Status apply_core(OpenState& st) {
  if (!st.btf_ext || st.opts->skip_core) return Status{};
  std::shared_ptr<const btf::Btf> target;
  for (const btf::ExtSection& es : st.btf_ext->sections()) {
    if (es.relos.empty()) continue;
    CodeSection* cs = nullptr;
    for (CodeSection& c : st.code)
      if (c.name == es.name) cs = &c;
    if (!cs)
      return make_error(Errc::kInvalid, "CO-RE relocations for a section with no code",
                        st.at(es.name));
    if (!target) {
      auto t = target_btf(st);
      if (!t.ok()) {
        Error e = t.error();
        e.message = "CO-RE needs a target BTF: " + e.message;
        if (e.where.object.empty()) e.where.object = st.spec.name;
        return e;
      }
      target = *t;
    }
    // Module BTFs are split over the kernel's vmlinux: they are candidates only when the target is
    // that vmlinux (libbpf searches them unless btf_custom_path is set). Named module files that
    // fail to parse are errors; system ones that fail are skipped.
    btf::ModuleBtfs modules;
    const OpenOptions& o = *st.opts;
    const bool target_is_kernel = (!o.target_btf && o.btf_custom_path.empty()) ||
                                  (o.target_btf && o.target_btf == o.kernel_btf);
    if (target_is_kernel) {
      if (!st.opts->module_btf_paths.empty()) {
        auto m = st.kernel->modules();
        if (!m.ok()) {
          Error e = m.error();
          e.where.object = st.spec.name;
          return e;
        }
      }
      modules = [&st]() {
        std::vector<const btf::Btf*> out;
        auto m = st.kernel->modules();
        if (m.ok())
          for (const ModuleBtf& mb : **m) out.push_back(mb.btf.get());
        return out;
      };
    }
    for (size_t i = 0; i < es.relos.size(); ++i) {
      const btf::CoreRelo& r = es.relos[i];
      uint32_t idx = r.insn_off / 8;
      if (r.insn_off % 8 != 0 || idx >= cs->insns.size())
        return make_error(Errc::kInvalid,
                          "CO-RE relocation at byte " + std::to_string(r.insn_off) +
                              " is not an instruction of the section",
                          st.at(es.name));
      auto res = btf::core_relocate(cs->insns, *st.btf, r, *target, static_cast<int>(i), modules);
      if (!res.ok()) {
        Error e = res.error();
        Location l = relo_location(st, *cs, idx, static_cast<uint32_t>(i));
        e.where = l;
        e.message = "CO-RE " + std::string(btf::relo_kind_name(r.kind)) + ": " + e.message;
        return e;
      }
    }
  }
  return Status{};
}

}  // namespace bombus::loader::detail
