// The exploration driver: depth-first over every path from insn 0, one abstract State at a time.
// Branches whose direction is unknown push the jump target and continue with the fall-through;
// at prune points the current state is compared with the states already explored there and the
// path stops when one of them covers it (state_subsumes). Checkpoints count their live
// descendants so a state still being explored (a loop head) is told apart from a finished one:
// meeting an identical in-progress state means the loop cannot terminate.
#include "verifier/engine.h"

#include <chrono>
#include <cstdio>

#include "isa/insn.h"
#include "verifier/btf_access.h"

namespace bombus::verifier {

using isa::Insn;

std::string Report::stats_line() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "processed %llu insns (limit 1000000) max_states_per_insn %llu total_states %llu "
                "peak_states %llu mark_read %llu",
                static_cast<unsigned long long>(insns_processed),
                static_cast<unsigned long long>(max_states_per_insn),
                static_cast<unsigned long long>(total_states),
                static_cast<unsigned long long>(peak_states),
                static_cast<unsigned long long>(mark_read));
  return buf;
}

Engine::Engine(const Program& prog, const Options& opts, Report& rep, bool conservative)
    : prog_(prog), opts_(opts), rep_(rep), conservative_(conservative) {}

bool Engine::fail(std::string msg, std::string hint) {
  if (rep_.error.empty()) {
    size_t nl = msg.find('\n');
    rep_.error = nl == std::string::npos ? msg : msg.substr(0, nl);
    rep_.error_insn = pc_;
    rep_.hint = std::move(hint);
  }
  if (opts_.log_level > 0) rep_.log += "\n" + msg + "\n";
  return false;
}

bool Engine::check_reg_read(int r) {
  if (st_.reg(r).type == RegType::kNotInit) {
    return fail("R" + std::to_string(r) + " !read_ok",
                "the register is read before anything was written to it on this path");
  }
  return true;
}

const MapInfo* Engine::map_of(const Reg& r) const {
  if (r.map < 0 || r.map >= static_cast<int>(prog_.maps.size())) return nullptr;
  return &prog_.maps[r.map];
}

void Engine::run() {
  const size_t n = prog_.insns.size();
  if (n == 0) {
    fail("program has no instructions");
    return;
  }
  pinfo_ = platform::prog_type_info(prog_.type);
  if (!pinfo_) {
    fail("unsupported program type " + std::to_string(static_cast<uint32_t>(prog_.type)));
    return;
  }
  if (prog_.type == platform::ProgType::kTracing && !check_tracing_target(*this)) return;
  if (std::string e = platform::attach_type_error(prog_.type, prog_.expected_attach_type);
      !e.empty()) {
    fail(e, "the section name (SEC(\"cgroup/connect4\"), ...) gives the loader the attach type");
    return;
  }
  std::string err;
  int err_insn = -1;
  if (!check_cfg(prog_, cfg_, &err, &err_insn)) {
    pc_ = err_insn;
    fail(err, "the program's structure is broken before any value is considered");
    rep_.error_insn = err_insn;
    if (opts_.log_level > 0) rep_.log += rep_.stats_line() + "\n";
    return;
  }
  rep_.subprog_starts = cfg_.subprog_starts;
  cfg_.precise = compute_precise_regs(prog_, cfg_);
  cfg_.live = compute_live_regs(prog_, cfg_);
  rep_.facts.assign(n, {});
  if (opts_.record_states) {
    rep_.entry_states.assign(n, {});
    rep_.visits.assign(n, 0);
  }
  max_stack_.assign(cfg_.subprog_starts.size(), 0);
  call_edges_.assign(cfg_.subprog_starts.size(), {});
  explored_.resize(n);
  branch_seen_.assign(n, false);
  base_type_.assign(n, 0);

  Frame f0;
  f0.regs[1] = Reg::pointer(RegType::kCtx);
  f0.regs[10] = Reg::pointer(RegType::kStack);
  st_.frames.push_back(std::move(f0));
  if (opts_.log_level >= 2) {
    for (size_t i = 0; i < cfg_.subprog_starts.size(); ++i)
      rep_.log +=
          "func#" + std::to_string(i) + " @" + std::to_string(cfg_.subprog_starts[i]) + "\n";
  }
  if (opts_.log_level >= 1) rep_.log += "0: " + state_str(st_) + "\n";
  pc_ = 0;
  bool ok = true;
  while (true) {
    if (!step()) {
      ok = rep_.error.empty();
      break;
    }
  }
  if (ok) ok = finalize_stack_depth();
  if (ok && !conservative_ && !validate_loose_prunes()) {
    rerun_ = true;
    return;
  }
  if (ok) {
    rep_.accepted = true;
    // Branch facts: a conditional jump seen only one way is constant.
    for (size_t i = 0; i < n; ++i)
      rep_.facts[i].reachable = cfg_.reachable[i] && rep_.facts[i].reachable;
  }
  if (opts_.log_level > 0) {
    if (!rep_.log.empty() && rep_.log.back() != '\n') rep_.log += '\n';
    rep_.log += rep_.stats_line() + "\n";
  }
}

