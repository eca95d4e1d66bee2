// The JIT as a runtime engine (see engines.h).
#include "engines/engines.h"

#include <mutex>

namespace bombus::engines {

namespace {

class JitImage : public runtime::EngineImage {
 public:
  explicit JitImage(std::unique_ptr<jit::JitProgram> p) : prog_(std::move(p)) {}
  Result<uint64_t> run(void* ctx, size_t ctx_len, const runtime::EngineRunArgs& a) const override {
    return prog_->run(ctx, ctx_len, a.runtime, a.cpu);
  }
  const void* handle() const override { return prog_.get(); }
  const jit::JitProgram* program() const { return prog_.get(); }

 private:
  std::unique_ptr<jit::JitProgram> prog_;
};

Result<std::unique_ptr<runtime::EngineImage>> make_jit(std::span<const isa::Insn> insns,
                                                       const runtime::EngineConfig& cfg) {
  jit::JitOptions o;
  o.helpers = cfg.helpers;
  o.hooks = cfg.hooks;
  BOMBUS_ASSIGN_OR_RETURN(std::unique_ptr<jit::JitProgram> p, jit::compile(insns, o));
  return std::unique_ptr<runtime::EngineImage>(new JitImage(std::move(p)));
}

}  // namespace

void register_default_engines() {
  static std::once_flag once;
  std::call_once(once, [] { runtime::register_engine(Engine::kJit, make_jit); });
}

const jit::JitProgram* jit_program_of(const runtime::ProgramImpl& p) {
  const auto* img = dynamic_cast<const JitImage*>(p.image.get());
  return img ? img->program() : nullptr;
}

}  // namespace bombus::engines
