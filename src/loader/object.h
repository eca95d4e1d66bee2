// ObjectSpec: what the loader makes of a .bpf.o — programs with their relocations applied,
// maps described (not created), the object's BTF — and the options that steer opening.
// Map references stay symbolic: an lddw that names a map has src_reg kPseudoMapIdx (imm = map
// index) or kPseudoMapIdxValue (imm = map index, second imm = byte offset into the value), as in
// the kernel's fd_array form, so the runtime can turn them into host addresses and the verifier
// knows they are maps. Subprogram calls (call src=1) and callback addresses (lddw src=4) are
// relative to the instruction, with every subprogram a program uses appended after it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"
#include "loader/prog_types.h"

namespace bombus::btf {
class Btf;
}

namespace bombus::loader {

enum class Pinning : uint32_t { kNone = 0, kByName = 1 };

// Where a map came from.
enum class MapOrigin : uint8_t {
  kBtf,        // SEC(".maps")
  kLegacy,     // SEC("maps"), struct bpf_map_def
  kData,       // .data / .data.*
  kRodata,     // .rodata / .rodata.*
  kBss,        // .bss / .bss.*
  kKconfig,    // .kconfig externs
  kInner,      // an inner map template (only in MapSpec::inner)
  kStructOps,  // a SEC(".struct_ops") / SEC(".struct_ops.link") variable
};

// A struct_ops map (BPF_MAP_TYPE_STRUCT_OPS) described as libbpf describes it: the variable's
// struct type, the kernel's `struct bpf_struct_ops_<type>` wrapper that is the map value, and
// the programs its function-pointer members name. MapSpec::initial_data holds the value in the
// kernel's layout (data members copied from the object, program slots zero: the kernel takes
// program fds there when the map is updated).
struct StructOpsSpec {
  std::string type_name;              // "tcp_congestion_ops"
  uint32_t local_type_id = 0;         // the struct in the object's BTF
  uint32_t kernel_type_id = 0;        // struct <type_name> in kernel BTF
  uint32_t kernel_value_type_id = 0;  // struct bpf_struct_ops_<type_name> (value type)
  uint32_t data_offset = 0;           // byte offset of its "data" member
  struct Slot {
    std::string member;         // "ssthresh"
    uint32_t member_index = 0;  // in the kernel's struct (the program's expected_attach_type)
    uint32_t value_offset = 0;  // byte offset of the pointer within the map value
    std::string program;        // the SEC("struct_ops/...") program it points at
  };
  std::vector<Slot> programs;
};

struct MapSpec {
  std::string name;       // kernel-facing name ("fw.rodata", "counters")
  std::string real_name;  // name in the object (".rodata", "counters")
  MapOrigin origin = MapOrigin::kBtf;
  MapType type = MapType::kUnspec;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t map_flags = 0;
  uint32_t numa_node = 0;
  uint64_t map_extra = 0;
  Pinning pinning = Pinning::kNone;
  uint32_t btf_key_type_id = 0;            // 0 when the key is given as a size only
  uint32_t btf_value_type_id = 0;          // for global data: the DATASEC id
  uint32_t btf_var_id = 0;                 // the VAR (BTF maps) describing the definition
  uint32_t btf_vmlinux_value_type_id = 0;  // struct_ops: the value type in kernel BTF
  std::optional<StructOpsSpec> struct_ops;
  std::shared_ptr<MapSpec> inner;  // map-in-map template
  // Initial contents of element 0 for global data maps (.bss: zeros; .kconfig: resolved values).
  std::vector<uint8_t> initial_data;
  bool frozen = false;  // .rodata and .kconfig: read-only for programs after creation
  // `.values` initialisers: slot -> program name (prog arrays) or map name (map-in-map).
  std::map<uint32_t, std::string> init_slots;
  // ELF placement of the definition (section index, byte offset) — for relocation lookup.
  uint32_t sec_index = 0;
  uint64_t sec_offset = 0;
};

struct FuncInfo {
  uint32_t insn_off = 0;  // in instructions, within the program after subprogram appending
  uint32_t type_id = 0;   // BTF FUNC
};

struct LineInfo {
  uint32_t insn_off = 0;
  uint32_t file_name_off = 0;  // BTF string offsets (the kernel's bpf_line_info form)
  uint32_t line_off = 0;
  uint32_t line_col = 0;  // line << 10 | column
  std::string_view file;  // views into ObjectSpec::btf (valid while it lives)
  std::string_view text;
};

// A map use inside a program's instructions.
struct MapRef {
  uint32_t insn = 0;       // index of the lddw
  uint32_t map_index = 0;  // into ObjectSpec::maps
  bool value = false;      // kPseudoMapIdxValue (address of the value) vs the map itself
  uint32_t offset = 0;     // byte offset into the value (value == true)
};

// A subprogram appended to a program: its name and where it starts in insns.
struct SubprogRange {
  std::string name;
  uint32_t start = 0;
  uint32_t count = 0;
};

struct ProgramSpec {
  std::string name;
  std::string section;
  ProgType type = ProgType::kUnspec;
  std::optional<AttachType> expected_attach_type;
  std::string attach_target;
  uint32_t prog_flags = 0;
  // struct_ops programs: the kernel struct they implement a member of (expected_attach_type is
  // then that member's index, as libbpf sets them). 0 otherwise.
  uint32_t attach_btf_id = 0;
  bool autoload = true;
  bool known_section = true;  // false: the section name matched no convention (type kUnspec)
  std::vector<isa::Insn> insns;
  uint32_t main_insn_count = 0;  // insns of the program itself; subprograms follow
  std::vector<SubprogRange> subprogs;
  std::vector<FuncInfo> func_info;
  std::vector<LineInfo> line_info;
  std::vector<MapRef> map_refs;
  uint32_t sec_index = 0;
  uint32_t sec_insn_off = 0;  // position of the program within its section
};

// An extern the object declared (.kconfig / .ksyms) and what it resolved to.
struct ExternSpec {
  std::string name;
  bool kconfig = true;  // false: .ksyms
  bool weak = false;
  bool resolved = false;
  bool is_func = false;      // a kfunc (.ksyms function)
  uint32_t kcfg_offset = 0;  // offset in the .kconfig map value
  uint32_t kcfg_size = 0;
  uint64_t ksym_value = 0;  // address (variables) or kfunc id (functions)
  // .ksyms: the VAR's type in the object's BTF (0 = typeless, `extern const void x __ksym`) or the
  // FUNC's prototype for kfuncs. Typed variables and kfuncs resolve against kernel BTF.
  uint32_t local_type_id = 0;
  uint32_t kernel_btf_id = 0;  // resolved VAR / FUNC id in vmlinux or module BTF (0: none)
  std::string btf_module;      // module whose BTF holds kernel_btf_id; "" = vmlinux
};

struct ObjectSpec {
  std::string name;
  std::string license;
  uint32_t kern_version = 0;
  std::vector<ProgramSpec> programs;
  std::vector<MapSpec> maps;
  std::vector<ExternSpec> externs;
  // Module BTFs that resolved externs refer to. A typed ksym lddw (src kPseudoBtfId) carries
  // 1 + the index here in its second imm, and a kfunc call in its off — where libbpf puts the
  // module BTF fd / fd_array index; 0 means vmlinux.
  std::vector<std::string> btf_modules;
  std::shared_ptr<const btf::Btf> btf;  // null when the object has no .BTF
  // Sections that hold code but whose name no convention recognises (their programs are still
  // listed, with type kUnspec), and other non-debug sections the loader ignored.
  std::vector<std::string> unknown_sections;

