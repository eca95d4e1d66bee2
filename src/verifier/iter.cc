// Open-coded iterators (struct bpf_iter_<kind> on the stack, bpf_iter_<kind>_new/next/destroy).
// new() needs uninitialised stack and turns it into an iterator holding a reference; next() and
// destroy() need that iterator intact; destroy() releases the reference (a path that never
// destroys it leaks it). next() on an active iterator forks the path like the kernel: the queued
// path is the loop body with a non-NULL element pointer and the iterator one level deeper, the
// current path sees NULL and the iterator drained. Scalars the body changed since the previous
// visit of this next() call on the path are widened to unknown in the queued state, so the loop
// state converges and the checkpoint at next() prunes it (the kernel widens only imprecise
// scalars; widening more only loses information).
#include "verifier/kfunc_call.h"

namespace bombus::verifier {

bool KfuncCall::stack_object(int regno, int size, const char* what, int* frameno, int* first) {
  Engine& e = e_;
  const Reg& r = e.reg(regno);
  if (r.type != RegType::kStack)
    return e.fail(kfmt("arg#%d expected pointer to %s on stack", regno - 1, what));
  if (!r.var.is_const()) return e.fail(kfmt("R%d %s has to be at a constant offset", regno, what));
  const int64_t t = r.off + static_cast<int64_t>(r.var.const_value());
  if (t < -isa::kStackSize || t + size > 0)
    return e.fail(kfmt("invalid indirect access to stack R%d off=%d size=%d", regno,
                       static_cast<int>(t), size));
  if (t % 8 != 0)
    return e.fail(kfmt("cannot pass in %s at an offset=%d", what, static_cast<int>(t)));
  Frame& fr = e.st_.frames[r.frameno];
  e.max_stack_[fr.subprog] = std::max(e.max_stack_[fr.subprog], static_cast<int32_t>(-t));
  *frameno = r.frameno;
  *first = static_cast<int>((-t - 1) / 8);  // the deepest slot; the object grows towards r10
  for (int k = 0; k < size / 8; ++k) fr.slot(*first - k);
  return true;
}

bool KfuncCall::iter_arg(const KfuncDesc& d, int regno) {
  Engine& e = e_;
  const IterKind& ik = iter_kind(d.iter);
  int fr = -1, first = -1;
  if (!stack_object(regno, ik.size, "an iterator", &fr, &first)) return false;
  obj_frame_ = fr;
  obj_first_ = first;
  const Frame& f = e.st_.frames[fr];
  const int n = ik.size / 8;
  if (d.flags & kKfIterNew) {
    for (int k = 0; k < n; ++k)
      for (SlotType b : f.stack[first - k].bytes)
        if (b == SlotType::kIter || b == SlotType::kDynptr)
          return e.fail(kfmt("expected uninitialized iter_%s as arg #%d", ik.name, regno - 1),
                        "this stack space already holds an iterator or dynptr; destroy it first");
    return true;
  }
  const Reg& head = f.stack[first].spilled;
  for (int k = 0; k < n; ++k) {
    const StackSlot& sl = f.stack[first - k];
    bool ok = sl.spilled.type == RegType::kIter && sl.spilled.map == d.iter &&
              sl.spilled.off == k && sl.spilled.ref_obj_id == head.ref_obj_id;
    for (SlotType b : sl.bytes) ok = ok && b == SlotType::kIter;
    if (!ok)
      return e.fail(kfmt("expected an initialized iter_%s as arg #%d", ik.name, regno - 1),
                    "call bpf_iter_" + std::string(ik.name) +
                        "_new() on this iterator first, and do not write over it");
  }
  obj_ = head;
  return true;
}

void KfuncCall::widen_loop_scalars(State& q) const {
  const Engine& e = e_;
  // The previous visit of this call on the path: the nearest checkpoint here that is not the
  // one made for the current visit.
  const Checkpoint* c = e.parent_;
  if (c && c->insn == e.pc_) c = c->parent;
  while (c && !(c->insn == e.pc_ && c->st.frames.size() == q.frames.size())) c = c->parent;
  if (!c) return;
  auto same = [](const Reg& a, const Reg& b) {
    return a.var.contains(b.var) && b.var.contains(a.var);
  };
  for (size_t f = 0; f < q.frames.size(); ++f) {
    Frame& cur = q.frames[f];
    const Frame& old = c->st.frames[f];
    if (cur.callsite != old.callsite) return;
    for (int r = 0; r < 10; ++r)
      if (cur.regs[r].type == RegType::kScalar && old.regs[r].type == RegType::kScalar &&
          !same(cur.regs[r], old.regs[r]))
        cur.regs[r] = Reg::unknown();
    for (size_t i = 0; i < cur.stack.size() && i < old.stack.size(); ++i) {
      StackSlot& cs = cur.stack[i];
      const StackSlot& os = old.stack[i];
      if (!cs.is_spill() || !os.is_spill() || cs.spilled.type != RegType::kScalar ||
          os.spilled.type != RegType::kScalar || same(cs.spilled, os.spilled))
        continue;
      if (cs.spill_size() == 8) {
        cs.spilled = Reg::unknown();
      } else {
        const int n = cs.spill_size();
        cs.spilled = Reg::scalar(Scalar::unknown_bytes(n));
      }
    }
  }
}

void KfuncCall::iter_next() {
  Engine& e = e_;
  for (int r = 1; r <= 5; ++r) e.reg(r) = Reg{};
  Frame& f = e.st_.frames[obj_frame_];
  const int n = iter_kind(desc_->iter).size / 8;
  if (!obj_.maybe_null) {  // active: the loop body runs once more
    State q = e.st_;
    Reg& r0 = q.reg(0);
    r0 = Reg::pointer(RegType::kMem);
    r0.mem_size = iter_kind(desc_->iter).elem;
    ++q.may_goto_depth;  // one iteration deeper: a repeat of this state is not a stuck loop
    widen_loop_scalars(q);
    e.push_branch(std::move(q), e.pc_ + 1);
  }
  for (int k = 0; k < n; ++k) f.stack[obj_first_ - k].spilled.maybe_null = true;  // drained
  e.reg(0) = Reg::constant(0);
}

}  // namespace bombus::verifier
