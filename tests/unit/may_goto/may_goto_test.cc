// may_goto budgets on bombus's engines: the interpreter (fast and checked) and the JIT (plain and
// blinded) must give the kernel's answers (may_goto_progs.h): a fresh budget for every
// bpf-to-bpf call, callback invocation and tail-called program, and the caller's own budget
// back after a call returns. may_goto_kernel_test.cc checks the same programs on the kernel.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "jit/jit.h"
#include "may_goto_progs.h"
#include "vm/helpers/helpers.h"
#include "vm/interp.h"

namespace bombus::may_goto_test {
namespace {

constexpr uint64_t kMap = 0xabc;  // the tail-call map reference the hooks expect
const void* g_target = nullptr;
const void* tail_hook(uint64_t map, uint64_t index) {
  return map == kMap && index == 0 ? g_target : nullptr;
}

struct EngineCase {
  const char* name;
  std::function<Result<uint64_t>(const std::vector<Insn>& main, const std::vector<Insn>* tail)> run;
};

Result<uint64_t> run_interp(const std::vector<Insn>& main, const std::vector<Insn>* tail,
                            bool checked) {
  vm::InterpOptions o;
  o.checked = checked;
  o.helpers = vm::helper_table();
  o.hooks.tail_call_target = tail_hook;
  std::unique_ptr<vm::Interpreter> target;
  if (tail) {
    BOMBUS_ASSIGN_OR_RETURN(auto t, vm::Interpreter::create(*tail, o));
    target = std::make_unique<vm::Interpreter>(std::move(t));
  }
  g_target = target.get();
  BOMBUS_ASSIGN_OR_RETURN(auto ip, vm::Interpreter::create(main, o));
  uint64_t ctx[2] = {};
  return ip.run(ctx, sizeof ctx);
}

Result<uint64_t> run_jit(const std::vector<Insn>& main, const std::vector<Insn>* tail, bool blind) {
  jit::JitOptions o;
  o.helpers = vm::helper_table();
  o.blind_constants = blind;
  o.hooks.tail_call_target = tail_hook;
  std::unique_ptr<jit::JitProgram> target;
  if (tail) {
    BOMBUS_ASSIGN_OR_RETURN(target, jit::compile(*tail, o));
  }
  g_target = target.get();
  BOMBUS_ASSIGN_OR_RETURN(auto jp, jit::compile(main, o));
  uint64_t ctx[2] = {};
  return jp->run(ctx, sizeof ctx);
}

const std::vector<EngineCase>& engines() {
  static const std::vector<EngineCase> all = {
      {"interpreter", [](auto& m, auto* t) { return run_interp(m, t, false); }},
      {"checked interpreter", [](auto& m, auto* t) { return run_interp(m, t, true); }},
      {"jit", [](auto& m, auto* t) { return run_jit(m, t, false); }},
      {"blinded jit", [](auto& m, auto* t) { return run_jit(m, t, true); }},
  };
  return all;
}

void expect_everywhere(const std::vector<Insn>& main, const std::vector<Insn>* tail, uint64_t want,
                       const char* what) {
  for (const EngineCase& e : engines()) {
    auto r = e.run(main, tail);
    ASSERT_TRUE(r.ok()) << what << " on " << e.name << ": " << r.error().format();
    EXPECT_EQ(*r, want) << what << " on " << e.name;
  }
}

TEST(MayGoto, TailCalledProgramGetsAFreshBudget) {
  const auto tail = tail_target();
  expect_everywhere(tail_caller(kMap, false), &tail, 1, "tail call after the budget is spent");
}

TEST(MayGoto, SubprogramGetsAFreshBudgetAndTheCallerKeepsItsOwn) {
  expect_everywhere(spent_caller_of_subprogram(), nullptr, 21,
                    "subprogram of a spent caller (1), then the caller (2)");
  expect_everywhere(fresh_caller_of_spending_subprogram(), nullptr, 1,
                    "caller after its subprogram spent its own budget");
}

TEST(MayGoto, CallbackGetsAFreshBudget) {
  expect_everywhere(spent_caller_of_callback(false), nullptr, 1, "bpf_loop callback");
}

// Counts fall-throughs: one function's budget is exactly isa::kMaxLoops; a subprogram called
// twice spends its own twice.
TEST(MayGoto, BudgetIsMaxLoopsPerFunctionCall) {
  // r0 = 0; loop: may_goto +2; r0 += 1; ja -3; exit
  std::vector<Insn> count = {mov(0, 0), may_goto(2), I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -3),
                             exit_insn()};
  expect_everywhere(count, nullptr, isa::kMaxLoops, "one function");
  // main: call count; r6 = r0; call count; r0 += r6; exit; count: as above (at 5)
  std::vector<Insn> twice = {call_local(4), I(0xbf, 6, 0), call_local(2), I(0x0f, 0, 6),
                             exit_insn()};
  twice.insert(twice.end(), count.begin(), count.end());
  expect_everywhere(twice, nullptr, 2 * isa::kMaxLoops, "a subprogram called twice");
}

}  // namespace
}  // namespace bombus::may_goto_test
