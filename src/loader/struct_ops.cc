// struct_ops maps, opened as libbpf opens them. Every VAR of the ".struct_ops" (or
// ".struct_ops.link", which adds BPF_F_LINK) DATASEC becomes a BPF_MAP_TYPE_STRUCT_OPS map with
// key size 4 and one entry, whose value is the kernel's `struct bpf_struct_ops_<type>` (found in
// kernel BTF, with a "data" member of type `struct <type>`). Relocations in the section point
// function-pointer members at SEC("struct_ops/...") programs; each such program gets the
// kernel struct as attach_btf_id and the kernel member's index as expected_attach_type. Data
// members are copied into the kernel layout by name, their sizes checked. Messages follow libbpf.
// bombus describes these maps; it cannot run them (there is no kernel subsystem to call them).
#include <cstring>

#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

struct SecInfo {
  const elf::Section* sec = nullptr;
  std::vector<uint32_t> maps;  // map indexes defined in this section
};

Status kernel_layout(OpenState& st, MapSpec& m, std::span<const uint8_t> local_data) {
  StructOpsSpec& so = *m.struct_ops;
  const btf::Btf& local = *st.btf;
  Location at = st.at();
  auto vm = st.kernel->vmlinux();
  if (!vm.ok())
    return make_error(vm.error().code, "struct_ops init_kern: no kernel BTF: " + vm.error().message,
                      at);
  const btf::Btf& kern = **vm;
  auto kt = kern.find(so.type_name, btf::Kind::kStruct);
  if (!kt)
    return make_error(
        Errc::kNotFound,
        "struct_ops init_kern: struct " + so.type_name + " is not found in kernel BTF", at);
  std::string vname = "bpf_struct_ops_" + so.type_name;
  auto kv = kern.find(vname, btf::Kind::kStruct);
  if (!kv)
    return make_error(Errc::kNotFound,
                      "struct_ops init_kern: struct " + vname + " is not found in kernel BTF", at);
  btf::Type vt = kern.type(*kv);
  std::optional<uint32_t> data_off;
  for (uint32_t i = 0; i < vt.vlen(); ++i) {
    btf::Member mm = vt.member(i);
    if (mm.type == *kt) data_off = mm.bit_offset / 8;
  }
  if (!data_off)
    return make_error(
        Errc::kNotFound,
        "struct_ops init_kern: struct " + so.type_name + " data is not found in struct " + vname,
        at);
  so.kernel_type_id = *kt;
  so.kernel_value_type_id = *kv;
  so.data_offset = *data_off;
  m.btf_vmlinux_value_type_id = *kv;
  m.value_size = vt.size();
  m.initial_data.assign(vt.size(), 0);
  btf::Type lt = local.type(so.local_type_id);
  btf::Type ktype = kern.type(*kt);
  for (uint32_t i = 0; i < lt.vlen(); ++i) {
    btf::Member lm = lt.member(i);
    std::optional<uint32_t> kidx;
    for (uint32_t j = 0; j < ktype.vlen(); ++j)
      if (ktype.member(j).name == lm.name) kidx = j;
    if (!kidx)
      return make_error(Errc::kNotFound,
                        "struct_ops init_kern " + m.name + ": Cannot find member " +
                            std::string(lm.name) + " in kernel BTF",
                        at);
    btf::Member km = ktype.member(*kidx);
    uint32_t lmt = local.skip_modifiers(lm.type), kmt = kern.skip_modifiers(km.type);
    if (local.kind(lmt) != kern.kind(kmt))
      return make_error(
          Errc::kInvalid,
          "struct_ops init_kern " + m.name + ": Unmatched member type " + std::string(lm.name) +
              " " + std::to_string(static_cast<uint32_t>(local.kind(lmt))) +
              " != " + std::to_string(static_cast<uint32_t>(kern.kind(kmt))) + "(kernel)",
          at);
    const uint32_t koff = so.data_offset + km.bit_offset / 8;
    bool func_ptr =
        local.kind(lmt) == btf::Kind::kPtr &&
        local.kind(local.skip_modifiers(local.type(lmt).ref())) == btf::Kind::kFuncProto;
    if (func_ptr) {
      for (StructOpsSpec::Slot& s : so.programs) {
        if (s.member != lm.name) continue;
        s.member_index = *kidx;
        s.value_offset = koff;
        for (ProgramSpec& p : st.spec.programs) {
          if (p.name != s.program) continue;
          p.attach_btf_id = *kt;
          p.expected_attach_type = static_cast<AttachType>(*kidx);
        }
      }
      continue;
    }
    auto lsz = local.resolve_size(lmt);
    auto ksz = kern.resolve_size(kmt);
    if (!lsz.ok() || !ksz.ok() || *lsz != *ksz)
      return make_error(Errc::kInvalid,
                        "struct_ops init_kern " + m.name + ": Error in size of member " +
                            std::string(lm.name) + ": " +
                            std::to_string(lsz.ok() ? int64_t(*lsz) : -1) +
                            " != " + std::to_string(ksz.ok() ? int64_t(*ksz) : -1) + "(kernel)",
                        at);
    const uint32_t loff = lm.bit_offset / 8;
    if (loff + *lsz > local_data.size() || koff + *ksz > m.initial_data.size())
      return make_error(
          Errc::kInvalid,
          "struct_ops " + m.name + ": member " + std::string(lm.name) + " is outside the variable",
          at);
    std::memcpy(m.initial_data.data() + koff, local_data.data() + loff, *lsz);
  }
  return Status{};
}