// Returns false when exploration is over (error or all paths done).
bool Engine::step() {
  if (rep_.insns_processed >= opts_.insn_limit) {
    return fail(
        "BPF program is too large. Processed " + std::to_string(rep_.insns_processed) + " insn",
        "the verifier explores every path; bound loops tightly or split the program");
  }
  ++rep_.insns_processed;
  if (cfg_.prune_point[pc_]) {
    if (!rep_.error.empty()) return false;
    if (is_pruned()) {
      if (!rep_.error.empty()) return false;
      if (opts_.log_level >= 1) rep_.log += std::to_string(pc_) + ": safe\n";
      finish_path();
      bool more = pop_path();
      rep_.log += pending_log_;
      pending_log_.clear();
      return more;
    }
    if (!rep_.error.empty()) return false;
  }
  rep_.facts[pc_].reachable = true;
  if (opts_.record_states) {
    if (rep_.entry_states[pc_].empty()) rep_.entry_states[pc_] = state_str(st_);
    ++rep_.visits[pc_];
  }
  const Insn& insn = prog_.insns[pc_];
  const auto& info = isa::op_info(insn.opcode);
  record_hist();
  demand_precision_before_insn();
  State before;
  if (opts_.log_level >= 1) {
    log_line_info(pc_);
    if (opts_.log_level >= 2) rep_.log += std::to_string(pc_) + ": " + state_str(st_, true) + "\n";
    log_insn(pc_);
    before = st_;
  }
  jumped_ = false;
  switched_ = false;
  bool ok = true;
  int width = 1;
  switch (info.kind) {
    case isa::OpKind::AluK:
    case isa::OpKind::AluX:
    case isa::OpKind::Neg:
    case isa::OpKind::End:
    case isa::OpKind::Bswap:
      ok = do_alu(insn);
      break;
    case isa::OpKind::Ldx:
    case isa::OpKind::Ldxsx:
      ok = do_load(insn);
      break;
    case isa::OpKind::St:
    case isa::OpKind::Stx:
      ok = do_store(insn);
      break;
    case isa::OpKind::Atomic:
      ok = do_atomic(insn);
      break;
    case isa::OpKind::Lddw:
      ok = do_lddw(insn, prog_.insns[pc_ + 1]);
      width = 2;
      break;
    case isa::OpKind::LdAbs:
    case isa::OpKind::LdInd:
      ok = do_ld_abs(insn);
      break;
    case isa::OpKind::Ja:
    case isa::OpKind::Jal:
    case isa::OpKind::JccK:
    case isa::OpKind::JccX:
      ok = do_jump(insn);
      break;
    case isa::OpKind::MayGoto:
      ok = do_may_goto(insn);
      break;
    case isa::OpKind::Call:
      if (insn.src == isa::kPseudoCall)
        ok = do_subprog_call(insn);
      else if (insn.src == isa::kPseudoKfuncCall)
        ok = do_kfunc_call(insn);
      else if (is_dynptr_helper(insn.imm))
        ok = do_dynptr_helper(insn);
      else
        ok = do_helper_call(insn);
      break;
    case isa::OpKind::Exit:
      ok = do_exit();
      break;
    default: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "unknown opcode %02x", insn.opcode);
      ok = fail(buf);
    }
  }
  if (!ok) return false;
  if (opts_.log_level >= 1 && !done_) {
    // Registers the instruction changed, like the kernel's "; R0_w=..." suffix.
    std::string changed;
    if (!switched_ && !before.frames.empty() && before.frames.size() == st_.frames.size()) {
      for (int r = 0; r < 11; ++r) {
        const Reg& a = before.frames.back().regs[r];
        const Reg& b = st_.frames.back().regs[r];
        if (b.type == RegType::kNotInit) continue;
        std::string sb = reg_str(b);
        if (a.type != b.type || reg_str(a) != sb) changed += " R" + std::to_string(r) + "=" + sb;
      }
    }
    if (!changed.empty()) rep_.log += "  ;" + changed;
    rep_.log += "\n";
  } else if (opts_.log_level >= 1) {
    rep_.log += "\n";
  }
  rep_.log += pending_log_;
  pending_log_.clear();
  if (done_) return false;
  if (!jumped_) pc_ += width;
  return true;
}

