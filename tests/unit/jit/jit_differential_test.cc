// Differential testing: randomly generated valid programs (ALU of every kind, loads, stores and
// atomics on the context buffer and the stack, forward branches, helper calls, bpf-to-bpf calls)
// run on the interpreter and on the JIT (plain and blinded); r0, the memory and the sequence of
// helper calls must be identical. Programs follow the verifier's rules the engines rely on: no
// read of r1-r5 after a call before they are set again, no pointer arithmetic leaking
// addresses into results, in-bounds memory, termination (forward jumps only).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "conformance_env.h"
#include "insn_builder.h"
#include "jit/jit.h"
#include "vm/interp.h"

namespace bombus::jit {
namespace {

using test::I;

thread_local std::vector<std::array<uint64_t, 5>>* t_calls = nullptr;

uint64_t h_log(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  if (t_calls) t_calls->push_back({a, b, c, d, e});
  return (a * 31 + b) ^ (c << 7) ^ (d * 0x9e3779b97f4a7c15ull) ^ e;
}

constexpr int kCtxBytes = 128;  // [0,64) scratch the program uses, [64,128) its stack dump

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  std::vector<isa::Insn> program(bool with_subprog) {
    items_.clear();
    jumps_.clear();
    emit({test::mov64r(9, 1)});
    for (int k = 1; k <= 8; ++k) emit({I(0x7a, 10, 0, int16_t(-8 * k), 0)});
    for (int r = 0; r <= 8; ++r) lddw(r, value());
    const int n = 20 + int(rng_() % 60);
    for (int i = 0; i < n; ++i) body_item(with_subprog);
    for (int k = 1; k <= 8; ++k) {
      emit({I(0x79, 1, 10, int16_t(-8 * k)), I(0x7b, 9, 1, int16_t(64 + 8 * (k - 1)))});
    }
    emit({test::exit_insn()});
    const size_t main_end = items_.size();
    if (with_subprog) {
      subprog_item_ = items_.size();
      const int m = 3 + int(rng_() % 10);
      for (int i = 0; i < m; ++i) alu();
      emit({test::exit_insn()});
    }
    return finish(main_end);
  }

 private:
  uint64_t value() {
    static const uint64_t kEdge[] = {0,
                                     1,
                                     2,
                                     0x7f,
                                     0x80,
                                     0xff,
                                     0x7fffffff,
                                     0x80000000,
                                     0xffffffff,
                                     0x8000000000000000,
                                     0xffffffffffffffff,
                                     63,
                                     64};
    switch (rng_() % 3) {
      case 0:
        return kEdge[rng_() % std::size(kEdge)];
      case 1:
        return rng_() % 100;
      default:
        return rng_();
    }
  }
  int32_t imm() {
    return static_cast<int32_t>(rng_() % 2 ? value() : (rng_() % 3 == 0 ? -1 : rng_() % 70));
  }
  int reg() { return int(rng_() % 9); }  // r0..r8 (r9 = ctx pointer, r10 = fp)
  void emit(std::vector<isa::Insn> v) { items_.push_back(std::move(v)); }
  void lddw(int r, uint64_t v) {
    std::vector<isa::Insn> p;
    test::lddw(p, r, v);
    emit(p);
  }

  void alu() {
    const bool is64 = rng_() % 2;
    const uint8_t cls = is64 ? isa::kClassAlu64 : isa::kClassAlu;
    const int choice = int(rng_() % 16);
    const int d = reg();
    if (choice == 13) {  // neg
      emit({I(uint8_t(cls | 0x80), d)});
      return;
    }
    if (choice == 14) {  // byte swaps
      const int32_t widths[] = {16, 32, 64};
      const uint8_t ops[] = {0xd4, 0xdc, 0xd7};
      emit({I(ops[rng_() % 3], d, 0, 0, widths[rng_() % 3])});
      return;
    }
    const int ops[] = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
                       0x90, 0xa0, 0xb0, 0xc0, 0x30, 0xb0, 0x90, 0x60};
    const int op = ops[choice];
    int16_t off = 0;
    const bool x = rng_() % 2;
    if ((op == 0x30 || op == 0x90) && rng_() % 2) off = 1;
    if (op == 0xb0 && x && rng_() % 3 == 0) {
      const int16_t offs[] = {8, 16, 32};
      off = offs[rng_() % (is64 ? 3 : 2)];
    }
    emit({I(uint8_t(cls | op | (x ? isa::kSrcX : 0)), d, x ? reg() : 0, off, x ? 0 : imm())});
  }

