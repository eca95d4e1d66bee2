// The JIT as a runtime engine (runtime::Engine::kJit). A separate library (bombus::jit_engine)
// so the JIT itself does not depend on the runtime: whoever wants the JIT available to
// Object::load (the CLI, tests) links bombus::jit_engine and calls register_jit_engine() once.
#pragma once

#include "jit/jit.h"
#include "runtime/engine.h"

namespace bombus::jit {

// Registers the factory with runtime::register_engine(Engine::kJit, ...). Idempotent.
void register_jit_engine();

// The JitProgram behind an engine image the JIT engine made, or nullptr for other engines'
// images (for `prog dump jited`).
const JitProgram* jit_program_of(const runtime::EngineImage& image);

}  // namespace bombus::jit