void Engine::log_insn(int pc) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d: (%02x) ", pc, prog_.insns[pc].opcode);
  rep_.log += buf + insn_text(prog_.insns, pc);
}

void Engine::log_line_info(int pc) {
  if (prog_.lines.empty()) return;
  // The record covering pc (records sorted by insn); printed whenever it changes, like the
  // kernel's verbose_linfo.
  size_t lo = 0, hi = prog_.lines.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (prog_.lines[mid].insn <= static_cast<uint32_t>(pc))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return;
  if (static_cast<int>(lo - 1) == last_line_pc_) return;
  last_line_pc_ = static_cast<int>(lo - 1);
  const LineInfo& li = prog_.lines[lo - 1];
  rep_.log += "; " + li.text + " @ " + li.file + ":" + std::to_string(li.line) + "\n";
}

// A register the in-progress state `old` had not written yet is not read before being written on
// any path that succeeds from there (else that path fails): in `cur` it is dead, like the
// kernel's liveness says, so it does not make an otherwise repeating loop state different.
static State without_dead_regs(const State& cur, const State& old) {
  State s = cur;
  for (size_t f = 0; f < s.frames.size() && f < old.frames.size(); ++f)
    for (int r = 0; r < 11; ++r)
      if (old.frames[f].regs[r].type == RegType::kNotInit) s.frames[f].regs[r] = Reg{};
  return s;
}

// Which explored states may end the current path. A settled checkpoint (fully explored, in no
// unfinished loop) has complete liveness and precision: dead registers and imprecise scalars are
// ignored (dynamic_masks). An in-progress one (a loop head) is compared with the static masks,
// except at may_goto (another depth) and callback call sites, where like the kernel its current
// precision is used; those prunes are validated again with its final marks at the end.
bool Engine::is_pruned() {
  auto& list = explored_[pc_];
  const Insn& insn = prog_.insns[pc_];
  bool callback_site = insn.opcode == 0x85 && insn.src == 0 && platform::helper_proto(insn.imm) &&
                       (platform::helper_proto(insn.imm)->flags & platform::kCallback);
  const bool may_goto = isa::op_info(insn.opcode).kind == isa::OpKind::MayGoto;
  const PruneMasks stat = static_masks(st_, pc_);
  for (size_t i = 0; i < list.size(); ++i) {
    Checkpoint& cp = *list[i];
    const bool unsettled = cp.branches > 0 || in_loop(cp);
    if (cp.branches > 0 && !callback_site && cp.st.may_goto_depth == st_.may_goto_depth &&
        state_subsumes_masked(cp.st, st_, stat) &&
        state_subsumes_masked(without_dead_regs(st_, cp.st), cp.st, stat)) {
      fail("infinite loop detected at insn " + std::to_string(pc_),
           "the loop's state repeats exactly, so it can never exit; make the loop variable "
           "change and be compared against a bound");
      return false;
    }
    bool hit = false, loose = false;
    if (!unsettled && !conservative_) {
      hit = state_subsumes_masked(cp.st, st_, dynamic_masks(cp));
    } else {
      if (!conservative_ &&
          ((may_goto && cp.st.may_goto_depth != st_.may_goto_depth) || callback_site))
        hit = loose = state_subsumes_masked(cp.st, st_, dynamic_masks(cp));
      if (!hit) hit = state_subsumes_masked(cp.st, st_, stat);
    }
    if (hit) {
      ++cp.hits;
      if (loose) loose_prunes_.push_back(LoosePrune{st_, &cp});
      if (unsettled) add_backedge(&cp);
      propagate_precision(cp);
      return true;
    }
    // Like the kernel, forget states that keep failing to match: they only cost time.
    if (++cp.misses > cp.hits * 3 + 3 && list.size() > 1) {
      evicted_.push_back(std::move(list[i]));
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      --i;
      --cur_states_;
    }
  }
  auto cp = std::make_unique<Checkpoint>();
  cp->st = st_;
  cp->insn = pc_;
  cp->branches = 1;
  cp->parent = parent_;
  cp->depth = parent_ ? parent_->depth + 1 : 0;
  cp->hist = std::move(hist_);
  hist_.clear();
  cp->written = std::move(written_);
  written_.clear();
  parent_ = cp.get();
  list.push_back(std::move(cp));
  ++rep_.total_states;
  ++cur_states_;
  rep_.peak_states = std::max(rep_.peak_states, cur_states_);
  rep_.max_states_per_insn = std::max<uint64_t>(rep_.max_states_per_insn, list.size());
  return false;
}

