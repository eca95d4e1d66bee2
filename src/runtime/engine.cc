// Engine registry, the interpreter engines, and the program-id table tail calls go through.
#include "runtime/engine.h"

#include <array>
#include <atomic>
#include <mutex>

#include "vm/interp.h"

namespace bombus::runtime {
namespace {

std::mutex g_mu;
std::array<EngineFactory, 3> g_engines{};

constexpr uint32_t kMaxProgs = 1 << 16;
std::array<std::atomic<const void*>, kMaxProgs>& handles() {
  static std::array<std::atomic<const void*>, kMaxProgs> h{};
  return h;
}
std::atomic<uint32_t> g_next_prog{1}, g_next_map{1};

class InterpImage : public EngineImage {
 public:
  explicit InterpImage(vm::Interpreter ip) : ip_(std::move(ip)) {}
  Result<uint64_t> run(void* ctx, size_t ctx_len, const EngineRunArgs& a) const override {
    vm::RunArgs ra;
    ra.runtime = a.runtime;
    ra.cpu = a.cpu;
    ra.regions = a.regions;
    return ip_.run(ctx, ctx_len, ra);
  }
  const void* handle() const override { return &ip_; }

 private:
  vm::Interpreter ip_;
};

template <bool kChecked>
Result<std::unique_ptr<EngineImage>> make_interp(std::span<const isa::Insn> insns,
                                                 const EngineConfig& cfg) {
  vm::InterpOptions o;
  o.checked = kChecked;
  o.budget = cfg.budget;
  o.helpers = cfg.helpers;
  o.hooks = cfg.hooks;
  BOMBUS_ASSIGN_OR_RETURN(vm::Interpreter ip, vm::Interpreter::create(insns, o));
  return std::unique_ptr<EngineImage>(new InterpImage(std::move(ip)));
}

}  // namespace

void register_engine(Engine e, EngineFactory f) {
  std::lock_guard g(g_mu);
  g_engines[static_cast<size_t>(e)] = f;
}

EngineFactory find_engine(Engine e) {
  std::lock_guard g(g_mu);
  if (e == Engine::kInterp && !g_engines[0]) return make_interp<false>;
  if (e == Engine::kChecked && !g_engines[1]) return make_interp<true>;
  return g_engines[static_cast<size_t>(e)];
}

void register_program_handle(uint32_t id, const void* handle) {
  if (id < kMaxProgs) handles()[id].store(handle, std::memory_order_release);
}
const void* program_handle(uint32_t id) {
  return id < kMaxProgs ? handles()[id].load(std::memory_order_acquire) : nullptr;
}
uint32_t next_program_id() {
  return g_next_prog.fetch_add(1);
}
uint32_t next_map_id() {
  return g_next_map.fetch_add(1);
}

}  // namespace bombus::runtime
