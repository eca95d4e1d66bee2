// Precision by backtracking, the kernel's mark_chain_precision. Scalars start imprecise: a
// checkpoint's scalar whose exact value was never needed covers any scalar when states are
// compared. When a scalar's value decides something (a branch decided by its range, a pointer
// offset, a helper's size or nullable argument, a return-value range), the path's instruction
// history is walked backwards from the current instruction: the set of registers and stack
// slots the value came from is carried through each instruction (a move hands it to its source,
// an ALU op adds the source, a fill turns it into the stack slot, a spill back into the
// register, a call's arguments move to the caller, a return value to the callee) and marked
// precise in every parent checkpoint it crosses, stopping where a mark is already present.
//
// A path pruned against a checkpoint inherits that checkpoint's marks (propagate_precision).
// When the checkpoint was still being explored (a loop head) its marks can still grow: the
// pruned path is kept as a backedge, and marks the target gains later are carried back along it
// (drain_backedges). Checkpoints on such a path are "in a loop" until the loop head is done and
// are compared with the conservative static masks meanwhile.
#include <limits>

#include "verifier/engine.h"

namespace bombus::verifier {

using isa::Insn;
using isa::OpKind;

namespace {

constexpr auto bit = reg_bit;
constexpr size_t kMaxBtFrames = 8;

}  // namespace

bool Engine::BtSet::empty() const {
  for (size_t f = 0; f < kMaxBtFrames; ++f)
    if (regs[f] || slots[f]) return false;
  return true;
}

void Engine::record_hist() {
  HistEntry e;
  e.insn = pc_;
  e.depth = static_cast<int8_t>(st_.frames.size() - 1);
  const Insn& in = prog_.insns[pc_];
  const auto k = isa::op_info(in.opcode).kind;
  int base = -1;
  if (k == OpKind::Ldx || k == OpKind::Ldxsx)
    base = in.src;
  else if (k == OpKind::St || k == OpKind::Stx || k == OpKind::Atomic)
    base = in.dst;
  if (base >= 0 && base <= isa::kFramePointer) {
    const Reg& b = st_.reg(base);
    if (b.type == RegType::kStack && b.var.is_const()) {
      const int64_t off =
          static_cast<int64_t>(b.off) + in.off + static_cast<int64_t>(b.var.const_value());
      if (off < 0 && off >= -isa::kStackSize) {
        e.sframe = b.frameno;
        e.sslot = static_cast<int8_t>((-off - 1) / 8);
      }
      const int size = isa::size_bytes(in.opcode);
      if (k != OpKind::St && k != OpKind::Stx) {
        // A load or an atomic reads every slot the bytes [off, off + size) touch.
        const int64_t hi = off + size - 1;
        uint64_t m = 0;
        for (int64_t a = std::max<int64_t>(off, -isa::kStackSize); a <= hi && a < 0; a += 1)
          m |= 1ull << ((-a - 1) / 8);
        mark_slots_read(b.frameno, m);
      } else if (size == 8 && off < 0 && off >= -isa::kStackSize && off % 8 == 0) {
        if (written_.size() <= static_cast<size_t>(b.frameno)) written_.resize(b.frameno + 1, 0);
        written_[b.frameno] |= 1ull << ((-off - 1) / 8);  // fully overwritten
      }
    } else if (b.type == RegType::kStack && k != OpKind::St && k != OpKind::Stx) {
      mark_slots_read(b.frameno, ~0ull);  // variable offset: any slot
    }
  }
  hist_.push_back(e);
}

// Stack liveness, the kernel's read marks: a slot read before the current path wrote it was
// read by every checkpoint above, up to the one whose segment wrote it fully.
void Engine::mark_slots_read(int frame, uint64_t slots) {
  if (frame < 0) return;
  if (static_cast<size_t>(frame) < written_.size()) slots &= ~written_[frame];
  if (slots) propagate_reads(static_cast<size_t>(frame), slots, parent_);
}

void Engine::propagate_reads(size_t frame, uint64_t slots, Checkpoint* cp) {
  uint64_t walked = 0;
  while (cp && slots && frame < cp->st.frames.size()) {
    if (cp->read_slots.size() <= frame) cp->read_slots.resize(frame + 1, 0);
    const uint64_t fresh = slots & ~cp->read_slots[frame];
    if (!fresh) break;  // already marked, and from there on up
    cp->read_slots[frame] |= fresh;
    ++walked;
    if (!cp->backedges.empty()) be_work_.push_back(cp);
    slots = fresh & ~(frame < cp->written.size() ? cp->written[frame] : 0);
    cp = cp->parent;
  }
  rep_.mark_read = std::max<uint64_t>(rep_.mark_read, walked);
  drain_backedges();
}

// Value-dependent decisions the instruction is about to make (the ones outside engine_flow.cc):
// the scalar of a pointer +/- scalar, typed helper arguments (sizes, nullable pointers), every
// scalar kfunc argument, and a register whose zero becomes zero stack bytes. Also the stack a
// helper or kfunc may read through its pointer arguments.
void Engine::demand_precision_before_insn() {
  const Insn& in = prog_.insns[pc_];
  const auto k = isa::op_info(in.opcode).kind;
  auto scalar = [&](int r) { return st_.reg(r).type == RegType::kScalar; };
  if (k == OpKind::AluX && isa::insn_class(in.opcode) == isa::kClassAlu64 &&
      ((in.opcode & 0xf0) == 0x00 || (in.opcode & 0xf0) == 0x10)) {
    const Reg& d = st_.reg(in.dst);
    const Reg& s = st_.reg(in.src);
    if (d.is_pointer() && s.type == RegType::kScalar) mark_precise(in.src);
    if (s.is_pointer() && d.type == RegType::kScalar) mark_precise(in.dst);
  }
  if (k == OpKind::Call && in.src != isa::kPseudoCall) {
    // A helper or kfunc may read the stack behind any pointer argument: every slot from the
    // pointer's lowest address up to the frame pointer.
    for (int r = 1; r <= 5; ++r) {
      const Reg& a = st_.reg(r);
      if (a.type != RegType::kStack) continue;
      const int64_t lo = a.var.smin == std::numeric_limits<int64_t>::min()
                             ? -isa::kStackSize
                             : std::max<int64_t>(-isa::kStackSize, a.off + a.var.smin);
      const int top = lo < 0 ? static_cast<int>((-lo - 1) / 8) : -1;
      mark_slots_read(a.frameno, top >= 63 ? ~0ull : ((1ull << (top + 1)) - 1));
    }
  }
  if (k == OpKind::Call && in.src == isa::kPseudoCallHelper) {
    const platform::HelperProto* p = platform::helper_proto(in.imm);
    if (!p) return;
    for (int i = 0; i < 5; ++i) {
      const auto at = p->args[i];
      if (at != platform::ArgType::kNone && at != platform::ArgType::kAnything && scalar(i + 1))
        mark_precise(i + 1);
    }
  } else if (k == OpKind::Call && in.src == isa::kPseudoKfuncCall) {
    for (int r = 1; r <= 5; ++r)
      if (scalar(r)) mark_precise(r);
  } else if (k == OpKind::Stx) {
    const Reg& d = st_.reg(in.dst);
    const Reg& s = st_.reg(in.src);
    const int size = isa::size_bytes(in.opcode);
    if (d.type == RegType::kStack && s.type == RegType::kScalar && s.var.is_const() &&
        s.var.const_value() == 0 && (size < 8 || (in.off % 8) != 0 || !d.var.is_const()))
      mark_precise(in.src);
  }
}

void Engine::mark_precise(int regno) {
  if (st_.reg(regno).type != RegType::kScalar || !parent_) return;
  const size_t d = st_.frames.size() - 1;
  if (d >= kMaxBtFrames) {
    mark_all_precise(parent_);
    return;
  }
  BtSet bt;
  bt.regs[d] = bit(regno);
  backtrack(bt, hist_, parent_, /*skip_last=*/true);
}

// One instruction backwards. `later_depth` is the frame of the instruction that ran right after
// it on the path (-1: none), to move sets across calls and returns. False: not understood (the
// caller then marks everything precise).
bool Engine::backtrack_insn(const HistEntry& e, int later_depth, BtSet& bt) {
  const int d = e.depth;
  if (d < 0 || static_cast<size_t>(d) >= kMaxBtFrames) return false;
  const Insn& in = prog_.insns[e.insn];
  const auto k = isa::op_info(in.opcode).kind;
  if (later_depth >= 0 && later_depth != d) {
    if (static_cast<size_t>(later_depth) >= kMaxBtFrames) return false;
    if (later_depth == d + 1) {
      // This call entered the callee: its r1..r5 were the caller's (a callback's arguments are
      // made by the helper and depend on nothing here).
      if (k != OpKind::Call) return false;
      if (in.src == isa::kPseudoCall) bt.regs[d] |= bt.regs[later_depth] & kRegArgs;
      bt.regs[later_depth] = 0;
      bt.slots[later_depth] = 0;
    } else if (later_depth == d - 1) {
      // This exit returned to the caller: only r0 carries a value back.
      if (k != OpKind::Exit) return false;
      const uint16_t r0 = bt.regs[later_depth] & bit(0);
      bt.regs[later_depth] &= static_cast<uint16_t>(~bit(0));
      bt.regs[d] = r0;
      bt.slots[d] = 0;
    } else {
      return false;
    }
  }
  uint16_t& regs = bt.regs[d];
  const bool x = (in.opcode & isa::kSrcX) != 0;
  auto slot_bit = [&]() -> uint64_t {
    return e.sframe >= 0 && e.sslot >= 0 && e.sslot < 64 ? (1ull << e.sslot) : 0;
  };
  uint64_t no_slots = 0;
  auto slots_of = [&]() -> uint64_t& {
    no_slots = 0;
    return e.sframe >= 0 && static_cast<size_t>(e.sframe) < kMaxBtFrames ? bt.slots[e.sframe]
                                                                         : no_slots;
  };
  switch (k) {
    case OpKind::AluK:
    case OpKind::AluX:
    case OpKind::Neg:
    case OpKind::End:
    case OpKind::Bswap: {
      if (!(regs & bit(in.dst))) break;
      const bool mov = is_alu_mov(in);
      if (mov) {
        regs &= static_cast<uint16_t>(~bit(in.dst));
        if (x) regs |= bit(in.src);
      } else if (k == OpKind::AluX) {
        regs |= bit(in.src);
      }
      break;
    }
    case OpKind::Ldx:
    case OpKind::Ldxsx:
      if (!(regs & bit(in.dst))) break;
      regs &= static_cast<uint16_t>(~bit(in.dst));
      slots_of() |= slot_bit();  // a fill: the value came from that slot
      break;
    case OpKind::St:
      slots_of() &= ~slot_bit();
      break;
    case OpKind::Stx: {
      uint64_t& s = slots_of();
      if (s & slot_bit()) {
        s &= ~slot_bit();
        regs |= bit(in.src);  // a spill: the slot held this register
      }
      break;
    }
    case OpKind::Atomic: {
      // Read-modify-write: whatever comes out depends on the operand and the old memory.
      const uint16_t involved =
          static_cast<uint16_t>(bit(in.src) | (in.imm == isa::kAtomicCmpxchg ? bit(0) : 0));
      uint64_t& s = slots_of();
      if ((regs & involved) || (s & slot_bit())) {
        regs |= involved;
        s |= slot_bit();
      }
      break;
    }
    case OpKind::Lddw:
      regs &= static_cast<uint16_t>(~bit(in.dst));
      break;
    case OpKind::LdAbs:
    case OpKind::LdInd:
      regs &= static_cast<uint16_t>(~kRegCallerSaved);  // r0 comes from the packet
      break;
    case OpKind::JccK:
    case OpKind::JccX: {
      if (e.linked >= 0 && static_cast<size_t>(e.linked) < linked_.size()) {
        // Scalars sharing an id were all refined by this comparison: if one of them matters,
        // every one of them does (the kernel's linked registers).
        const auto& items = linked_[e.linked];
        bool any = false;
        for (const LinkedItem& li : items) {
          if (static_cast<size_t>(li.frame) >= kMaxBtFrames) return false;
          if (li.reg >= 0 ? (bt.regs[li.frame] & bit(li.reg))
                          : ((bt.slots[li.frame] >> li.slot) & 1))
            any = true;
        }
        if (any)
          for (const LinkedItem& li : items) {
            if (li.reg >= 0)
              bt.regs[li.frame] |= bit(li.reg);
            else
              bt.slots[li.frame] |= 1ull << li.slot;
          }
      }
      if (x && (regs & (bit(in.dst) | bit(in.src)))) regs |= bit(in.dst) | bit(in.src);
      break;
    }
    case OpKind::Call:
      regs &= static_cast<uint16_t>(~bit(0));  // the result is the callee's or the helper's
      break;
    case OpKind::Exit:
    case OpKind::Ja:
    case OpKind::Jal:
    case OpKind::MayGoto:
      break;
    default:
      return false;
  }
  return true;
}

void Engine::backtrack(BtSet bt, const std::vector<HistEntry>& seg, Checkpoint* parent,
                       bool skip_last) {
  const std::vector<HistEntry>* s = &seg;
  Checkpoint* cp = parent;
  int later = -1;
  uint64_t walked = 0;
  while (true) {
    for (size_t i = s->size(); i-- > 0;) {
      const HistEntry& e = (*s)[i];
      if (skip_last) {
        skip_last = false;
        later = e.depth;
        continue;
      }
      if (!backtrack_insn(e, later, bt)) {
        mark_all_precise(cp);
        return;
      }
      later = e.depth;
      if (bt.empty()) break;
    }
    if (!cp || bt.empty()) break;
    // At checkpoint cp (the state before the first instruction of the segment just walked).
    bool grew = false;
    const size_t nf = cp->st.frames.size();
    if (cp->prec_regs.size() < nf) cp->prec_regs.resize(nf, 0);
    if (cp->prec_slots.size() < nf) cp->prec_slots.resize(nf, 0);
    for (size_t f = 0; f < kMaxBtFrames; ++f) {
      if (f >= nf) {
        bt.regs[f] = 0;
        bt.slots[f] = 0;
        continue;
      }
      const Frame& fr = cp->st.frames[f];
      for (int r = 0; r < 11; ++r) {
        if (!(bt.regs[f] & bit(r))) continue;
        if (fr.regs[r].type != RegType::kScalar || (cp->prec_regs[f] & bit(r))) {
          bt.regs[f] &= static_cast<uint16_t>(~bit(r));
        } else {
          cp->prec_regs[f] |= bit(r);
          grew = true;
        }
      }
      for (int i = 0; i < 64 && bt.slots[f]; ++i) {
        if (!((bt.slots[f] >> i) & 1)) continue;
        const bool spilled_scalar = static_cast<size_t>(i) < fr.stack.size() &&
                                    fr.stack[i].spill_size() == 8 &&
                                    fr.stack[i].spilled.type == RegType::kScalar;
        // Narrow spills and misc/zero bytes are compared exactly anyway.
        if (!spilled_scalar || ((cp->prec_slots[f] >> i) & 1)) {
          bt.slots[f] &= ~(1ull << i);
        } else {
          cp->prec_slots[f] |= 1ull << i;
          grew = true;
        }
      }
    }
    if (grew && !cp->backedges.empty()) be_work_.push_back(cp);
    if (bt.empty()) break;
    ++walked;
    s = &cp->hist;
    cp = cp->parent;
  }
  (void)walked;
  drain_backedges();
}

void Engine::mark_all_precise(Checkpoint* from) {
  for (Checkpoint* cp = from; cp; cp = cp->parent) {
    const size_t nf = cp->st.frames.size();
    cp->prec_regs.resize(std::max(cp->prec_regs.size(), nf), 0);
    cp->prec_slots.resize(std::max(cp->prec_slots.size(), nf), 0);
    bool grew = false;
    for (size_t f = 0; f < nf; ++f) {
      const Frame& fr = cp->st.frames[f];
      for (int r = 0; r < 11; ++r)
        if (fr.regs[r].type == RegType::kScalar && !(cp->prec_regs[f] & bit(r))) {
          cp->prec_regs[f] |= bit(r);
          grew = true;
        }
      for (size_t i = 0; i < fr.stack.size() && i < 64; ++i)
        if (fr.stack[i].spill_size() == 8 && fr.stack[i].spilled.type == RegType::kScalar &&
            !((cp->prec_slots[f] >> i) & 1)) {
          cp->prec_slots[f] |= 1ull << i;
          grew = true;
        }
    }
    if (grew && !cp->backedges.empty()) be_work_.push_back(cp);
  }
  drain_backedges();
}

// The current path ends at `old`: what old's continuation needs precise or reads, this path
// needs too (the kernel's propagate_precision and propagate_liveness).
void Engine::propagate_precision(const Checkpoint& old) {
  for (size_t f = 0; f < old.read_slots.size() && f < st_.frames.size(); ++f)
    if (old.read_slots[f]) mark_slots_read(static_cast<int>(f), old.read_slots[f]);
  BtSet bt;
  const std::vector<uint16_t> live = live_masks(old.st, old.insn);
  for (size_t f = 0; f < old.st.frames.size() && f < kMaxBtFrames; ++f) {
    if (f < old.prec_regs.size()) bt.regs[f] = old.prec_regs[f] & live[f];
    if (f < old.prec_slots.size()) bt.slots[f] = old.prec_slots[f];
  }
  if (old.st.frames.size() > kMaxBtFrames) {
    mark_all_precise(parent_);
    return;
  }
  if (!bt.empty()) backtrack(bt, hist_, parent_, /*skip_last=*/false);
}

void Engine::add_backedge(Checkpoint* target) {
  // The outermost unfinished loop head the target belongs to (or the target itself).
  Checkpoint* entry = target;
  for (Checkpoint* e = target->loop_entry; e; e = e->loop_entry)
    if (e->branches > 0 && e->depth < entry->depth) entry = e;
  for (Checkpoint* c = parent_; c && c != entry; c = c->parent) {
    if (c->loop_entry == entry) break;
    if (!c->loop_entry || c->loop_entry->depth > entry->depth) c->loop_entry = entry;
  }
  target->backedges.push_back(static_cast<uint32_t>(backedges_.size()));
  backedges_.push_back(Backedge{target, parent_, hist_, written_});
}

void Engine::drain_backedges() {
  if (draining_) return;
  draining_ = true;
  while (!be_work_.empty()) {
    Checkpoint* t = be_work_.back();
    be_work_.pop_back();
    const std::vector<uint16_t> live = live_masks(t->st, t->insn);
    for (uint32_t idx : t->backedges) {
      for (size_t f = 0; f < t->read_slots.size(); ++f) {
        const Backedge& be = backedges_[idx];
        uint64_t m = t->read_slots[f] & ~(f < be.written.size() ? be.written[f] : 0);
        if (m) propagate_reads(f, m, be.parent);
      }
      BtSet bt;
      for (size_t f = 0; f < t->st.frames.size() && f < kMaxBtFrames; ++f) {
        if (f < t->prec_regs.size()) bt.regs[f] = t->prec_regs[f] & live[f];
        if (f < t->prec_slots.size()) bt.slots[f] = t->prec_slots[f];
      }
      if (bt.empty()) continue;
      const Backedge& be = backedges_[idx];
      backtrack(bt, be.hist, be.parent, /*skip_last=*/false);
    }
  }
  draining_ = false;
}

bool Engine::in_loop(const Checkpoint& cp) const {
  for (const Checkpoint* e = cp.loop_entry; e; e = e->loop_entry)
    if (e->branches > 0) return true;
  return false;
}

std::vector<uint16_t> Engine::live_masks(const State& st, int pc) const {
  // The top frame resumes at pc; a caller at the insn after its call (r0..r5 are then the
  // return value and clobbered), or at the helper call itself when a callback returns.
  std::vector<uint16_t> m(st.frames.size(), 0x7ff);
  if (!use_liveness_) return m;
  for (size_t f = 0; f < st.frames.size(); ++f) {
    int at = pc;
    bool clobbered = false;
    if (f + 1 < st.frames.size()) {
      const Frame& callee = st.frames[f + 1];
      at = callee.callback ? callee.callsite : callee.callsite + 1;
      clobbered = !callee.callback;
    }
    if (at >= 0 && at < static_cast<int>(cfg_.live.size())) m[f] = cfg_.live[at];
    if (clobbered) m[f] &= static_cast<uint16_t>(~kRegCallerSaved);
  }
  return m;
}

PruneMasks Engine::dynamic_masks(const Checkpoint& cp) const {
  PruneMasks m;
  m.live = live_masks(cp.st, cp.insn);
  const size_t nf = cp.st.frames.size();
  m.precise.assign(nf, 0);
  m.loose_slots.assign(nf, ~0ull);
  m.live_slots.assign(nf, 0);
  for (size_t f = 0; f < nf; ++f) {
    if (use_liveness_ && f < cp.read_slots.size()) m.live_slots[f] = cp.read_slots[f];
    if (!use_liveness_) m.live_slots[f] = ~0ull;
    if (f < cp.prec_regs.size()) m.precise[f] = cp.prec_regs[f];
    if (f < cp.prec_slots.size()) m.loose_slots[f] = ~cp.prec_slots[f];
  }
  return m;
}

PruneMasks Engine::static_masks(const State& st, int pc) const {
  PruneMasks m;
  m.live = live_masks(st, pc);
  m.precise.assign(st.frames.size(), 0xffff);
  for (size_t f = 0; f < st.frames.size(); ++f) {
    int at = pc;
    if (f + 1 < st.frames.size()) {
      const Frame& callee = st.frames[f + 1];
      at = callee.callback ? callee.callsite : callee.callsite + 1;
    }
    if (at >= 0 && at < static_cast<int>(cfg_.precise.size())) m.precise[f] = cfg_.precise[at];
  }
  return m;
}

bool Engine::validate_loose_prunes() {
  for (const LoosePrune& lp : loose_prunes_)
    if (!state_subsumes_masked(lp.target->st, lp.cur, dynamic_masks(*lp.target))) return false;
  return true;
}

}  // namespace bombus::verifier