void Engine::finish_path() {
  for (Checkpoint* c = parent_; c; c = c->parent)
    if (--c->branches > 0) break;
}

bool Engine::pop_path() {
  if (stack_.empty()) {
    done_ = true;
    return false;
  }
  switched_ = true;
  Pending p = std::move(stack_.back());
  stack_.pop_back();
  st_ = std::move(p.st);
  pc_ = p.insn;
  parent_ = p.parent;
  hist_ = std::move(p.hist);
  written_ = std::move(p.written);
  if (opts_.log_level >= 1)
    pending_log_ += "from " + std::to_string(p.from) + " to " + std::to_string(p.insn) + ": " +
                    state_str(st_) + "\n";
  return true;
}

void Engine::push_branch(State st, int insn) {
  if (parent_) ++parent_->branches;
  stack_.push_back(Pending{std::move(st), insn, pc_, parent_, hist_, written_});
}

bool Engine::finalize_stack_depth() {
  // Combined depth along every call chain, each frame rounded up to 32 bytes like the kernel.
  const size_t ns = max_stack_.size();
  rep_.stack_depth.resize(ns);
  for (size_t i = 0; i < ns; ++i) rep_.stack_depth[i] = static_cast<uint32_t>(max_stack_[i]);
  std::vector<int> depth(ns, -1);
  std::vector<char> visiting(ns, 0);
  std::function<int(int)> walk = [&](int s) -> int {
    if (depth[s] >= 0) return depth[s];
    if (visiting[s]) return 0;  // recursion is rejected at call time
    visiting[s] = 1;
    int own = std::max(32, (max_stack_[s] + 31) / 32 * 32);
    int best = 0;
    for (int c : call_edges_[s]) best = std::max(best, walk(c));
    visiting[s] = 0;
    return depth[s] = own + best;
  };
  int total = walk(0);
  if (total > isa::kStackSize && ns > 1) {
    pc_ = 0;
    return fail("combined stack size of " + std::to_string(ns) + " calls is " +
                    std::to_string(total) + ". Too large",
                "each function's stack adds up along a call chain; the total must stay within 512 "
                "bytes");
  }
  return true;
}

Report verify(const Program& prog, const Options& opts) {
  Report rep;
  auto t0 = std::chrono::steady_clock::now();
  bool rerun = false;
  {
    Engine e(prog, opts, rep);
    e.run();
    rerun = e.needs_conservative_rerun();
  }
  if (rerun) {
    // A prune made against a loop head's precision at the time no longer holds with its final
    // marks: verify again without such prunes.
    rep = Report{};
    Engine e(prog, opts, rep, /*conservative=*/true);
    e.run();
  }
  rep.verification_time_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  return rep;
}

}  // namespace bombus::verifier
