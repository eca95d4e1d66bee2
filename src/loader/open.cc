// open_object: the loader's entry point. Runs the phases in order — collect sections and
// functions, maps (legacy, BTF, global data), externs, relocations, CO-RE, data relocations,
// linking — and returns the ObjectSpec.
#include <algorithm>

#include "elf/elf_file.h"
#include "loader/state.h"

namespace bombus::loader {

const ProgramSpec* ObjectSpec::find_program(std::string_view n) const {
  for (const ProgramSpec& p : programs)
    if (p.name == n) return &p;
  return nullptr;
}

const MapSpec* ObjectSpec::find_map(std::string_view n) const {
  auto i = map_index(n);
  return i ? &maps[*i] : nullptr;
}

std::optional<uint32_t> ObjectSpec::map_index(std::string_view n) const {
  for (uint32_t i = 0; i < maps.size(); ++i)
    if (maps[i].name == n) return i;
  for (uint32_t i = 0; i < maps.size(); ++i)
    if (maps[i].real_name == n) return i;
  return std::nullopt;
}

namespace {

Result<ObjectSpec> run_phases(const elf::ElfFile& elf, std::string name, const OpenOptions& opts) {
  detail::OpenState st;
  st.elf = &elf;
  st.opts = &opts;
  st.kernel = std::make_unique<KernelBtf>(opts);
  st.spec.name = std::move(name);
  BOMBUS_TRY(detail::collect_sections(st));
  BOMBUS_TRY(detail::collect_functions(st));
  for (const auto& [pname, on] : opts.autoload)
    if (!st.spec.find_program(pname))
      return make_error(Errc::kNotFound, "autoload override for unknown program '" + pname + "'",
                        st.at());
  BOMBUS_TRY(detail::collect_legacy_maps(st));
  BOMBUS_TRY(detail::collect_btf_maps(st));
  BOMBUS_TRY(detail::collect_data_maps(st));
  BOMBUS_TRY(detail::collect_struct_ops(st));
  BOMBUS_TRY(detail::collect_externs(st));
  BOMBUS_TRY(detail::collect_relocations(st));
  BOMBUS_TRY(detail::apply_core(st));
  BOMBUS_TRY(detail::apply_data_relocations(st));
  BOMBUS_TRY(detail::link_programs(st));
  BOMBUS_TRY(detail::fixup_btf(st));
  return std::move(st.spec);
}

Error with_object(Error e, const std::string& name) {
  if (e.where.object.empty()) e.where.object = name;
  return e;
}

}  // namespace

Result<ObjectSpec> open_object(std::span<const uint8_t> bytes, const OpenOptions& opts) {
  std::string name = opts.object_name.empty() ? "obj" : opts.object_name;
  auto elf = elf::ElfFile::open(bytes, name);
  if (!elf.ok()) return with_object(elf.error(), name);
  auto r = run_phases(*elf, name, opts);
  if (!r.ok()) return with_object(r.error(), name);
  return r;
}

Result<ObjectSpec> open_object_file(const std::string& path, const OpenOptions& opts) {
  auto elf = elf::ElfFile::open_file(path);
  if (!elf.ok()) return elf.error();
  std::string name = opts.object_name.empty() ? elf::object_name_from_path(path) : opts.object_name;
  auto r = run_phases(*elf, name, opts);
  if (!r.ok()) return with_object(r.error(), name);
  return r;
}

}  // namespace bombus::loader
