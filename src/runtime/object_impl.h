// Internal state behind the public classes of bombus/bombus.h.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "loader/object.h"
#include "runtime/engine.h"
#include "vm/helpers/helpers.h"
#include "vm/maps/map.h"
#include "vm/memory_registry.h"

namespace bombus::runtime {

struct ProgramImpl {
  ObjectImpl* obj = nullptr;
  const loader::ProgramSpec* spec = nullptr;
  platform::ProgType type = platform::ProgType::kUnspec;
  uint32_t id = 0;
  bool loaded = false;
  std::vector<isa::Insn> insns;  // resolved and rewritten
  std::unique_ptr<EngineImage> image;
  vm::HelperEnv env;
  std::string verifier_log;
  std::atomic<uint64_t> run_cnt{0}, run_time_ns{0};
};

struct ObjectImpl {
  ObjectOptions opts;
  loader::ObjectSpec spec;
  std::vector<std::unique_ptr<vm::Map>> vm_maps;  // index = spec.maps index
  std::vector<Map> maps;
  std::vector<std::unique_ptr<ProgramImpl>> prog_impls;
  std::vector<Program> programs;
  std::vector<vm::MemoryRegistry::Registration> regions;
  bool loaded = false;
};

// Phases of load(), each in its own file.
Status create_maps(ObjectImpl& o);
Status prepare_program(ObjectImpl& o, ProgramImpl& p);
Result<TestRunResult> run_test(ProgramImpl& p, const TestRun& in);

}  // namespace bombus::runtime
