// Glue between the runtime and the engines that live beside it: registers the JIT as the
// runtime's Engine::kJit (the runtime never depends on the JIT), and lets tools reach the JIT
// code of a loaded program (for `prog dump jited`). Embedders call register_default_engines()
// once before loading with Engine::kJit.
#pragma once

#include "jit/jit.h"
#include "runtime/object_impl.h"

namespace bombus::engines {

void register_default_engines();

// The JIT image of a loaded program, or nullptr when it runs on another engine.
const jit::JitProgram* jit_program_of(const runtime::ProgramImpl& p);

}  // namespace bombus::engines
