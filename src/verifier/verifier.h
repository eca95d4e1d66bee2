// The verifier's public face: a Program value in, a Report value out. verify() runs the kernel's
// model of eBPF safety (CFG check, then abstract interpretation over every path with state
// pruning) and records the verdict, the kernel-style log and per-instruction facts the engines
// use afterwards (reachability, constant branches, zero-extension). It never throws and never
// touches the loader: the caller describes maps and line info as plain data.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "isa/insn.h"
#include "platform/uapi.h"

namespace bombus::btf {
class Btf;
}

namespace bombus::verifier {

struct MapInfo {
  platform::MapType type = platform::MapType::kArray;
  uint32_t key_size = 4, value_size = 8, max_entries = 1, flags = 0;
  std::string name;
  int32_t spin_lock_off = -1;  // offset of struct bpf_spin_lock in the value, -1 if none
  int32_t timer_off = -1;      // offset of struct bpf_timer in the value, -1 if none
  int32_t inner_map = -1;      // map-in-map: index (in Program::maps) of the inner template
};

// BTF line info: the C source line that produced the instructions starting at `insn`.
struct LineInfo {
  uint32_t insn = 0;
  std::string file;
  uint32_t line = 0, col = 0;
  std::string text;
};

// BTF func info for one function (the loader's func_info): where it starts and whether its
// BTF return type is a scalar (int or enum; not void, not a pointer). The kernel allows LD_ABS
// and tail calls only in subprograms that return one.
struct FuncInfo {
  uint32_t insn = 0;
  bool returns_scalar = true;
};

// A kernel function the program calls (call src 2: imm is the FUNC's id in the kernel's BTF, off
// 0 for vmlinux or the module's BTF slot, as the loader resolved the __ksym extern). The name
// selects bombus's own description of the kfunc (verifier/kfunc_table.h).
struct KfuncRef {
  int32_t btf_id = 0;
  int16_t off = 0;
  std::string name;
};

// lddw map references are pseudo forms whose imm is an index into `maps` (map[idx:N], or the
// fd form whose imm is treated the same way).
struct Program {
  std::string name;
  std::vector<isa::Insn> insns;
  platform::ProgType type = platform::ProgType::kSocketFilter;
  // expected_attach_type as loaded (the loader's, from the section name; 0 when none): decides
  // ctx fields, helpers and the return range of cgroup_skb/sock/sock_addr/sockopt programs.
  platform::AttachType expected_attach_type{};
  std::vector<MapInfo> maps;
  bool gpl = false;
  std::vector<LineInfo> lines;   // sorted by insn
  std::vector<KfuncRef> kfuncs;  // names of the kfuncs that calls refer to
  std::vector<FuncInfo> funcs;   // BTF func info; empty without BTF (nothing checked then)
  // BTF-typed pointers and tracing programs (verifier/btf_access.h): the kernel's BTF on demand
  // (asked only when a load or a tracing context needs it; may return null), and for
  // BPF_PROG_TYPE_TRACING the target's name (tp_btf/<tp>: "<tp>", fentry/<func>: "<func>").
  std::function<std::shared_ptr<const btf::Btf>()> kernel_btf;
  std::string attach_target;
};

struct Options {
  int log_level = 0;  // 0: none, 1: kernel level 1 (branch states), 2: every state
  uint64_t insn_limit = 1'000'000;
  bool strict_alignment = false;  // BPF_F_STRICT_ALIGNMENT
  // The kernel lets CAP_PERFMON programs read uninitialised stack; bombus refuses by default.
  bool allow_uninit_stack = false;
  // Fill Report::entry_states (costly: one state rendering per processed instruction).
  bool record_states = false;
};

// Per-instruction facts after successful verification (index = insn index).
struct InsnFacts {
  bool reachable = false;
  int8_t branch = -1;        // conditional jumps: 1 always taken, 0 never, -1 both seen
  bool zext_needed = false;  // 32-bit result whose upper half a later reader relies on
  bool probe_mem = false;    // load through a BTF-typed pointer: must not fault (PROBE_MEM)
};

struct Report {
  bool accepted = false;
  std::string error;    // kernel wording, e.g. "R1 invalid mem access 'scalar'"
  int error_insn = -1;  // instruction the error refers to (-1: whole program)
  std::string hint;     // bombus's own plain-language suggestion, may be empty
  std::string log;      // the verifier log at Options::log_level (error and stats line last)
  uint64_t insns_processed = 0;
  uint64_t verification_time_ns = 0;
  uint64_t total_states = 0, peak_states = 0, max_states_per_insn = 0, mark_read = 0;
  std::vector<uint32_t> subprog_starts;  // insn index of each function, [0] == 0
  std::vector<uint32_t> stack_depth;     // bytes per function
  std::vector<InsnFacts> facts;          // sized like the program once the CFG check passes
  // With Options::record_states: the state at each insn's first visit, and how many visits.
  std::vector<std::string> entry_states;
  std::vector<uint32_t> visits;
  std::string stats_line() const;  // "processed N insns (limit ...) ... mark_read R"
};

Report verify(const Program& prog, const Options& opts = {});

}  // namespace bombus::verifier
