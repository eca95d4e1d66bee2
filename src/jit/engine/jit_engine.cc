// runtime::EngineImage over a JitProgram, and its registration.
#include "jit/engine/jit_engine.h"

#include <memory>

namespace bombus::jit {
namespace {

class JitImage : public runtime::EngineImage {
 public:
  explicit JitImage(std::unique_ptr<JitProgram> p) : prog_(std::move(p)) {}
  Result<uint64_t> run(void* ctx, size_t ctx_len, const runtime::EngineRunArgs& a) const override {
    return prog_->run(ctx, ctx_len, a.runtime, a.cpu);
  }
  // tail_call_target hands this back to the JIT's tail-call path.
  const void* handle() const override { return prog_.get(); }
  const JitProgram& program() const { return *prog_; }

 private:
  std::unique_ptr<JitProgram> prog_;
};

Result<std::unique_ptr<runtime::EngineImage>> make_jit(std::span<const isa::Insn> insns,
                                                       const runtime::EngineConfig& cfg) {
  JitOptions o;
  o.helpers = cfg.helpers;
  o.hooks = cfg.hooks;
  o.maps = cfg.maps;  // array-map lookups inlined (compile time only)
  BOMBUS_ASSIGN_OR_RETURN(auto prog, compile(insns, o));
  return std::unique_ptr<runtime::EngineImage>(new JitImage(std::move(prog)));
}

}  // namespace

void register_jit_engine() {
  runtime::register_engine(Engine::kJit, make_jit);
}

const JitProgram* jit_program_of(const runtime::EngineImage& image) {
  const auto* j = dynamic_cast<const JitImage*>(&image);
  return j ? &j->program() : nullptr;
}

}  // namespace bombus::jit
