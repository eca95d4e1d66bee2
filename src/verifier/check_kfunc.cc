// Kernel-function calls (call with src 2): the kfunc is found by name (Program::kfuncs maps the
// call's BTF id to the name the loader resolved), described by verifier/kfunc_table, and checked
// like the kernel's check_kfunc_call: allowed for the program type, arguments of the right kind
// (scalars, kernel-object pointers that are non-NULL with zero offset, iterators and dynptrs on
// the stack), references acquired and released, and r0 typed from the description.
#include <cstdarg>
#include <cstdio>

#include "verifier/kfunc_call.h"

namespace bombus::verifier {

std::string kfmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

bool Engine::do_kfunc_call(const isa::Insn& insn) {
  return KfuncCall(*this).kfunc(insn);
}

bool KfuncCall::check_btf_arg(int regno, BtfObj want, bool release) {
  Engine& e = e_;
  const Reg& r = e.reg(regno);
  const int arg = regno - 1;
  if (r.type == RegType::kScalar && r.var.is_const() && r.var.const_value() == 0)
    return e.fail(kfmt("Possibly NULL pointer passed to trusted arg%d", arg),
                  "check the pointer against NULL before passing it to the kernel function");
  if (r.type != RegType::kBtfId)
    return e.fail(kfmt("arg#%d expected pointer to btf or socket", arg));
  if (r.maybe_null)
    return e.fail(kfmt("Possibly NULL pointer passed to trusted arg%d", arg),
                  "check the pointer against NULL before passing it to the kernel function");
  if (r.off != 0 || !r.var.is_const() || r.var.const_value() != 0)
    return e.fail(release ? kfmt("R%d must have zero offset when passed to release func", regno)
                          : kfmt("arg#%d pointer to STRUCT %s must have zero offset", arg,
                                 btf_obj_name(want)));
  // The pointee's type, when bombus knows it (pointers from kfuncs); struct bpf_cpumask starts
  // with its struct cpumask, so it is one too (the kernel's btf_struct_ids_match).
  const auto have = static_cast<BtfObj>(r.mem_size);
  if (want != BtfObj::kAny && have != BtfObj::kAny && have != want &&
      !(want == BtfObj::kCpumask && have == BtfObj::kBpfCpumask))
    return e.fail(
        kfmt("kernel function %s args#%d expected pointer to STRUCT %s but R%d has a "
             "pointer to STRUCT %s",
             name_.c_str(), arg, btf_obj_name(want), regno, btf_obj_name(have)));
  if (release && r.ref_obj_id == 0)
    return e.fail(
        kfmt("release kernel function %s expects refcounted PTR_TO_BTF_ID", name_.c_str()),
        "pass the pointer an acquiring kernel function returned");
  return true;
}

void KfuncCall::set_return(const KfuncDesc& d, uint64_t slice_size) {
  Engine& e = e_;
  Reg& r0 = e.reg(0);
  switch (d.ret) {
    case KRet::kVoid:
      r0 = Reg{};
      break;
    case KRet::kScalar:
      r0 = Reg::unknown();
      break;
    case KRet::kIterElem:  // iter.cc sets it on both paths
      break;
    case KRet::kBtfPtr:
      r0 = Reg::pointer(RegType::kBtfId);
      r0.mem_size = static_cast<uint32_t>(d.ret_obj);
      if (d.flags & (kKfRetNull | kKfAcquire)) r0.id = e.new_id();
      r0.maybe_null = (d.flags & kKfRetNull) != 0;
      if (d.flags & kKfAcquire) {
        r0.ref_obj_id = r0.id;
        e.st_.refs.push_back(RefState{r0.id, e.pc_});
      }
      break;
    case KRet::kSlice:
      r0 = Reg::pointer(RegType::kMem);
      r0.mem_size = static_cast<uint32_t>(slice_size);
      r0.maybe_null = true;
      r0.id = e.new_id();
      r0.rdonly = std::string_view(d.name) == "bpf_dynptr_slice";
      r0.ref_obj_id = obj_.ref_obj_id;  // a ringbuf dynptr's slice dies with its record
      break;
  }
}

bool KfuncCall::kfunc(const isa::Insn& insn) {
  Engine& e = e_;
  for (const KfuncRef& k : e.prog_.kfuncs)
    if (k.btf_id == insn.imm && k.off == insn.off) name_ = k.name;
  if (name_.empty())
    return e.fail(kfmt("kernel btf_id %d is not a function", insn.imm),
                  insn.imm == 0 ? "the kfunc's __ksym extern was not resolved against kernel BTF"
                                : "the call names no kfunc the loader resolved");
  desc_ = find_kfunc(name_);
  if (!desc_)
    return e.fail("calling kernel function " + name_ + " is not supported by bombus",
                  "bombus describes a fixed set of kfuncs (iterators, dynptrs, task/cgroup/"
                  "cpumask references); this one is not among them");
  const KfuncDesc& d = *desc_;
  if (!kfunc_allowed(d, e.prog_.type))
    return e.fail("calling kernel function " + name_ + " is not allowed",
                  "the kernel registers this kfunc only for some program types");
  if (e.st_.lock_id)
    return e.fail("function calls are not allowed while holding a lock",
                  "release the spin lock before calling kernel functions");
  uint32_t release = 0;
  uint64_t slice_size = 0;
  for (int i = 0; i < d.nargs; ++i) {
    const int rn = i + 1;
    if (!e.check_reg_read(rn)) return false;
    const Reg& r = e.reg(rn);
    switch (d.args[i]) {
      case KArg::kScalar:
        if (r.type != RegType::kScalar) return e.fail(kfmt("R%d is not a scalar", rn));
        break;
      case KArg::kAnything:
        break;
      case KArg::kIter:
        if (!iter_arg(d, rn)) return false;
        break;
      case KArg::kBtfPtr:
        if (!check_btf_arg(rn, d.arg_obj[i], d.flags & kKfRelease)) return false;
        if (d.flags & kKfRelease) release = r.ref_obj_id;
        break;
      case KArg::kDynptr:
        if (!dynptr_arg(rn, &obj_)) return false;
        break;
      case KArg::kDynptrUninit:
        if (!dynptr_uninit_arg(rn)) return false;
        break;
      case KArg::kBufOpt: {
        if (!e.check_reg_read(rn + 1)) return false;
        const Reg& sz = e.reg(rn + 1);
        if (sz.type != RegType::kScalar || !sz.var.is_const())
          return e.fail(kfmt("R%d must be a known constant", rn + 1));
        slice_size = sz.var.const_value();
        const bool null =
            r.type == RegType::kScalar && r.var.is_const() && r.var.const_value() == 0;
        if (!null && !e.check_helper_mem(rn, slice_size, true, true)) return false;
        break;
      }
      case KArg::kConstSize:
        if (r.type != RegType::kScalar || !r.var.is_const())
          return e.fail(kfmt("R%d must be a known constant", rn));
        break;
    }
  }
  if (release) e.release_ref(release);
  if (d.flags & kKfIterNext) {
    iter_next();
    return true;
  }
  Frame* obj_frame = obj_frame_ >= 0 ? &e.st_.frames[obj_frame_] : nullptr;
  if (d.flags & kKfIterNew) {
    const uint32_t ref = e.new_id();
    e.st_.refs.push_back(RefState{ref, e.pc_});
    for (int k = 0; k < iter_kind(d.iter).size / 8; ++k) {
      StackSlot& sl = obj_frame->slot(obj_first_ - k);
      sl.bytes.fill(SlotType::kIter);
      sl.spilled = Reg::pointer(RegType::kIter);
      sl.spilled.map = d.iter;
      sl.spilled.off = k;
      sl.spilled.ref_obj_id = ref;
    }
  } else if (d.flags & kKfIterDestroy) {
    e.release_ref(obj_.ref_obj_id);
    for (int k = 0; k < iter_kind(d.iter).size / 8; ++k) obj_frame->slot(obj_first_ - k) = {};
  } else if (obj_frame) {  // a dynptr the kfunc initialises
    const bool clone = std::string_view(d.name) == "bpf_dynptr_clone";
    const int kind = clone                                               ? obj_.map
                     : std::string_view(d.name) == "bpf_dynptr_from_xdp" ? kDynptrXdp
                                                                         : kDynptrSkb;
    dynptr_init(kind, clone ? obj_.ref_obj_id : 0);
  }
  for (int r = 1; r <= 5; ++r) e.reg(r) = Reg{};
  set_return(d, slice_size);
  return true;
}

}  // namespace bombus::verifier
