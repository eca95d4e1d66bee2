// JitProgram's run wrappers (RunState set-up, fault reporting) and the compile() entry point.
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
  vm::RunScope scope(state);
  rc.rs = &state;
  rc.depth = 1;
  return entry_(ctx, ctx_len, &rc);
}

uint64_t JitProgram::call(void* ctx, size_t ctx_len) const {
  vm::RunState state = state_template_;
  state.ctx = ctx;
  vm::RunScope scope(state);
  JitRunCtx rc;
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
    if (state.program != this) msg = "in a tail-called program: " + msg;
    return make_error(Errc::kRuntime, std::move(msg), std::move(loc));
  }
  return r0;
}

Result<std::unique_ptr<JitProgram>> compile(std::span<const isa::Insn> resolved,
                                            const JitOptions& options) {
  Compiler c(resolved, options);
  return c.compile();
}

}  // namespace bombus::jit
