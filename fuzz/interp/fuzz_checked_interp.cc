// Fuzz target: bytes -> decode() -> validate() -> the checked interpreter with a budget.
// Input layout: byte 0 = length of the input memory (0..255, capped by what is left), then the
// memory, then the program (its length rounded down to whole instructions). The program runs
// whether or not validate() accepts it: Interpreter::create() must cope with anything, and a
// program it accepts must run to a result or a clean error in checked mode. Any crash or
// sanitizer report is a bug.
#include <array>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "isa/validate.h"
#include "vm/abi.h"
#include "vm/interp.h"

using namespace bombus;

namespace {

uint64_t unwind(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t) {
  if (a == 0) {
    vm::RunState* rs = vm::current_run_state();
    rs->stop = true;
    rs->stop_value = 0;
  }
  return a;
}
uint64_t add(uint64_t a, uint64_t b, uint64_t, uint64_t, uint64_t) {
  return a + b;
}

const std::array<vm::HelperFn, 6> kHelpers = {nullptr, add, nullptr, nullptr, nullptr, unwind};

thread_local vm::PacketView t_packet;
vm::PacketView packet(void*) {
  return t_packet;
}

const vm::Interpreter* t_self = nullptr;
const void* tail_target(uint64_t, uint64_t index) {
  return index == 0 ? t_self : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t mem_len = std::min<size_t>(data[0], size - 1);
  std::vector<uint8_t> mem(data + 1, data + 1 + mem_len);
  std::span<const uint8_t> code(data + 1 + mem_len, (size - 1 - mem_len) / 8 * 8);
  auto prog = isa::decode(code);
  if (!prog.ok()) std::abort();  // whole instructions always decode

  isa::ValidateOptions vo;
  vo.allow_large_shift_imm = true;
  vo.allow_div_by_zero_imm = true;
  vo.helper_exists = [](int32_t id) { return id == 1 || id == 5 || id == 12; };
  const bool valid = isa::validate(*prog, vo).ok();

  vm::InterpOptions o;
  o.checked = true;
  o.budget = 10000;
  o.helpers = kHelpers;
  o.hooks.packet_data = packet;
  o.hooks.tail_call_target = tail_target;
  auto it = vm::Interpreter::create(*prog, o);
  if (!it.ok()) {
    if (!it.error().where.insn && !prog->empty() && prog->size() <= (size_t{1} << 20)) std::abort();
    return 0;
  }
  t_self = &*it;
  t_packet = vm::PacketView{mem.data(), mem.size()};
  uint64_t executed = 0;
  vm::RunArgs args;
  args.executed = &executed;
  auto r = it->run(mem.empty() ? nullptr : mem.data(), mem.size(), args);
  if (executed > o.budget) std::abort();
  // A validated program that fails may only fail for a run-time reason.
  if (valid && !r.ok() && r.error().code != Errc::kRuntime) std::abort();
  t_self = nullptr;
  t_packet = {};
  return 0;
}
