// Control transfer: conditional jumps (scalar refinement on both edges, null checks propagated by
// id, packet ranges learned from comparisons with data_end and shared by id), and exits (return
// to the caller frame or callback re-entry, return-value ranges, leaked references and locks).
#include <cstdio>

#include "verifier/check_sock.h"
#include "verifier/engine.h"
#include "verifier/linked_scalars.h"

namespace bombus::verifier {

using isa::Insn;

namespace {

bool jmp_cmp(uint8_t opcode, Cmp* out) {
  switch (opcode & 0xf0) {
    case 0x10:
      *out = Cmp::kEq;
      return true;
    case 0x20:
      *out = Cmp::kGt;
      return true;
    case 0x30:
      *out = Cmp::kGe;
      return true;
    case 0x40:
      *out = Cmp::kSet;
      return true;
    case 0x50:
      *out = Cmp::kNe;
      return true;
    case 0x60:
      *out = Cmp::kSgt;
      return true;
    case 0x70:
      *out = Cmp::kSge;
      return true;
    case 0xa0:
      *out = Cmp::kLt;
      return true;
    case 0xb0:
      *out = Cmp::kLe;
      return true;
    case 0xc0:
      *out = Cmp::kSlt;
      return true;
    case 0xd0:
      *out = Cmp::kSle;
      return true;
    default:
      return false;
  }
}

template <typename F>
void for_each_reg(State& st, F&& f) {
  for (auto& fr : st.frames) {
    for (auto& r : fr.regs) f(r);
    for (auto& sl : fr.stack)
      if (sl.is_spill()) f(sl.spilled);
  }
}

}  // namespace

// The kernel's sync_linked_regs: every scalar sharing `known`'s id takes its bounds, shifted by
// the difference of their constant distances (linked_scalars.h).
void Engine::find_equal_scalars(const Reg& known) {
  if (known.type != RegType::kScalar || known.id == 0) return;
  for_each_reg(st_, [&](Reg& r) {
    if (&r == &known || r.type != RegType::kScalar || base_id(r.id) != base_id(known.id)) return;
    r.var = known.var;
    const int64_t delta = static_cast<int64_t>(add_const(r)) - add_const(known);
    if (delta != 0)
      scalar_alu(r.var, Scalar::constant(static_cast<uint64_t>(delta)), AluOp::kAdd, false);
  });
}

// Before a comparison refines linked scalars (find_equal_scalars), remember which registers and
// spilled slots share an id with the operands, for precision backtracking.
void Engine::record_linked_scalars(int dst, int src) {
  std::vector<LinkedItem> items;
  for (int regno : {dst, src}) {
    if (regno < 0) continue;
    const Reg& r = st_.reg(regno);
    if (r.type != RegType::kScalar || r.id == 0) continue;
    const uint32_t id = base_id(r.id);
    for (size_t f = 0; f < st_.frames.size(); ++f) {
      const Frame& fr = st_.frames[f];
      for (int i = 0; i < 11; ++i)
        if (fr.regs[i].type == RegType::kScalar && base_id(fr.regs[i].id) == id)
          items.push_back(LinkedItem{static_cast<int8_t>(f), static_cast<int8_t>(i), 0});
      for (size_t i = 0; i < fr.stack.size() && i < 64; ++i)
        if (fr.stack[i].is_spill() && fr.stack[i].spilled.type == RegType::kScalar &&
            base_id(fr.stack[i].spilled.id) == id)
          items.push_back(LinkedItem{static_cast<int8_t>(f), -1, static_cast<int8_t>(i)});
    }
  }
  if (items.size() < 2 || hist_.empty()) return;
  hist_.back().linked = static_cast<int32_t>(linked_.size());
  linked_.push_back(std::move(items));
}

void Engine::mark_ptr_or_null(uint32_t id, bool is_null) {
  if (id == 0) return;
  for_each_reg(st_, [&](Reg& r) {
    if (!r.maybe_null || r.id != id || r.type == RegType::kScalar) return;
    if (is_null) {
      r = Reg::constant(0);
    } else {
      r.maybe_null = false;
      // Packet-range sharing needs the id, and so does telling one map value's spin lock from
      // another's (the kernel's reg_may_point_to_spin_lock); other pointers no longer do.
      const MapInfo* m = r.type == RegType::kMapValue ? map_of(r) : nullptr;
      const bool may_lock = m && m->spin_lock_off >= 0;
      if (!r.is_pkt() && r.ref_obj_id == 0 && !may_lock) r.id = 0;
      if (m) xsk_value_to_sock(r, *m);  // check_sock.cc: an xskmap value is an xdp_sock
    }
  });
  if (is_null) {
    // A null result holds no reference.
    for (size_t i = 0; i < st_.refs.size(); ++i)
      if (st_.refs[i].id == id) {
        st_.refs.erase(st_.refs.begin() + i);
        break;
      }
  }
}

void Engine::mark_pkt_range(const Reg& pkt, int32_t new_range) {
  if (new_range <= 0) return;
  for_each_reg(st_, [&](Reg& r) {
    if (r.type == pkt.type && r.id == pkt.id) r.range = std::max(r.range, new_range);
  });
}

bool Engine::do_jump(const Insn& insn) {
  const auto kind = isa::op_info(insn.opcode).kind;
  if (kind == isa::OpKind::Ja || kind == isa::OpKind::Jal) {
    int32_t delta = kind == isa::OpKind::Jal ? insn.imm : insn.off;
    pc_ = pc_ + 1 + delta;
    jumped_ = true;
    return true;
  }
  Cmp op;
  if (!jmp_cmp(insn.opcode, &op)) return fail("invalid jump opcode");
  const bool is32 = isa::insn_class(insn.opcode) == isa::kClassJmp32;
  const bool x = kind == isa::OpKind::JccX;
  if (!check_reg_read(insn.dst)) return false;
  if (x && !check_reg_read(insn.src)) return false;
  const int target = pc_ + 1 + insn.off;
  Reg imm_reg = Reg::constant(is32 ? static_cast<uint32_t>(insn.imm)
                                   : static_cast<uint64_t>(static_cast<int64_t>(insn.imm)));
  Reg a = reg(insn.dst);
  Reg b = x ? reg(insn.src) : imm_reg;
  auto& fact = rep_.facts[pc_];
  auto record = [&](int taken) {
    // -2: never recorded. Otherwise 1/0 while consistent, -1 once both seen.
    if (fact.branch == -1 && !branch_seen_[pc_])
      fact.branch = static_cast<int8_t>(taken);
    else if (fact.branch != taken)
      fact.branch = -1;
    branch_seen_[pc_] = true;
  };

  State fall = st_;
  State taken = st_;
  int decided = -1;  // 1: always taken, 0: never taken

  if (a.type == RegType::kScalar && b.type == RegType::kScalar) {
    record_linked_scalars(insn.dst, x ? insn.src : -1);
    decided = branch_taken(a.var, b.var, op, is32);
    if (decided < 0) {
      auto apply = [&](State& s, Cmp c) {
        Reg& ra = s.reg(insn.dst);
        Reg rb = x ? s.reg(insn.src) : imm_reg;
        refine(ra.var, rb.var, c, is32);
        if (x) s.reg(insn.src).var = rb.var;
        bool empty = ra.var.is_empty() || rb.var.is_empty();
        if (!empty) {
          State saved = std::move(st_);
          st_ = std::move(s);
          if (x) find_equal_scalars(st_.reg(insn.src));
          find_equal_scalars(st_.reg(insn.dst));
          s = std::move(st_);
          st_ = std::move(saved);
        }
        return !empty;
      };
      bool t_ok = apply(taken, op);
      bool f_ok = apply(fall, negate(op));
      if (!t_ok && !f_ok)
        decided = 0;  // cannot happen for sound inputs; keep the fall-through
      else if (!t_ok)
        decided = 0;
      else if (!f_ok)
        decided = 1;
    }
    // The branch was decided by the operands' ranges: their exact values matter.
    if (decided >= 0) {
      mark_precise(insn.dst);
      if (x) mark_precise(insn.src);
    }
  } else if (!is32 && (op == Cmp::kEq || op == Cmp::kNe) &&
             ((a.is_pointer() && b.type == RegType::kScalar && b.var.is_const() &&
               b.var.const_value() == 0) ||
              (b.is_pointer() && a.type == RegType::kScalar && a.var.is_const() &&
               a.var.const_value() == 0))) {
    const Reg& p = a.is_pointer() ? a : b;
    if (x) mark_precise(a.is_pointer() ? insn.src : insn.dst);  // it must be exactly 0
    // Only some pointer kinds are known non-NULL to the kernel (reg_not_null); comparing ctx,
    // stack or packet pointers with 0 explores both outcomes there, so it does here.
    const bool known_not_null = p.type == RegType::kMapValue || p.type == RegType::kMapKey ||
                                p.type == RegType::kMem || p.type == RegType::kConstMapPtr ||
                                p.type == RegType::kBtfId;
    if (!p.maybe_null) {
      if (known_not_null) decided = op == Cmp::kEq ? 0 : 1;
    } else if (a.is_pointer()) {  // the kernel learns NULL-ness only of the dst operand
      State& null_side = op == Cmp::kEq ? taken : fall;
      State& nonnull_side = op == Cmp::kEq ? fall : taken;
      State saved = std::move(st_);
      st_ = std::move(null_side);
      mark_ptr_or_null(p.id, true);
      null_side = std::move(st_);
      st_ = std::move(nonnull_side);
      mark_ptr_or_null(p.id, false);
      nonnull_side = std::move(st_);
      st_ = std::move(saved);
    }
  } else if (!is32 && a.is_pointer() && b.is_pointer()) {
    if (op == Cmp::kEq || op == Cmp::kNe)  // check_sock.cc: one side NULL-checked
      infer_not_null_on_eq(op == Cmp::kEq ? taken : fall, insn.dst, insn.src, prog_.maps);
    // Packet pointer against its end: learn how many bytes are known to be in bounds.
    const Reg* pkt = nullptr;
    Cmp rel = op;  // relation "pkt rel end"
    bool ok_pair = false;
    if (a.type == RegType::kPacket && b.type == RegType::kPacketEnd)
      pkt = &a, ok_pair = true;
    else if (b.type == RegType::kPacket && a.type == RegType::kPacketEnd)
      pkt = &b, rel = flip(op), ok_pair = true;
    // Against the packet start, only the untouched data pointer bounds the metadata (the
    // kernel's reg_is_init_pkt_pointer).
    auto is_data_start = [](const Reg& r) {
      return r.type == RegType::kPacket && r.off == 0 && r.var.is_const() &&
             r.var.const_value() == 0;
    };
    if (a.type == RegType::kPacketMeta && is_data_start(b))
      pkt = &a, ok_pair = true;
    else if (b.type == RegType::kPacketMeta && is_data_start(a))
      pkt = &b, rel = flip(op), ok_pair = true;
    // An offset past the largest packet proves nothing (MAX_PACKET_OFF).
    if (ok_pair && pkt->var.smin >= 0 && pkt->var.umax <= 0xffff && pkt->off >= 0 &&
        pkt->off <= 0xffff) {
      // pkt' <= end proves off bytes; pkt' < end one more (the byte at pkt' itself).
      int32_t r = pkt->off;
      State* in_bounds = nullptr;
      switch (rel) {
        case Cmp::kGt:
          in_bounds = &fall;
          break;  // not (pkt' > end): pkt' <= end
        case Cmp::kGe:
          in_bounds = &fall, r += 1;
          break;  // not (pkt' >= end): pkt' < end
        case Cmp::kLt:
          in_bounds = &taken, r += 1;
          break;  // pkt' < end
        case Cmp::kLe:
          in_bounds = &taken;
          break;  // pkt' <= end
        default:
          break;
      }
      if (in_bounds) {
        State saved = std::move(st_);
        st_ = std::move(*in_bounds);
        mark_pkt_range(*pkt, r);
        *in_bounds = std::move(st_);
        st_ = std::move(saved);
      }
    }
  }

  if (decided == 1) {
    record(1);
    st_ = std::move(taken);
    pc_ = target;
    jumped_ = true;
    return true;
  }
  if (decided == 0) {
    record(0);
    st_ = std::move(fall);
    return true;
  }
  fact.branch = -1;
  branch_seen_[pc_] = true;
  push_branch(std::move(taken), target);
  st_ = std::move(fall);
  return true;
}

// may_goto: the run-time loop budget decides, so both successors are explored. Like the kernel,
// the jump (the loop's exit) is followed first and the fall-through (another iteration) is
// queued one level deeper; at the may_goto an in-progress state of another depth that covers the
// current one ends the path (is_pruned), which is how such loops converge.
bool Engine::do_may_goto(const Insn& insn) {
  auto& fact = rep_.facts[pc_];
  fact.branch = -1;
  branch_seen_[pc_] = true;
  State fall = st_;
  ++fall.may_goto_depth;
  // The kernel pushes the fall-through, continues at the target; our push_branch queues a state
  // for a target pc, so queue pc + 1 and jump.
  push_branch(std::move(fall), pc_ + 1);
  pc_ = pc_ + 1 + insn.off;
  jumped_ = true;
  return true;
}

// A callback that keeps changing a number in its caller's stack (a sum, a counter) would make
// every re-entry of the helper call a new state. Like the kernel's widening of imprecise scalars
// between loop iterations, a spilled scalar that differs from the previous iteration's (the
// nearest checkpoint at the call site on this path) becomes unknown, unless that checkpoint
// has it marked precise (its value decided something, e.g. an index after a bpf_loop with a
// known nr_loops). Widening only loses information, so it cannot accept anything unsafe; the
// next re-entry then matches.
void Engine::widen_spilled_scalars(int callsite) {
  const Checkpoint* prev = parent_;
  while (prev && !(prev->insn == callsite && prev->st.frames.size() == st_.frames.size()))
    prev = prev->parent;
  if (!prev) return;
  for (size_t f = 0; f < st_.frames.size(); ++f) {
    Frame& cur = st_.frames[f];
    const Frame& old = prev->st.frames[f];
    for (size_t i = 0; i < cur.stack.size() && i < old.stack.size(); ++i) {
      StackSlot& cs = cur.stack[i];
      const StackSlot& os = old.stack[i];
      if (cs.spill_size() != 8 || os.spill_size() != 8 || cs.spilled.type != RegType::kScalar ||
          os.spilled.type != RegType::kScalar)
        continue;
      if (os.spilled.var.contains(cs.spilled.var) && cs.spilled.var.contains(os.spilled.var))
        continue;
      if (i < 64 && f < prev->prec_slots.size() && ((prev->prec_slots[f] >> i) & 1)) continue;
      cs.spilled = Reg::unknown();
    }
  }
}

bool Engine::check_return_value() {
  const Reg& r0 = st_.reg(0);
  auto range = platform::return_range(prog_.type, prog_.expected_attach_type);
  if (!range) return true;
  const int32_t lo = range->lo, hi = range->hi;
  mark_precise(0);
  if (r0.type != RegType::kScalar)
    return fail(std::string("At program exit the register R0 is not a known value (") +
                reg_type_name(r0) + ")");
  if (r0.var.smin < lo || r0.var.smax > hi) {
    std::string has = r0.var.is_const() ? "smin=" + std::to_string(r0.var.smin) +
                                              " smax=" + std::to_string(r0.var.smax)
                                        : "unknown scalar value";
    return fail("At program exit the register R0 has " + has + " should have been in [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + "]",
                "this program type gives meaning only to return values in that range");
  }
  return true;
}

