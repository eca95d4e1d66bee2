// Internal: the exploration engine shared by the verifier's .cc files (engine.cc drives paths and
// pruning, check_alu.cc / check_mem.cc / check_call.cc are the per-instruction transfer
// functions, cfg.cc the structural pass). Not part of the public API.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "platform/helper_protos.h"
#include "platform/program_types.h"
#include "verifier/state.h"
#include "verifier/verifier.h"

namespace bombus::verifier {

// Result of the structural pass (cfg.cc).
struct CfgInfo {
  std::vector<uint32_t> subprog_starts;  // sorted, [0] == 0
  std::vector<int> subprog_of;           // insn -> subprog index
  std::vector<bool> prune_point;
  std::vector<bool> reachable;
  std::vector<uint16_t> precise;
  std::vector<uint16_t> live;  // per insn: registers live on entry (liveness.cc)
};
// Checks jumps, lddw pairs, opcodes, subprogram boundaries and reachability. On failure sets
// *error / *error_insn and returns false.
bool check_cfg(const Program& prog, CfgInfo& out, std::string* error, int* error_insn);
// Per insn: bit r set when register r's exact scalar value may still matter (precision.cc).
std::vector<uint16_t> compute_precise_regs(const Program& prog, const CfgInfo& cfg);
// Register sets as bit masks (bit r = register r), shared by the backward analyses.
constexpr uint16_t reg_bit(int r) {
  return static_cast<uint16_t>(1u << r);
}
inline constexpr uint16_t kRegArgs = 0x3e;         // r1..r5
inline constexpr uint16_t kRegCallerSaved = 0x3f;  // r0..r5
// A register move (BPF_MOV, 32 or 64 bit, immediate or register source).
inline bool is_alu_mov(const isa::Insn& in) {
  const auto k = isa::op_info(in.opcode).kind;
  return (in.opcode & 0xf0) == 0xb0 && (k == isa::OpKind::AluK || k == isa::OpKind::AluX);
}
// The instructions control can reach right after `pc` (fall-through and/or jump target; none
// after exit): writes up to two into out, returns how many. Targets may be out of range.
int insn_successors(const std::vector<isa::Insn>& insns, int pc, int out[2]);
// Per insn: bit r set when register r may be read before written from there (liveness.cc).
std::vector<uint16_t> compute_live_regs(const Program& prog, const CfgInfo& cfg);
// Helpers whose arguments are dynptrs, checked by dynptr.cc instead of check_call.cc.
bool is_dynptr_helper(int32_t id);
// Kernel-log rendering of one instruction ("r0 = *(u32 *)(r1 +4)").
std::string insn_text(const std::vector<isa::Insn>& insns, size_t pc);

// One processed instruction in a path's history (backtrack.cc walks it backwards): the frame it
// ran in, the stack slot a fixed-offset stack load/store touched, linked scalars at a jump.
struct HistEntry {
  int32_t insn = 0;
  int8_t depth = 0;     // index of the frame the insn ran in
  int8_t sframe = -1;   // stack access: frame of the slot, -1 none
  int8_t sslot = -1;    // stack access: slot index (0 = fp-8)
  int32_t linked = -1;  // index into Engine::linked_ (scalars sharing an id at this jump)
};

struct Checkpoint {
  State st;
  int insn = 0;
  int branches = 0;  // live paths below this checkpoint; 0 = fully explored
  uint32_t hits = 0, misses = 0;
  Checkpoint* parent = nullptr;
  uint32_t depth = 0;                // checkpoints above it on its path
  std::vector<HistEntry> hist;       // instructions from the parent checkpoint to this one
  std::vector<uint16_t> prec_regs;   // per frame: scalars marked precise by backtracking
  std::vector<uint64_t> prec_slots;  // per frame: 8-byte spilled scalars marked precise
  std::vector<uint64_t> read_slots;  // per frame: slots some continuation reads (liveness)
  std::vector<uint64_t> written;     // per frame: slots fully written since the parent
  // Outermost loop head (an in-progress checkpoint some descendant was pruned against) this
  // checkpoint lies in: while it is explored, this one's marks may be incomplete.
  Checkpoint* loop_entry = nullptr;
  std::vector<uint32_t> backedges;  // indices into Engine::backedges_ pruned against this one
};

class Engine {
  friend class KfuncCall;  // check_kfunc.cc: branches and widens at iterator next() calls

 public:
  Engine(const Program& prog, const Options& opts, Report& rep, bool conservative = false);
  void run();
  // A prune decided against a checkpoint whose precision was still growing no longer holds
  // with its final marks: the caller re-verifies with conservative = true.
  bool needs_conservative_rerun() const { return rerun_; }
  // Precision (backtrack.cc): the exact value of register `regno` in the current frame matters
  // from here on; mark it and what it was computed from precise in the parent checkpoints.
  void mark_precise(int regno);
  // Tests only: compare every register at checkpoints, as if nothing were dead.
  void set_liveness(bool on) { use_liveness_ = on; }

  // --- shared by the transfer functions ---
  bool fail(std::string msg, std::string hint = {});
  Reg& reg(int r) { return st_.reg(r); }
  bool check_reg_read(int r);
  uint32_t new_id() { return ++id_gen_; }
  void mark_unknown(Reg& r) { r = Reg::unknown(); }
  const MapInfo* map_of(const Reg& r) const;