  // A memory operand: (base, off) in the ctx scratch area or the stack dump area.
  std::pair<int, int16_t> place(int size) {
    if (rng_() % 2) return {9, int16_t((rng_() % (64 / size)) * size)};
    return {10, int16_t(-8 * (1 + int(rng_() % 8)) + int((rng_() % (8 / size)) * size))};
  }

  void body_item(bool with_subprog) {
    const int sizes[] = {1, 2, 4, 8};
    const uint8_t size_bits[] = {isa::kSizeB, isa::kSizeH, isa::kSizeW, isa::kSizeDW};
    const int si = int(rng_() % 4);
    switch (rng_() % 12) {
      case 0:
      case 1:
      case 2:
      case 3:
        alu();
        break;
      case 4: {  // load (zero- or sign-extending)
        auto [b, off] = place(sizes[si]);
        const bool sx = si < 3 && rng_() % 3 == 0;
        emit({I(uint8_t((sx ? isa::kModeMemsx : isa::kModeMem) | size_bits[si] | isa::kClassLdx),
                reg(), b, off)});
        break;
      }
      case 5: {  // store imm or reg
        auto [b, off] = place(sizes[si]);
        if (rng_() % 2) {
          emit({I(uint8_t(isa::kModeMem | size_bits[si] | isa::kClassSt), b, 0, off, imm())});
        } else {
          emit({I(uint8_t(isa::kModeMem | size_bits[si] | isa::kClassStx), b, reg(), off)});
        }
        break;
      }
      case 6: {  // atomic
        const bool is64 = rng_() % 2;
        auto [b, off] = place(is64 ? 8 : 4);
        const int32_t ops[] = {0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1};
        emit({I(is64 ? 0xdb : 0xc3, b, reg(), off, ops[rng_() % 10])});
        break;
      }
      case 7:
      case 8: {  // forward conditional jump
        const bool is64 = rng_() % 2;
        const bool x = rng_() % 2;
        const int ops[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
        const uint8_t opcode = uint8_t((is64 ? isa::kClassJmp : isa::kClassJmp32) |
                                       ops[rng_() % 11] | (x ? isa::kSrcX : 0));
        jumps_.push_back({items_.size(), items_.size() + 1 + rng_() % 6});
        emit({I(opcode, reg(), x ? reg() : 0, 0, x ? 0 : imm())});
        break;
      }
      case 9:
        lddw(reg(), value());
        break;
      case 10: {  // helper call, then r1..r5 are dead and get fresh values
        emit({I(0x85, 0, 0, 0, 1)});
        for (int r = 1; r <= 5; ++r) emit({test::mov64(r, imm())});
        break;
      }
      default:
        if (with_subprog) {
          sub_calls_.push_back(items_.size());
          emit({I(0x85, 0, isa::kPseudoCall, 0, 0)});
          for (int r = 1; r <= 5; ++r) emit({test::mov64(r, imm())});
        } else {
          alu();
        }
        break;
    }
  }

  std::vector<isa::Insn> finish(size_t main_end) {
    std::vector<size_t> pos(items_.size() + 1);
    for (size_t i = 0; i < items_.size(); ++i) pos[i + 1] = pos[i] + items_[i].size();
    std::vector<isa::Insn> out;
    for (auto& [from, to] : jumps_) {
      // stay inside main: the last item of main is the exit
      const size_t target = std::min(to, main_end - 1);
      items_[from][0].off = int16_t(pos[target] - pos[from] - 1);
    }
    for (size_t c : sub_calls_) items_[c][0].imm = int32_t(pos[subprog_item_] - pos[c] - 1);
    for (auto& it : items_) out.insert(out.end(), it.begin(), it.end());
    sub_calls_.clear();
    return out;
  }

  std::mt19937_64 rng_;
  std::vector<std::vector<isa::Insn>> items_;
  std::vector<std::pair<size_t, size_t>> jumps_;
  std::vector<size_t> sub_calls_;
  size_t subprog_item_ = 0;
};

struct Outcome {
  uint64_t r0 = 0;
  std::array<uint8_t, kCtxBytes> mem{};
  std::vector<std::array<uint64_t, 5>> calls;
};

TEST(JitDifferential, RandomProgramsMatchInterpreter) {
  std::vector<vm::HelperFn> helpers(2, nullptr);
  helpers[1] = h_log;
  constexpr int kPrograms = 400;
  size_t total_calls = 0;
  std::set<uint64_t> results;
  for (int i = 0; i < kPrograms; ++i) {
    Gen g(0x5eed0000 + i);
    const auto prog = g.program(/*with_subprog=*/i % 2 == 1);
    std::array<uint8_t, kCtxBytes> init{};
    std::mt19937_64 mrng(i);
    for (auto& b : init) b = uint8_t(mrng());

    Outcome want;
    {
      vm::InterpOptions o;
      o.helpers = helpers;
      auto it = vm::Interpreter::create(prog, o);
      ASSERT_TRUE(it.ok()) << "program " << i << ": " << it.error().format();
      want.mem = init;
      t_calls = &want.calls;
      auto r = it->run(want.mem.data(), want.mem.size());
      t_calls = nullptr;
      ASSERT_TRUE(r.ok()) << "program " << i << ": " << r.error().format();
      want.r0 = *r;
      total_calls += want.calls.size();
      results.insert(want.r0);
    }
    for (bool blind : {false, true}) {
      JitOptions o;
      o.helpers = helpers;
      o.blind_constants = blind;
      auto p = compile(prog, o);
      ASSERT_TRUE(p.ok()) << "program " << i << ": " << p.error().format();
      Outcome got;
      got.mem = init;
      t_calls = &got.calls;
      auto r = (*p)->run(got.mem.data(), got.mem.size());
      t_calls = nullptr;
      ASSERT_TRUE(r.ok()) << "program " << i << ": " << r.error().format();
      got.r0 = *r;
      EXPECT_EQ(got.r0, want.r0) << "program " << i << (blind ? " blinded" : "");
      EXPECT_EQ(got.mem, want.mem) << "program " << i << (blind ? " blinded" : "");
      EXPECT_EQ(got.calls, want.calls) << "program " << i << (blind ? " blinded" : "");
      if (HasFailure()) return;
    }
  }
  // The generator really exercises helpers and produces varied results.
  EXPECT_GT(total_calls, size_t{kPrograms / 4});
  EXPECT_GT(results.size(), size_t{kPrograms / 2});
}

// may_goto: loops that leave through may_goto once the run's budget (isa::kMaxLoops) is spent,
// and loops that end on their own condition first (may_goto only falls through), give the same
// r0 on the interpreter (fast and checked) and the JIT (plain and blinded), including when
// subprograms share the budget and when the same program runs twice.
TEST(JitDifferential, MayGotoMatchesInterpreter) {
  const isa::Insn may_goto2 = I(isa::kOpMayGoto, 0, 0, 2);
  const std::vector<std::vector<isa::Insn>> progs = {
      // r0 counts iterations until may_goto jumps out.
      {test::mov64(0, 0), may_goto2, I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -3), test::exit_insn()},
      // r0 = r0 * 3 + 1 (mod 2^64) with r6 counting; leaves through may_goto.
      {test::mov64(0, 1), test::mov64(6, 0), I(isa::kOpMayGoto, 0, 0, 4), I(0x27, 0, 0, 0, 3),
       I(0x07, 0, 0, 0, 1), I(0x07, 6, 0, 0, 1), I(0x05, 0, 0, -5), I(0xaf, 0, 6),
       test::exit_insn()},
      // Leaves on its own condition after 1000 iterations; the may_goto target returns -1.
      {test::mov64(0, 0), I(isa::kOpMayGoto, 0, 0, 4), I(0x07, 0, 0, 0, 1), I(0x15, 0, 0, 1, 1000),
       I(0x05, 0, 0, -4), test::exit_insn(), test::mov64(0, -1), test::exit_insn()},
      // Two calls of a counting subprogram: the second finds the budget spent.
      {I(0x85, 0, isa::kPseudoCall, 0, 5), test::mov64r(6, 0), I(0x85, 0, isa::kPseudoCall, 0, 3),
       I(0x27, 0, 0, 0, 7), I(0x0f, 0, 6), test::exit_insn(), test::mov64(0, 0), may_goto2,
       I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -3), test::exit_insn()},
  };
  for (size_t i = 0; i < progs.size(); ++i) {
    std::vector<uint64_t> want;
    for (bool checked : {false, true}) {
      vm::InterpOptions o;
      o.checked = checked;
      auto it = vm::Interpreter::create(progs[i], o);
      ASSERT_TRUE(it.ok()) << it.error().format();
      auto r = it->run(nullptr, 0);
      ASSERT_TRUE(r.ok()) << r.error().format();
      want.push_back(*r);
    }
    ASSERT_EQ(want[0], want[1]) << "program " << i;
    for (bool blind : {false, true}) {
      JitOptions o;
      o.blind_constants = blind;
      auto p = compile(progs[i], o);
      ASSERT_TRUE(p.ok()) << p.error().format();
      for (int run = 0; run < 2; ++run) {
        auto r = (*p)->run(nullptr, 0);
        ASSERT_TRUE(r.ok()) << r.error().format();
        EXPECT_EQ(*r, want[0]) << "program " << i << (blind ? " blinded" : "") << " run " << run;
      }
    }
  }
}

