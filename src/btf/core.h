// CO-RE (compile once, run everywhere) relocation as pure functions, following libbpf's
// documented semantics: parse the local access spec, find target candidates by essential name
// (ignoring "___flavor" suffixes) and compatible kind, match the access path through anonymous
// members and arrays, compute old/new values (core_calculate) and patch the instruction
// (core_apply). A relocation that cannot be satisfied poisons its instruction the way libbpf does
// (a call to helper 0xbad2310) so the verifier rejects it only if it is reachable.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "btf/btf.h"
#include "btf/btf_ext.h"
#include "isa/insn.h"

namespace bombus::btf {

// libbpf's poison helper id (0xbad2310): "call 195896080" marks an unresolvable relocation.
inline constexpr int32_t kCorePoisonHelper = 0xbad2310;

struct CoreResult {
  uint64_t orig_val = 0;  // value the compiler put in (from the local BTF)
  uint64_t new_val = 0;   // value for the target BTF
  uint32_t orig_sz = 0;   // field sizes (for LDX/ST/STX memory size adjustment)
  uint32_t new_sz = 0;
  uint32_t orig_type_id = 0;
  uint32_t new_type_id = 0;
  bool validate = true;            // check the instruction holds orig_val before patching
  bool poison = false;             // cannot be satisfied: poison the instruction
  bool fail_memsz_adjust = false;  // field size changed in an unsafe way (poisons LDX/ST/STX)
  std::string reason;              // why it is poisoned (empty otherwise)
  std::string local_spec;          // "[12] struct task_struct.pid (0:57 @ offset 2416)"
  std::string target_spec;         // same for the chosen target, or "<not found>"
};

// Module BTFs split over the target (libbpf's candidate rule): asked for only when the target
// itself has no candidate of the right name and kind; then each module's own types are searched
// and candidates from several modules compete as usual (ambiguity is an error).
using ModuleBtfs = std::function<std::vector<const Btf*>()>;

// Computes the relocation. Errors (bad access string, ambiguous candidates, unsupported kind)
// carry Location{relo = relo_idx, insn = insn_off / 8}.
Result<CoreResult> core_calculate(const Btf& local, const CoreRelo& relo, const Btf& target,
                                  int relo_idx, const ModuleBtfs& modules = {});

// Patches insns[insn_idx] (and the second half of an lddw) with `res`. Poisons when res.poison
// or when a field size change is unsafe; errors when the instruction does not look as expected.
Status core_apply(std::span<isa::Insn> insns, uint32_t insn_idx, const CoreRelo& relo,
                  const CoreResult& res, int relo_idx);

// The poison reason of `res` as an Error printed "relo #N: insn M: <reason>" (the loader adds
// the program name to its Location). Use for logging a poisoned relocation.
Error core_poison_error(const CoreResult& res, int relo_idx, uint32_t insn_idx);

// Both steps for one record (insn index = relo.insn_off / 8 relative to `insns`).
Result<CoreResult> core_relocate(std::span<isa::Insn> insns, const Btf& local, const CoreRelo& relo,
                                 const Btf& target, int relo_idx, const ModuleBtfs& modules = {});

// Length of a name without its "___flavor" suffix ("task_struct___v2" -> 11).
size_t essential_name_len(std::string_view name);

// Target BTF: `path` if non-empty, else /sys/kernel/btf/vmlinux (error if absent).
Result<Btf> load_target_btf(const std::string& path = "");

// Type compatibility checks used for candidate matching (exposed for tests).
bool core_types_compatible(const Btf& local, uint32_t local_id, const Btf& target,
                           uint32_t target_id);
bool core_types_match(const Btf& local, uint32_t local_id, const Btf& target, uint32_t target_id);

}  // namespace bombus::btf
