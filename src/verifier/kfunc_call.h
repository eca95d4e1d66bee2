// Internal: the transfer functions for kernel-function calls (check_kfunc.cc), open-coded
// iterators (iter.cc) and dynptrs (dynptr.cc, including the dynptr helpers 197-203 and
// bpf_user_ringbuf_drain's callback argument). KfuncCall is a friend of Engine: iterator next()
// branches the path and widens loop-carried scalars, which needs the checkpoint chain.
#pragma once

#include <string>

#include "verifier/engine.h"
#include "verifier/kfunc_table.h"

namespace bombus::verifier {

// Dynptr kinds (the kernel's BPF_DYNPTR_TYPE_*), kept in Reg::map of a dynptr description.
enum DynptrKind : int32_t {
  kDynptrLocal = 1,
  kDynptrRingbuf = 2,
  kDynptrUserRingbuf = 3,  // the callback argument of bpf_user_ringbuf_drain (read-only)
  kDynptrSkb = 4,
  kDynptrXdp = 5,
};

// printf into a std::string, for messages.
std::string kfmt(const char* f, ...) __attribute__((format(printf, 1, 2)));

class KfuncCall {
 public:
  explicit KfuncCall(Engine& e) : e_(e) {}
  bool kfunc(const isa::Insn& insn);
  bool dynptr_helper(int32_t id);

 private:
  // --- check_kfunc.cc ---
  bool check_btf_arg(int regno, BtfObj want, bool release);
  void set_return(const KfuncDesc& d, uint64_t slice_size);
  // --- iter.cc ---
  // Stack slots [first - n + 1, first] of frame `frameno` hold the object R`regno` points to.
  bool stack_object(int regno, int size, const char* what, int* frameno, int* first);
  bool iter_arg(const KfuncDesc& d, int regno);
  void iter_next();
  void widen_loop_scalars(State& queued) const;
  // --- dynptr.cc ---
  bool dynptr_uninit_arg(int regno);
  void dynptr_init(int kind, uint32_t ref);
  // An initialised dynptr behind R`regno` (stack slots or the callback's dynptr pointer).
  bool dynptr_arg(int regno, Reg* desc);
  bool dynptr_release(int regno);
  bool user_ringbuf_drain();
  // R1 is a map of type `want` (else the kernel's "cannot pass map_type N into func F").
  bool map_arg(platform::MapType want, const char* fname);

  Engine& e_;
  const KfuncDesc* desc_ = nullptr;
  std::string name_;
  // The iterator / uninitialised dynptr argument found by the argument checks.
  int obj_frame_ = -1, obj_first_ = -1;
  Reg obj_{};
};

}  // namespace bombus::verifier
