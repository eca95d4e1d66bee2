// JitProgram's run wrappers (RunState set-up, fault reporting) and the compile() entry point.
#include <algorithm>
#include <string>

#include "jit/jit.h"
#include "jit/x64/compiler.h"

namespace bombus::jit {

namespace {

const char* fault_text(Fault f) {
  switch (f) {
    case Fault::kCallDepth:
      return "too many nested bpf-to-bpf calls (more than 8 frames)";
    case Fault::kBadCallx:
      return "callx to a register that holds no known helper id";
    case Fault::kFellOffEnd:
      return "execution fell off the end of the program";
    case Fault::kBadTailTarget:
      return "tail call target is not a jit program";
    case Fault::kBadCallback:
      return "callback target is not a function of the program";
    case Fault::kNone:
      break;
  }
  return "no fault";
}
}  // namespace

uint64_t JitProgram::call(void* ctx, size_t ctx_len, vm::RunState& state, JitRunCtx& rc) const {
  state.ctx = ctx;
  if (state.program == nullptr) state.program = this;
  state.hooks = hooks_;
  state.engine = &rc;
  vm::RunScope scope(state);
  rc.rs = &state;
  rc.depth = 1;
  return entry_(ctx, ctx_len, &rc);
}

uint64_t JitProgram::call(void* ctx, size_t ctx_len) const {
  vm::RunState state = state_template_;
  state.ctx = ctx;
  JitRunCtx rc;
  state.engine = &rc;
  vm::RunScope scope(state);
  rc.rs = &state;
  rc.depth = 1;
  return entry_(ctx, ctx_len, &rc);
}

Result<uint64_t> JitProgram::run(void* ctx, size_t ctx_len, void* runtime, uint32_t cpu) const {
  vm::RunState state = state_template_;
  state.runtime = runtime;
  state.cpu = cpu;
  JitRunCtx rc;
  const uint64_t r0 = call(ctx, ctx_len, state, rc);
  if (rc.fault != 0) {
    Location loc;
    loc.program = name_;
    loc.insn = static_cast<int64_t>(rc.fault_insn);
    std::string msg = fault_text(static_cast<Fault>(rc.fault));
    if (rc.in_callback != 0) msg = "in a callback: " + msg;
    if (state.program != this) msg = "in a tail-called program: " + msg;
    return make_error(Errc::kRuntime, std::move(msg), std::move(loc));
  }
  return r0;
}

CallbackFn JitProgram::callback_entry(uint64_t insn) const {
  auto it = std::lower_bound(callbacks_.begin(), callbacks_.end(), insn,
                             [](const auto& e, uint64_t v) { return e.first < v; });
  return it != callbacks_.end() && it->first == insn ? it->second : nullptr;
}

uint64_t jit_call_function(const void* program, uint64_t target, uint64_t r1, uint64_t r2,
                           uint64_t r3, uint64_t r4, uint64_t r5) {
  vm::RunState* rs = vm::current_run_state();
  const auto* prog = static_cast<const JitProgram*>(program);
  const bool is_jit = prog != nullptr && prog->magic_ == JitProgram::kMagic;
  const CallbackFn fn = is_jit ? prog->callback_entry(target) : nullptr;
  if (rs != nullptr && rs->hooks.call_function == &jit_call_function && rs->engine != nullptr) {
    // Inside a JIT run: same JitRunCtx (frame depth, fault record); the callback gets a
    // may_goto budget of its own, as every function call does in the kernel.
    auto* rc = static_cast<JitRunCtx*>(rs->engine);
    if (rs->stop) return 1;  // the run is already stopping: end the caller's loop
    if (fn == nullptr) {
      rc->fault = static_cast<uint32_t>(Fault::kBadCallback);
      rc->fault_insn = target;
      rc->in_callback = 1;
      rs->stop = true;
      rs->stop_value = 0;
      return 1;
    }
    const uint64_t saved_rsp = rc->saved_rsp;
    const uint32_t depth = rc->depth;
    const vm::RunState* const state = rc->rs;
    const uint64_t loops = rc->loops;
    rc->loops = isa::kMaxLoops;
    const uint64_t r0 = fn(rc, r1, r2, r3, r4, r5);
    rc->saved_rsp = saved_rsp;  // the outer frames' unwind point, depth and may_goto budget
    rc->depth = depth;
    rc->loops = loops;
    rc->rs = const_cast<vm::RunState*>(state);
    if (rc->fault != 0) {
      if (rc->in_callback == 0) rc->in_callback = 1;
      rs->stop = true;
      rs->stop_value = 0;
      return 1;
    }
    return rs->stop ? 1 : r0;  // a stop inside the callback ends the caller's loop too
  }
  // No JIT run to nest in (a timer firing on the timer thread): a run of its own.
  if (fn == nullptr) return 1;
  vm::RunState state = prog->state_template_;
  if (rs != nullptr) {
    state.runtime = rs->runtime;
    state.cpu = rs->cpu;
  }
  JitRunCtx rc;
  rc.rs = &state;
  rc.depth = 0;
  state.engine = &rc;
  vm::RunScope scope(state);
  const uint64_t r0 = fn(&rc, r1, r2, r3, r4, r5);
  return rc.fault != 0 ? 1 : r0;
}

Result<std::unique_ptr<JitProgram>> compile(std::span<const isa::Insn> resolved,
                                            const JitOptions& options) {
  Compiler c(resolved, options);
  return c.compile();
}

}  // namespace bombus::jit