const void* g_tail_target = nullptr;
const void* tail_target(uint64_t, uint64_t) {
  return g_tail_target;
}

// A program without may_goto tail-calls one with it: the callee still gets the run's budget.
TEST(JitDifferential, MayGotoAfterTailCall) {
  const std::vector<isa::Insn> entry = {test::mov64(2, 0), test::mov64(3, 0), I(0x85, 0, 0, 0, 12),
                                        test::mov64(0, 77), test::exit_insn()};
  const std::vector<isa::Insn> callee = {test::mov64(0, 0), I(isa::kOpMayGoto, 0, 0, 2),
                                         I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -3), test::exit_insn()};
  vm::InterpOptions io;
  io.hooks.tail_call_target = tail_target;
  auto ia = vm::Interpreter::create(entry, io);
  auto ib = vm::Interpreter::create(callee, io);
  ASSERT_TRUE(ia.ok() && ib.ok());
  g_tail_target = &*ib;
  auto want = ia->run(nullptr, 0);
  ASSERT_TRUE(want.ok()) << want.error().format();
  EXPECT_EQ(*want, isa::kMaxLoops);
  JitOptions o;
  o.hooks.tail_call_target = tail_target;
  auto ja = compile(entry, o);
  auto jb = compile(callee, o);
  ASSERT_TRUE(ja.ok() && jb.ok());
  g_tail_target = jb->get();
  for (int run = 0; run < 2; ++run) {
    auto got = (*ja)->run(nullptr, 0);
    ASSERT_TRUE(got.ok()) << got.error().format();
    EXPECT_EQ(*got, *want) << "run " << run;
  }
  g_tail_target = nullptr;
}

}  // namespace
}  // namespace bombus::jit