// Relocations of the section: function-pointer members -> programs.
Status collect_relos(OpenState& st, const SecInfo& si) {
  const btf::Btf& btf = *st.btf;
  for (const elf::Section* rs : st.elf->relocation_sections_for(si.sec->index)) {
    BOMBUS_ASSIGN_OR_RETURN(auto relos, st.elf->relocations(*rs));
    for (size_t ri = 0; ri < relos.size(); ++ri) {
      const elf::Reloc& r = relos[ri];
      Location at = st.at(si.sec->name);
      at.relo = static_cast<int64_t>(ri);
      MapSpec* m = nullptr;
      for (uint32_t mi : si.maps) {
        MapSpec& c = st.spec.maps[mi];
        if (r.offset >= c.sec_offset &&
            r.offset < c.sec_offset + btf.type(c.struct_ops->local_type_id).size())
          m = &c;
      }
      if (!m)
        return make_error(
            Errc::kInvalid,
            "struct_ops reloc: cannot find map at rel->r_offset " + std::to_string(r.offset), at);
      StructOpsSpec& so = *m->struct_ops;
      const uint64_t moff = r.offset - m->sec_offset;
      btf::Type lt = btf.type(so.local_type_id);
      const btf::Member* member = nullptr;
      btf::Member found;
      for (uint32_t i = 0; i < lt.vlen(); ++i) {
        if (lt.member(i).bit_offset == moff * 8) {
          found = lt.member(i);
          member = &found;
        }
      }
      if (!member)
        return make_error(
            Errc::kInvalid,
            "struct_ops reloc " + m->name + ": cannot find member at moff " + std::to_string(moff),
            at);
      uint32_t mt = btf.skip_modifiers(member->type);
      if (btf.kind(mt) != btf::Kind::kPtr ||
          btf.kind(btf.skip_modifiers(btf.type(mt).ref())) != btf::Kind::kFuncProto)
        return make_error(Errc::kInvalid,
                          "struct_ops reloc " + m->name + ": cannot relocate non func ptr " +
                              std::string(member->name),
                          at);
      const elf::Symbol& y = st.elf->symbols()[r.sym];
      const ProgramSpec* prog = nullptr;
      for (const ProgramSpec& p : st.spec.programs)
        if (p.sec_index == y.shndx && p.sec_insn_off * 8ull == y.value) prog = &p;
      if (!prog)
        return make_error(Errc::kInvalid,
                          "struct_ops reloc " + m->name + ": cannot find prog at shdr_idx " +
                              std::to_string(y.shndx) + " to relocate func ptr " +
                              std::string(member->name),
                          at);
      if (prog->type != ProgType::kStructOps)
        return make_error(Errc::kInvalid,
                          "struct_ops reloc " + m->name + ": prog " + prog->name +
                              " is not struct_ops BPF program",
                          at);
      so.programs.push_back({std::string(member->name), 0, 0, prog->name});
    }
  }
  return Status{};
}

}  // namespace

Status collect_struct_ops(OpenState& st) {
  for (const elf::Section& s : st.elf->sections()) {
    if (s.name != ".struct_ops" && s.name != ".struct_ops.link") continue;
    Location at = st.at(s.name);
    if (!st.btf) return make_error(Errc::kInvalid, "struct_ops init: needs BTF", at);
    const btf::Btf& btf = *st.btf;
    auto ds = btf.find_datasec(s.name);
    if (!ds)
      return make_error(Errc::kInvalid,
                        "struct_ops init: DATASEC " + std::string(s.name) + " not found", at);
    SecInfo si{&s, {}};
    btf::Type d = btf.type(*ds);
    for (uint32_t i = 0; i < d.vlen(); ++i) {
      btf::VarSecinfo vi = d.secinfo(i);
      btf::Type var = btf.type(vi.type);
      if (var.kind() != btf::Kind::kVar)
        return make_error(Errc::kInvalid,
                          "struct_ops init: DATASEC entry #" + std::to_string(i) + " is not a VAR",
                          at);
      uint32_t tid = btf.skip_modifiers(var.ref());
      btf::Type t = btf.type(tid);
      if (t.kind() != btf::Kind::kStruct)
        return make_error(Errc::kInvalid,
                          "struct_ops init: " + std::string(var.name()) + " is not a struct", at);
      if (t.name().empty())
        return make_error(Errc::kUnsupported, "struct_ops init: anonymous type is not supported",
                          at);
      if (vi.offset + t.size() > s.size)
        return make_error(Errc::kInvalid,
                          "struct_ops init: var " + std::string(var.name()) +
                              " is beyond the end of DATASEC " + std::string(s.name),
                          at);
      MapSpec m;
      m.name = std::string(var.name());
      m.real_name = m.name;
      m.origin = MapOrigin::kStructOps;
      m.type = MapType::kStructOps;
      m.key_size = 4;
      m.value_size = t.size();
      m.max_entries = 1;
      m.map_flags = s.name == ".struct_ops.link" ? kMapFlagLink : 0;
      m.btf_var_id = var.id();
      // libbpf leaves btf_value_type_id 0: the value type lives in kernel BTF
      // (btf_vmlinux_value_type_id); the local struct is struct_ops->local_type_id.
      m.sec_index = s.index;
      m.sec_offset = vi.offset;
      m.struct_ops = StructOpsSpec{};
      m.struct_ops->type_name = std::string(t.name());
      m.struct_ops->local_type_id = tid;
      si.maps.push_back(static_cast<uint32_t>(st.spec.maps.size()));
      st.spec.maps.push_back(std::move(m));
    }
    BOMBUS_TRY(collect_relos(st, si));
    for (uint32_t mi : si.maps) {
      MapSpec& m = st.spec.maps[mi];
      std::span<const uint8_t> data;
      if (!s.data.empty())
        data = s.data.subspan(m.sec_offset, st.btf->type(m.struct_ops->local_type_id).size());
      BOMBUS_TRY(kernel_layout(st, m, data));
    }
  }
  return Status{};
}

}  // namespace bombus::loader::detail