  const ProgramSpec* find_program(std::string_view n) const;
  const MapSpec* find_map(std::string_view n) const;  // by name or real_name
  std::optional<uint32_t> map_index(std::string_view n) const;
};

struct OpenOptions {
  // Object name; default: the file name up to its first '.', or "obj" for a memory buffer
  // (libbpf uses the buffer's address; a fixed name keeps bombus deterministic).
  std::string object_name;
  // Target BTF for CO-RE (libbpf's btf_custom_path); default /sys/kernel/btf/vmlinux if present.
  std::string btf_custom_path;
  // Or an already parsed target BTF (takes precedence over btf_custom_path).
  std::shared_ptr<const btf::Btf> target_btf;
  // Kernel config for .kconfig externs: a file (plain or gzip'ed .config); default /proc/config.gz.
  std::string kconfig_path;
  // Extra CONFIG_* lines ("CONFIG_X=y\n...") applied after the file, like libbpf's kconfig option.
  std::string kconfig_extra;
  // LINUX_KERNEL_VERSION; default from uname().
  std::optional<uint32_t> kernel_version;
  // LINUX_HAS_SYSCALL_WRAPPER; default: what libbpf computes on this host (syscall_wrapper.h).
  std::optional<bool> has_syscall_wrapper;
  // The platform's symbol table for .ksyms, consulted first: name -> address (variables) or kfunc
  // id (functions). Names it does not know resolve as libbpf does: typeless variables through
  // kallsyms_path, typed variables (VAR) and kfuncs (FUNC) through kernel BTF.
  std::function<std::optional<uint64_t>(std::string_view name, bool is_func)> ksym_resolver;
  // A kallsyms-format symbol table ("ffffffff81000000 T name") for typeless ksyms, e.g.
  // "/proc/kallsyms" as libbpf reads it. Empty: none.
  std::string kallsyms_path;
  // Kernel BTF for typed ksyms, kfuncs and struct_ops (libbpf always uses the running kernel's,
  // not btf_custom_path); default /sys/kernel/btf/vmlinux. Module BTFs split over it:
  // /sys/kernel/btf/<module> when kernel_btf is not given and load_module_btfs is set, plus
  // module_btf_paths. CO-RE looks at modules only when vmlinux has no candidate (libbpf's rule).
  std::shared_ptr<const btf::Btf> kernel_btf;
  bool load_module_btfs = true;
  std::vector<std::string> module_btf_paths;
  // Per-program autoload overrides by program name.
  std::map<std::string, bool, std::less<>> autoload;
  // Skip CO-RE relocation (the program keeps the compiler's offsets).
  bool skip_core = false;
};

[[nodiscard]] Result<ObjectSpec> open_object(std::span<const uint8_t> bytes,
                                             const OpenOptions& opts = {});
[[nodiscard]] Result<ObjectSpec> open_object_file(const std::string& path,
                                                  const OpenOptions& opts = {});

// libbpf's kernel-facing name for a global-data map: object name prefix + section name, cut to
// 15 characters; ".data.custom"-style names (a second '.') keep no prefix.
std::string internal_map_name(std::string_view obj_name, std::string_view section_name);

}  // namespace bombus::loader