  bool do_alu(const isa::Insn& insn);
  bool do_load(const isa::Insn& insn);
  bool do_store(const isa::Insn& insn);
  bool do_atomic(const isa::Insn& insn);
  bool do_lddw(const isa::Insn& insn, const isa::Insn& next);
  bool do_ld_abs(const isa::Insn& insn);
  // Memory access through `r` at fixed offset `off` of `size` bytes; `value_reg` receives the
  // loaded value for reads (or is the stored register for writes, -1 for immediates).
  bool check_mem_access(int regno, int off, int size, bool write, int value_reg, bool sign_ext,
                        const Reg* stored = nullptr);
  // A helper argument: `size` bytes of readable (or writable) memory behind register regno.
  bool check_helper_mem(int regno, uint64_t size, bool write, bool zero_ok);
  bool check_stack_access(const Reg& ptr, int regno, int off, int size, bool write, int value_reg,
                          const Reg* stored, bool sign_ext);
  bool do_helper_call(const isa::Insn& insn);
  bool do_subprog_call(const isa::Insn& insn);
  bool do_kfunc_call(const isa::Insn& insn);     // check_kfunc.cc (iterators, dynptrs, kfunc refs)
  bool do_dynptr_helper(const isa::Insn& insn);  // dynptr.cc: helpers 197-203 and 209
  bool do_exit();
  void clear_pkt_pointers();
  void release_ref(uint32_t ref);
  bool setup_callback(int target, int kind, const Reg args[5], bool async);

  const Program& prog_;
  const Options& opts_;
  Report& rep_;
  const platform::ProgTypeInfo* pinfo_ = nullptr;
  CfgInfo cfg_;
  State st_;
  int pc_ = 0;
  bool jumped_ = false;                       // the current instruction set pc_ itself
  std::vector<int32_t> max_stack_;            // per subprog: deepest byte touched (positive)
  std::vector<std::vector<int>> call_edges_;  // subprog -> called subprogs
  std::string scratch_;  // registers changed by the current insn, for the level-1 log

 private:
  struct Pending {
    State st;
    int insn;
    int from;
    Checkpoint* parent;
    std::vector<HistEntry> hist;
    std::vector<uint64_t> written;
  };
  // Bit sets of registers and stack slots per frame that backtracking still has to explain.
  struct BtSet {
    std::array<uint16_t, 8> regs{};
    std::array<uint64_t, 8> slots{};
    bool empty() const;
  };
  struct LinkedItem {
    int8_t frame;
    int8_t reg;  // -1: a stack slot
    int8_t slot;
  };
  // A path that ended at an in-progress (or not yet settled) checkpoint: its continuation is the
  // target's, so marks the target gains later are carried back along this path too.
  struct Backedge {
    Checkpoint* target;
    Checkpoint* parent;
    std::vector<HistEntry> hist;
    std::vector<uint64_t> written;
  };
  struct LoosePrune {  // validated at the end with the target's final marks
    State cur;
    Checkpoint* target;
  };
  void record_hist();
  void mark_slots_read(int frame, uint64_t slots);
  void propagate_reads(size_t frame, uint64_t slots, Checkpoint* cp);
  void demand_precision_before_insn();
  void backtrack(BtSet bt, const std::vector<HistEntry>& seg, Checkpoint* parent, bool skip_last);
  bool backtrack_insn(const HistEntry& e, int later_depth, BtSet& bt);
  void mark_all_precise(Checkpoint* from);
  void propagate_precision(const Checkpoint& old);
  void add_backedge(Checkpoint* target);
  void drain_backedges();
  PruneMasks dynamic_masks(const Checkpoint& cp) const;
  PruneMasks static_masks(const State& st, int pc) const;
  std::vector<uint16_t> live_masks(const State& st, int pc) const;
  bool in_loop(const Checkpoint& cp) const;
  bool validate_loose_prunes();
  bool step();
  bool do_jump(const isa::Insn& insn);
  bool do_may_goto(const isa::Insn& insn);
  void widen_spilled_scalars(int callsite);
  bool is_pruned();
  void finish_path();
  bool pop_path();
  void push_branch(State st, int insn);
  void log_insn(int pc);
  void log_line_info(int pc);
  bool check_return_value();
  void find_equal_scalars(const Reg& known);
  void record_linked_scalars(int dst, int src);
  void mark_ptr_or_null(uint32_t id, bool is_null);
  void mark_pkt_range(const Reg& pkt, int32_t new_range);
  bool pointer_compare(const isa::Insn& insn, Reg& a, Reg& b, State& taken, State& fall);
  bool finalize_stack_depth();

  bool done_ = false;
  bool switched_ = false;  // the current insn ended its path and another was popped
  std::vector<bool> branch_seen_;
  std::vector<uint8_t> base_type_;  // per load/store: pointer type of the base on first visit
  bool check_base_type(int regno);
  std::string pending_log_;  // written after the current insn's line (path switches)
  uint32_t id_gen_ = 0;
  Checkpoint* parent_ = nullptr;
  std::vector<std::vector<std::unique_ptr<Checkpoint>>> explored_;
  // Checkpoints dropped from explored_ for rarely matching; kept alive for parent pointers.
  std::vector<std::unique_ptr<Checkpoint>> evicted_;
  std::vector<Pending> stack_;
  uint64_t cur_states_ = 0;
  bool conservative_ = false;  // no pruning on marks that may still grow (the fallback run)
  bool use_liveness_ = true;
  bool rerun_ = false;
  std::vector<HistEntry> hist_;    // the current path since parent_
  std::vector<uint64_t> written_;  // per frame: stack slots fully written since parent_
  std::vector<std::vector<LinkedItem>> linked_;
  std::vector<Backedge> backedges_;
  std::vector<Checkpoint*> be_work_;  // checkpoints whose marks grew, with backedges
  bool draining_ = false;
  std::vector<LoosePrune> loose_prunes_;
  int last_line_pc_ = -1;
};

}  // namespace bombus::verifier
