// Building the verifier's input from an opened object (see verifier_input.h).
#include "runtime/verifier_input.h"

#include "loader/kernel_btf.h"
#include "runtime/btf_func_info.h"
#include "runtime/map_btf_fields.h"

namespace bombus::runtime {

std::shared_ptr<const btf::Btf> system_kernel_btf() {
  auto b = loader::system_vmlinux_btf();
  return b.ok() ? *b : nullptr;
}

bool license_is_gpl_compatible(std::string_view l) {
  return l == "GPL" || l == "GPL v2" || l == "GPL and additional rights" || l == "Dual BSD/GPL" ||
         l == "Dual MIT/GPL" || l == "Dual MPL/GPL";
}

namespace {

verifier::MapInfo map_info(const ObjectImpl& o, const loader::MapSpec& ls) {
  verifier::MapInfo mi;
  mi.type = static_cast<platform::MapType>(ls.type);
  mi.key_size = ls.key_size;
  mi.value_size = ls.value_size;
  mi.max_entries = ls.max_entries;
  mi.flags = ls.map_flags;
  mi.name = ls.name;
  MapSpecialFields special = map_special_fields(o.spec.btf.get(), ls.btf_value_type_id);
  mi.spin_lock_off = special.spin_lock_off;
  mi.timer_off = special.timer_off;
  return mi;
}

}  // namespace

verifier::Program verifier_input(const ObjectImpl& o, const ProgramImpl& p) {
  const loader::ProgramSpec& ps = *p.spec;
  verifier::Program vp;
  vp.name = ps.name;
  vp.insns = ps.insns;
  vp.type = p.type;
  vp.expected_attach_type = ps.expected_attach_type.value_or(platform::AttachType{});
  vp.gpl = license_is_gpl_compatible(o.spec.license);
  vp.attach_target = ps.attach_target;
  vp.kernel_btf = system_kernel_btf;
  for (const auto& ls : o.spec.maps) vp.maps.push_back(map_info(o, ls));
  // Map-in-map: each outer map's inner template goes after the object's maps (lddw indices
  // stay the object's), so a lookup in the outer map yields a map pointer the verifier knows
  // the key and value sizes of.
  for (size_t i = 0; i < o.spec.maps.size(); ++i) {
    if (!o.spec.maps[i].inner) continue;
    vp.maps[i].inner_map = static_cast<int32_t>(vp.maps.size());
    vp.maps.push_back(map_info(o, *o.spec.maps[i].inner));
  }
  if (o.spec.btf)
    for (const auto& fi : ps.func_info)
      vp.funcs.push_back({fi.insn_off, btf_func_returns_scalar(*o.spec.btf, fi.type_id)});
  for (const auto& li : ps.line_info) {
    verifier::LineInfo l;
    l.insn = li.insn_off;
    l.file = std::string(li.file);
    l.line = li.line_col >> 10;
    l.col = li.line_col & 0x3ff;
    l.text = std::string(li.text);
    vp.lines.push_back(std::move(l));
  }
  for (const auto& x : o.spec.externs) {  // kfunc calls name the kernel BTF id the loader resolved
    if (!x.is_func || !x.resolved) continue;
    int16_t off = 0;
    for (size_t m = 0; m < o.spec.btf_modules.size(); ++m)
      if (o.spec.btf_modules[m] == x.btf_module) off = static_cast<int16_t>(m + 1);
    vp.kfuncs.push_back({static_cast<int32_t>(x.kernel_btf_id), off, x.name});
  }
  return vp;
}

}  // namespace bombus::runtime
