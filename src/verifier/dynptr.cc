// Dynptrs: a struct bpf_dynptr (16 bytes, two stack slots) made by bpf_dynptr_from_mem (local,
// over a map value), bpf_ringbuf_reserve_dynptr (a ringbuf record: a reference that
// bpf_ringbuf_submit_dynptr / discard_dynptr must release on every path, even when the reserve
// failed), bpf_dynptr_from_xdp/skb and bpf_dynptr_clone; or the read-only dynptr pointer
// bpf_user_ringbuf_drain passes its callback. Reads, writes, data() and slices need an intact,
// initialised dynptr; data() and slices return memory of their constant size or NULL, tied to
// a ringbuf record's reference so that submitting the record invalidates them. The runtime's
// helpers check offsets and lengths against the dynptr's size when they run.
#include "platform/helper_protos.h"
#include "verifier/kfunc_call.h"

namespace bombus::verifier {

namespace {
constexpr int32_t kFromMem = 197, kReserve = 198, kSubmit = 199, kDiscard = 200, kRead = 201,
                  kWrite = 202, kData = 203, kUserRingbufDrain = 209;
constexpr int kDynptrSize = 16;

bool is_null(const Reg& r) {
  return r.type == RegType::kScalar && r.var.is_const() && r.var.const_value() == 0;
}
}  // namespace

bool is_dynptr_helper(int32_t id) {
  return (id >= kFromMem && id <= kData) || id == kUserRingbufDrain;
}

bool KfuncCall::dynptr_uninit_arg(int regno) {
  Engine& e = e_;
  if (e.reg(regno).type != RegType::kStack)
    return e.fail(kfmt("arg#%d expected pointer to stack or const struct bpf_dynptr", regno - 1));
  int fr = -1, first = -1;
  if (!stack_object(regno, kDynptrSize, "dynptr", &fr, &first)) return false;
  const Frame& f = e.st_.frames[fr];
  for (int k = 0; k < 2; ++k) {
    const StackSlot& sl = f.stack[first - k];
    for (SlotType b : sl.bytes) {
      if (b == SlotType::kIter)
        return e.fail("Dynptr has to be an uninitialized dynptr",
                      "this stack space holds an iterator");
      if (b == SlotType::kDynptr && sl.spilled.ref_obj_id != 0)
        return e.fail("cannot overwrite referenced dynptr",
                      "submit or discard the ringbuf dynptr before reusing its stack space");
    }
  }
  obj_frame_ = fr;
  obj_first_ = first;
  return true;
}

void KfuncCall::dynptr_init(int kind, uint32_t ref) {
  Engine& e = e_;
  Frame& f = e.st_.frames[obj_frame_];
  const uint32_t id = e.new_id();
  for (int k = 0; k < 2; ++k) {
    StackSlot& sl = f.slot(obj_first_ - k);
    sl.bytes.fill(SlotType::kDynptr);
    sl.spilled = Reg::pointer(RegType::kDynptr);
    sl.spilled.map = kind;
    sl.spilled.off = k;
    sl.spilled.id = id;
    sl.spilled.ref_obj_id = ref;
  }
}

bool KfuncCall::dynptr_arg(int regno, Reg* desc) {
  Engine& e = e_;
  const Reg& r = e.reg(regno);
  if (r.type == RegType::kDynptr) {  // the callback's const struct bpf_dynptr *
    if (r.off != 0 || !r.var.is_const() || r.var.const_value() != 0)
      return e.fail(kfmt("R%d must have zero offset when passed as a dynptr", regno));
    *desc = r;
    return true;
  }
  if (r.type != RegType::kStack)
    return e.fail(kfmt("arg#%d expected pointer to stack or const struct bpf_dynptr", regno - 1));
  int fr = -1, first = -1;
  if (!stack_object(regno, kDynptrSize, "dynptr", &fr, &first)) return false;
  const Frame& f = e.st_.frames[fr];
  const Reg& head = f.stack[first].spilled;
  for (int k = 0; k < 2; ++k) {
    const StackSlot& sl = f.stack[first - k];
    bool ok = sl.spilled.type == RegType::kDynptr && sl.spilled.off == k &&
              sl.spilled.id == head.id && sl.spilled.map == head.map;
    for (SlotType b : sl.bytes) ok = ok && b == SlotType::kDynptr;
    if (!ok)
      return e.fail(kfmt("Expected an initialized dynptr as arg #%d", regno - 1),
                    "create the dynptr (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr, ...) "
                    "first, and do not write over it");
  }
  *desc = head;
  return true;
}

bool KfuncCall::dynptr_release(int regno) {
  Engine& e = e_;
  Reg d;
  if (!dynptr_arg(regno, &d)) return false;
  if (e.reg(regno).type != RegType::kStack || d.map != kDynptrRingbuf || d.ref_obj_id == 0)
    return e.fail(kfmt("arg %d is an unacquired reference", regno),
                  "only a dynptr from bpf_ringbuf_reserve_dynptr can be submitted or discarded");
  e.release_ref(d.ref_obj_id);
  // The dynptr and its clones are gone (their stack becomes uninitialised).
  for (Frame& f : e.st_.frames)
    for (StackSlot& sl : f.stack)
      if (sl.is_special() && sl.spilled.type == RegType::kDynptr &&
          sl.spilled.ref_obj_id == d.ref_obj_id)
        sl = {};
  return true;
}

bool KfuncCall::map_arg(platform::MapType want, const char* fname) {
  Engine& e = e_;
  const Reg& m = e.reg(1);
  const MapInfo* mi = m.type == RegType::kConstMapPtr && !m.maybe_null ? e.map_of(m) : nullptr;
  if (!mi) return e.fail(kfmt("R1 type=%s expected=map_ptr", reg_type_name(m)));
  if (mi->type != want)
    return e.fail(
        kfmt("cannot pass map_type %u into func %s", static_cast<uint32_t>(mi->type), fname));
  return true;
}

bool KfuncCall::user_ringbuf_drain() {
  Engine& e = e_;
  if (!map_arg(platform::MapType::kUserRingbuf, "bpf_user_ringbuf_drain#209")) return false;
  const Reg& fn = e.reg(2);
  if (fn.type != RegType::kFunc) return e.fail(kfmt("R2 type=%s expected=func", reg_type_name(fn)));
  const Reg& ctx = e.reg(3);
  if (!is_null(ctx) && ctx.type != RegType::kStack)
    return e.fail(kfmt("R3 type=%s expected=fp", reg_type_name(ctx)));
  if (e.reg(4).type != RegType::kScalar)
    return e.fail("R4 type=" + std::string(reg_type_name(e.reg(4))) + " expected=scalar");
  Reg args[5];
  args[0] = Reg::pointer(RegType::kDynptr);
  args[0].map = kDynptrUserRingbuf;
  args[0].rdonly = true;
  args[1] = ctx;
  return e.setup_callback(fn.subprog, kUserRingbufDrain, args, false);
}

bool Engine::do_dynptr_helper(const isa::Insn& insn) {
  return KfuncCall(*this).dynptr_helper(insn.imm);
}

bool KfuncCall::dynptr_helper(int32_t id) {
  Engine& e = e_;
  const platform::HelperProto* p = platform::helper_proto(id);
  if (!p || p->name.empty() ||
      !platform::helper_allowed(e.prog_.type, id, e.prog_.expected_attach_type)) {
    std::string name = p && !p->name.empty() ? "bpf_" + std::string(p->name) : "unknown";
    return e.fail(kfmt("program of this type cannot use helper %s#%d", name.c_str(), id),
                  "this helper does not exist or is not available to this program type");
  }
  if (p->gpl_only() && !e.prog_.gpl)
    return e.fail("cannot call GPL-restricted function from non-GPL compatible program",
                  "declare a GPL-compatible license: char LICENSE[] SEC(\"license\") = \"GPL\";");
  if (e.st_.lock_id)
    return e.fail("function calls are not allowed while holding a lock",
                  "release the spin lock before calling helpers");
  const int nargs = id == kSubmit || id == kDiscard ? 2
                    : id == kData                   ? 3
                    : id == kRead || id == kWrite   ? 5
                                                    : 4;
  for (int r = 1; r <= nargs; ++r)
    if (!e.check_reg_read(r)) return false;
  auto scalar = [&](int r) {
    return e.reg(r).type == RegType::kScalar
               ? true
               : e.fail(kfmt("R%d type=%s expected=scalar", r, reg_type_name(e.reg(r))));
  };
  // A length argument: a bounded, non-negative scalar; `mem` (0: none) must hold that many bytes.
  auto sized = [&](int mem, int len, bool write) {
    const Reg& l = e.reg(len);
    if (!scalar(len)) return false;
    if (l.var.smin < 0)
      return e.fail(kfmt("R%d min value is negative, either use unsigned or 'var &= const'", len));
    if (l.var.umax >= (1ull << 29))
      return e.fail(
          kfmt("R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", len));
    return mem == 0 || e.check_helper_mem(mem, l.var.umax, write, true);
  };
  Reg d;
  Reg r0 = Reg::unknown();
  switch (id) {
    case kFromMem: {
      const Reg& data = e.reg(1);
      if (data.type != RegType::kMapValue || data.maybe_null)
        return e.fail(
            kfmt("Unsupported reg type %s for bpf_dynptr_from_mem data", reg_type_name(data)));
      if (!sized(1, 2, true) || !scalar(3) || !dynptr_uninit_arg(4)) return false;
      dynptr_init(kDynptrLocal, 0);
      break;
    }
    case kReserve: {
      if (!map_arg(platform::MapType::kRingbuf, "bpf_ringbuf_reserve_dynptr#198")) return false;
      if (!scalar(2) || !scalar(3) || !dynptr_uninit_arg(4)) return false;
      // The reference exists even when the reservation fails: the dynptr must be discarded.
      const uint32_t ref = e.new_id();
      e.st_.refs.push_back(RefState{ref, e.pc_});
      dynptr_init(kDynptrRingbuf, ref);
      break;
    }
    case kSubmit:
    case kDiscard:
      if (!dynptr_release(1) || !scalar(2)) return false;
      r0 = Reg{};
      break;
    case kRead:
      if (!sized(1, 2, true) || !dynptr_arg(3, &d) || !scalar(4) || !scalar(5)) return false;
      break;
    case kWrite:
      if (!dynptr_arg(1, &d) || !scalar(2) || !sized(3, 4, false) || !scalar(5)) return false;
      break;
    case kData: {
      if (!dynptr_arg(1, &d) || !scalar(2)) return false;
      const Reg& len = e.reg(3);
      if (len.type != RegType::kScalar || !len.var.is_const())
        return e.fail("R3 is not a known constant'");
      r0 = Reg::pointer(RegType::kMem);
      r0.mem_size = static_cast<uint32_t>(len.var.const_value());
      r0.maybe_null = true;
      r0.id = e.new_id();
      r0.ref_obj_id = d.ref_obj_id;
      break;
    }
    case kUserRingbufDrain:
      if (!user_ringbuf_drain()) return false;
      break;
  }
  for (int r = 1; r <= 5; ++r) e.reg(r) = Reg{};
  e.reg(0) = r0;
  return true;
}

}  // namespace bombus::verifier
