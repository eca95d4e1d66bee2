// The engine interface of the runtime: an engine turns resolved, ctx-rewritten instructions into
// an image that runs them. The interpreter (fast and checked) registers itself here; the JIT
// registers with register_engine(Engine::kJit, ...) from its own library, so the runtime never
// depends on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.h"
#include "bombus/bombus.h"
#include "isa/insn.h"
#include "vm/abi.h"

namespace bombus::vm {
class Map;
}

namespace bombus::runtime {

struct EngineConfig {
  uint64_t budget = 0;                    // checked engines: instruction budget per run
  std::span<const vm::HelperFn> helpers;  // helper table (vm::helper_table())
  vm::EngineHooks hooks;                  // tail calls, packet data, callbacks
  // The object's maps (their host addresses are the program's lddw map constants); the JIT
  // inlines lookups in the plain array maps among them. Only read while the image is built.
  std::span<vm::Map* const> maps;
};

struct EngineRunArgs {
  void* runtime = nullptr;  // RunState::runtime (a vm::HelperEnv)
  uint32_t cpu = 0;
  std::span<const vm::MemRegion> regions;  // checked engines: memory of this run (packet)
};

class EngineImage {
 public:
  virtual ~EngineImage() = default;
  virtual Result<uint64_t> run(void* ctx, size_t ctx_len, const EngineRunArgs& args) const = 0;
  // What tail_call_target returns for this image (the engine's own program handle).
  virtual const void* handle() const = 0;
};

using EngineFactory = Result<std::unique_ptr<EngineImage>> (*)(std::span<const isa::Insn> insns,
                                                               const EngineConfig& cfg);

void register_engine(Engine e, EngineFactory f);
EngineFactory find_engine(Engine e);

// Tail-call resolution shared by all engines: prog_array values are program ids.
void register_program_handle(uint32_t prog_id, const void* handle);
const void* program_handle(uint32_t prog_id);
uint32_t next_program_id();
uint32_t next_map_id();

}  // namespace bombus::runtime