bool Engine::do_exit() {
  Frame& fr = st_.cur();
  // A subprogram may return holding the lock (its caller then unlocks, kernel 6.14+); the main
  // program's exit, and an async callback's (it is a program of its own), must not.
  if (st_.lock_id != 0 && (st_.frames.size() == 1 || fr.async))
    return fail("BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region",
                "every path from bpf_spin_lock must reach bpf_spin_unlock before the program "
                "exits");
  // A bpf-to-bpf function may return without setting r0 (the kernel checks r0 only at the
  // main program's exit and a callback's); the caller then cannot read it.
  if ((st_.frames.size() == 1 || fr.callback) && !check_reg_read(0)) return false;
  if (st_.frames.size() > 1) {
    Reg r0 = st_.reg(0);
    if (fr.callback) {
      mark_precise(0);
      if (r0.type != RegType::kScalar)
        return fail("At callback return the register R0 is not a known value (" +
                    std::string(reg_type_name(r0)) + ")");
      if (r0.var.smin < fr.ret_min || r0.var.smax > fr.ret_max) {
        std::string has = r0.var.is_const() ? "smin=" + std::to_string(r0.var.smin) +
                                                  " smax=" + std::to_string(r0.var.smax)
                                            : "unknown scalar value";
        return fail("At callback return the register R0 has " + has + " should have been in [" +
                    std::to_string(fr.ret_min) + ", " + std::to_string(fr.ret_max) + "]");
      }
    }
    if (r0.type == RegType::kStack && r0.frameno == static_cast<int>(st_.frames.size()) - 1)
      return fail("cannot return stack pointer to the caller frame");
    if (fr.async) {
      finish_path();
      pop_path();
      jumped_ = true;
      return true;
    }
    int callsite = fr.callsite;
    bool callback = fr.callback;
    st_.frames.pop_back();
    if (callback) {
      // Re-enter the helper call: the callback may run again with the state it left behind.
      pc_ = callsite;
      jumped_ = true;
      widen_spilled_scalars(callsite);
      return true;
    }
    for (int r = 1; r <= 5; ++r) st_.reg(r) = Reg{};
    st_.reg(0) = r0;
    pc_ = callsite + 1;
    jumped_ = true;
    return true;
  }
  if (!st_.refs.empty()) {
    return fail("Unreleased reference id=" + std::to_string(st_.refs[0].id) +
                    " alloc_insn=" + std::to_string(st_.refs[0].insn),
                "every bpf_ringbuf_reserve result must reach bpf_ringbuf_submit or "
                "bpf_ringbuf_discard on every path");
  }
  if (!check_return_value()) return false;
  finish_path();
  pop_path();
  jumped_ = true;
  return true;
}

}  // namespace bombus::verifier
