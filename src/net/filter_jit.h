// A lean x86-64 JIT for converted classic filters: the eBPF that convert_cbpf() emits (ALU,
// loads/stores, conditional jumps, exit; no helper calls, no lddw, no bpf-to-bpf calls)
// compiled into one native function that runs a whole batch of packets per call. There is no
// RunState, no per-packet entry/exit: the prologue runs once per batch, each packet costs the
// live part of the filter body plus a few loop instructions (filter_jit_plan.h: dead converter
// set-up dropped, load + byte swap fused, `return K` stored and counted in place, compares of
// packet bytes against constants made in place). With the packet order a branch predictor can
// learn, that makes a tcpdump filter 6-14x faster than libpcap's bpf_filter (the general JIT
// in src/jit pays its entry per call); with unpredictable traffic 2-4x (docs/PERFORMANCE.md).
// FilterJitMode::kFlat adds a branch-free body for the whole decision DAG (filter_jit_plan.h,
// FlatPlan), taken per packet when the packet is long enough for its constant-offset loads.
//
// Like every JIT here it trusts its input: it is meant for convert_cbpf() output, whose packet
// loads are bounds-checked by the generated code itself. compile() refuses instructions outside
// the subset (Errc::kUnsupported) so the caller can fall back to an interpreter. Code lives in a
// private mapping written read-write and then sealed read+execute (never both at once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.h"
#include "isa/insn.h"
#include "net/filter.h"
#include "net/placed_code.h"

namespace bombus::net {

// kBranchy: branches as the program has them. kFlat: in addition, a branch-free body for the
// whole program when its plan allows it (plan_flat in filter_jit_plan.h), run for packets long
// enough for all its constant-offset loads (the branchy body takes the rest).
enum class FilterJitMode { kBranchy, kFlat };

class FilterJit {
 public:
  static Result<std::unique_ptr<FilterJit>> compile(std::span<const isa::Insn> prog,
                                                    FilterJitMode mode = FilterJitMode::kBranchy);
  FilterJit(const FilterJit&) = delete;
  FilterJit& operator=(const FilterJit&) = delete;

  // Runs the program on `n` contexts laid out `stride` bytes apart starting at `first`; the low
  // 32 bits of each r0 go to out[i]. Returns how many of them are nonzero (matches).
  uint64_t run_batch(const void* first, size_t stride, size_t n, uint32_t* out) const {
    return fn_(first, stride, n, out);
  }
  uint32_t run(const void* ctx) const {
    uint32_t r = 0;
    fn_(ctx, 0, 1, &r);
    return r;
  }
  size_t code_size() const { return code_.size(); }
  const void* code() const { return code_.entry(); }  // the native code (for disassembly)
  // Whether the branch-free body was emitted, and the captured length it needs.
  bool flat() const { return flat_; }
  uint32_t flat_min_caplen() const { return flat_min_caplen_; }

 private:
  using Fn = uint64_t (*)(const void* first, size_t stride, size_t n, uint32_t* out);
  FilterJit() = default;
  PlacedCode code_;
  bool flat_ = false;
  uint32_t flat_min_caplen_ = 0;
  Fn fn_ = nullptr;
};

// True when compile() accepts the program (the instruction subset above).
bool filter_jit_supports(std::span<const isa::Insn> prog);

// An EbpfEngineFactory over FilterJit; programs outside its subset go to vm's interpreter.
EbpfEngineFactory lean_jit_ebpf_engine();

}  // namespace bombus::net
