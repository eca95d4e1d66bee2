// Internal to the loader: the working state the open phases pass along (collect -> maps ->
// externs -> relocations -> CO-RE -> link programs). Not part of the public API.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "btf/btf_ext.h"
#include "elf/elf_file.h"
#include "loader/kernel_btf.h"
#include "loader/object.h"

namespace bombus::loader::detail {

// A function symbol inside an executable section.
struct Func {
  std::string name;
  uint32_t sec = 0;    // section index
  uint32_t off = 0;    // first insn within the section
  uint32_t count = 0;  // insns
  bool global = false;
};

enum class ReloKind : uint8_t {
  kCall,         // call src=1 to a .text function
  kSubprogAddr,  // lddw of a .text function's address (callbacks)
  kMap,          // lddw of a map (.maps / maps)
  kData,         // lddw of an address in a global data section
  kExternLd,     // lddw of a .kconfig / .ksyms variable
  kExternCall,   // call of a .ksyms function (kfunc)
};

struct Relo {
  ReloKind kind = ReloKind::kCall;
  uint32_t number = 0;  // position in the relocation section (the "relo #N" of messages)
  uint32_t insn = 0;    // insn index within the section
  uint32_t map_index = 0;
  uint32_t extern_index = 0;
  uint64_t sym_off = 0;  // symbol value
  std::string sym_name;
};

struct CodeSection {
  uint32_t index = 0;
  std::string name;
  std::vector<isa::Insn> insns;  // relocated in place by the data and CO-RE phases
  std::vector<Relo> relos;       // sorted by insn
  std::vector<uint32_t> funcs;   // indexes into OpenState::funcs, by offset
};

struct OpenState {
  const elf::ElfFile* elf = nullptr;
  const OpenOptions* opts = nullptr;
  ObjectSpec spec;
  std::shared_ptr<btf::Btf> btf;       // also in spec.btf
  std::shared_ptr<btf::Btf> old_btf;   // the unfixed BTF, kept while btf_ext lives
  std::optional<btf::BtfExt> btf_ext;  // views into the BTF as first parsed (see old_btf)
  std::vector<CodeSection> code;
  std::map<uint32_t, size_t> code_by_sec;  // section index -> index in code
  std::vector<Func> funcs;
  uint32_t text_sec = 0;                         // ".text"
  uint32_t maps_sec = 0;                         // ".maps"
  uint32_t legacy_maps_sec = 0;                  // "maps"
  std::map<uint32_t, uint32_t> data_map_by_sec;  // section index -> map index
  std::optional<uint32_t> kconfig_map;
  std::map<uint32_t, uint32_t> extern_by_sym;  // symbol index -> spec.externs index
  std::unique_ptr<KernelBtf> kernel;           // vmlinux and module BTF, loaded on first use

  Location at(std::string_view section = {}, std::string_view program = {}) const {
    Location l;
    l.object = spec.name;
    l.section = std::string(section);
    l.program = std::string(program);
    return l;
  }
  const CodeSection* code_section(uint32_t sec) const {
    auto it = code_by_sec.find(sec);
    return it == code_by_sec.end() ? nullptr : &code[it->second];
  }
  // The function of section `sec` that starts exactly at insn `off`.
  const Func* func_at(uint32_t sec, uint32_t off) const;
};

// Location of insn `insn` (section-relative) of `cs`: the enclosing function and its offset.
Location relo_location(const OpenState& st, const CodeSection& cs, uint32_t insn,
                       std::optional<uint32_t> relo);

// Phases, in order. Each one is tested on its own (tests/unit/loader).
Status collect_sections(OpenState& st);     // collect.cc: code sections, license, version, BTF
Status collect_functions(OpenState& st);    // collect.cc: programs and subprograms
Status collect_btf_maps(OpenState& st);     // maps_btf.cc: SEC(".maps")
Status collect_legacy_maps(OpenState& st);  // maps_legacy.cc: SEC("maps")
Status collect_data_maps(OpenState& st);    // data_maps.cc: .data/.rodata/.bss
Status collect_struct_ops(OpenState& st);   // struct_ops.cc: .struct_ops[.link] maps
Status collect_externs(OpenState& st);      // externs.cc: .kconfig/.ksyms, the .kconfig map
// ksyms.cc: resolves the .ksyms externs (platform table, kallsyms, kernel BTF) like libbpf;
// called by collect_externs, which then reports unresolved strong externs.
Status resolve_ksyms(OpenState& st);
Status collect_relocations(OpenState& st);     // relocate.cc: classify every relocation
Status apply_core(OpenState& st);              // core_relo.cc: CO-RE on section code
Status apply_data_relocations(OpenState& st);  // relocate.cc: maps, data, externs
Status link_programs(OpenState& st);           // link.cc: append subprograms, func/line info
Status fixup_btf(OpenState& st);               // btf_fixup.cc: DATASEC sizes and offsets

}  // namespace bombus::loader::detail
