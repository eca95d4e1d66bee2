// Interpreter memory access (loads, stores, sign-extending loads, atomics, legacy packet loads)
// and calls (helpers, stop, callx, bpf-to-bpf frames, tail calls).
#include <array>
#include <cstring>

#include "insn_build.h"

namespace bombus::vm::test {
namespace {

constexpr uint8_t kW = isa::kSizeW, kH = isa::kSizeH, kB = isa::kSizeB, kDW = isa::kSizeDW;

TEST(InterpMem, LoadsFromContextUnaligned) {
  std::array<uint8_t, 16> mem{};
  for (size_t i = 0; i < mem.size(); ++i) mem[i] = static_cast<uint8_t>(0x80 + i);
  EXPECT_EQ(run_both({ldx(kDW, 0, 1, 1), exit_insn()}, mem.data(), mem.size()),
            0x8887868584838281ull);
  EXPECT_EQ(run_both({ldx(kW, 0, 1, 3), exit_insn()}, mem.data(), mem.size()), 0x86858483u);
  EXPECT_EQ(run_both({ldx(kH, 0, 1, 0), exit_insn()}, mem.data(), mem.size()), 0x8180u);
  EXPECT_EQ(run_both({ldx(kB, 0, 1, 15), exit_insn()}, mem.data(), mem.size()), 0x8fu);
  EXPECT_EQ(run_both({ldxs(kB, 0, 1, 0), exit_insn()}, mem.data(), mem.size()),
            static_cast<uint64_t>(-128));
  EXPECT_EQ(run_both({ldxs(kH, 0, 1, 0), exit_insn()}, mem.data(), mem.size()),
            0xffffffffffff8180ull);
  EXPECT_EQ(run_both({ldxs(kW, 0, 1, 0), exit_insn()}, mem.data(), mem.size()),
            0xffffffff83828180ull);
  // r2 holds the context length.
  EXPECT_EQ(run_both({mov64x(0, 2), exit_insn()}, mem.data(), mem.size()), 16u);
}

TEST(InterpMem, StackStoresAndLoads) {
  Prog p{st(kDW, 10, -8, -2), ldx(kDW, 0, 10, -8), exit_insn()};
  EXPECT_EQ(run_both(p), static_cast<uint64_t>(-2));
  Prog q{mov64k(1, 0x1234),  stx(kH, 10, 1, -3), st(kB, 10, -1, 0x56), ldx(kH, 0, 10, -3),
         ldx(kB, 2, 10, -1), alu64k(kLsh, 0, 8), alu64x(kOr, 0, 2),    exit_insn()};
  EXPECT_EQ(run_both(q), 0x123456u);
}

struct AtomicCase {
  int32_t op;
  uint8_t size;
  uint64_t mem_after;
  uint64_t src_after;
};

TEST(InterpMem, Atomics) {
  const uint64_t init = 0x00000001000000f0ull, src = 0xffffffff0000000full;
  const int32_t F = isa::kAtomicFetch;
  std::vector<AtomicCase> cases = {
      {isa::kAtomicAdd, kDW, init + src, src},
      {isa::kAtomicAdd | F, kDW, init + src, init},
      {isa::kAtomicOr | F, kDW, init | src, init},
      {isa::kAtomicAnd | F, kDW, init & src, init},
      {isa::kAtomicXor | F, kDW, init ^ src, init},
      {isa::kAtomicXchg, kDW, src, init},
      {isa::kAtomicAdd, kW, 0x00000001000000ffull, src},
      {isa::kAtomicAdd | F, kW, 0x00000001000000ffull, 0xf0},
      {isa::kAtomicOr | F, kW, 0x00000001000000ffull, 0xf0},
      {isa::kAtomicAnd | F, kW, 0x0000000100000000ull, 0xf0},
      {isa::kAtomicXor, kW, 0x00000001000000ffull, src},
      {isa::kAtomicXchg, kW, 0x000000010000000full, 0xf0},
  };
  for (const auto& c : cases) {
    // [r10-8] = init; r1 = src; atomic; r0 = [r10-8] ^ ... return memory; r1 via second run.
    Prog p;
    lddw(p, 2, init);
    p.push_back(stx(kDW, 10, 2, -8));
    lddw(p, 1, src);
    p.push_back(atomic(c.size, 10, 1, -8, c.op));
    Prog mem_prog = p, src_prog = p;
    mem_prog.push_back(ldx(kDW, 0, 10, -8));
    mem_prog.push_back(exit_insn());
    src_prog.push_back(mov64x(0, 1));
    src_prog.push_back(exit_insn());
    EXPECT_EQ(run_both(mem_prog), c.mem_after) << "op " << c.op << " size " << int(c.size);
    EXPECT_EQ(run_both(src_prog), c.src_after) << "op " << c.op << " size " << int(c.size);
  }
}

TEST(InterpMem, Cmpxchg) {
  // 64-bit: equal -> stores src, r0 = old.
  Prog p;
  lddw(p, 2, 0x1111111122222222ull);
  p.push_back(stx(kDW, 10, 2, -8));
  p.push_back(mov64x(0, 2));
  p.push_back(mov64k(1, 7));
  p.push_back(atomic(kDW, 10, 1, -8, isa::kAtomicCmpxchg));
  Prog a = p;
  a.push_back(ldx(kDW, 0, 10, -8));
  a.push_back(exit_insn());
  EXPECT_EQ(run_both(a), 7u);
  Prog b = p;
  b.push_back(exit_insn());
  EXPECT_EQ(run_both(b), 0x1111111122222222ull);
  // 64-bit: not equal -> memory unchanged, r0 = old.
  Prog q;
  lddw(q, 2, 0x1111111122222222ull);
  q.push_back(stx(kDW, 10, 2, -8));
  q.push_back(mov64k(0, 3));
  q.push_back(mov64k(1, 7));
  q.push_back(atomic(kDW, 10, 1, -8, isa::kAtomicCmpxchg));
  q.push_back(ldx(kDW, 3, 10, -8));
  q.push_back(alu64x(kXor, 0, 3));  // old ^ mem == 0 when memory is unchanged
  q.push_back(exit_insn());
  EXPECT_EQ(run_both(q), 0u);
  // 32-bit: compares the low 32 bits of r0 and zero-extends the old value into r0.
  Prog r;
  lddw(r, 2, 0xaaaaaaaa22222222ull);
  r.push_back(stx(kDW, 10, 2, -8));
  lddw(r, 0, 0xffffffff22222222ull);
  r.push_back(mov64k(1, 7));
  r.push_back(atomic(kW, 10, 1, -8, isa::kAtomicCmpxchg));
  Prog r_mem = r, r_r0 = r;
  r_mem.push_back(ldx(kDW, 0, 10, -8));
  r_mem.push_back(exit_insn());
  r_r0.push_back(exit_insn());
  EXPECT_EQ(run_both(r_mem), 0xaaaaaaaa00000007ull);
  EXPECT_EQ(run_both(r_r0), 0x22222222u);
}

// ---- legacy packet loads
std::array<uint8_t, 8> g_packet = {0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef};
PacketView packet_hook(void*) {
  return PacketView{g_packet.data(), g_packet.size()};
}

TEST(InterpMem, LdAbsLdInd) {
  InterpOptions o;
  o.hooks.packet_data = packet_hook;
  int ctx = 0;
  auto run = [&](Prog p) { return run_both(p, &ctx, sizeof ctx, o); };
  EXPECT_EQ(run({mov64x(6, 1), ins(0x30, 0, 0, 0, 0), exit_insn()}), 0x45u);
  EXPECT_EQ(run({mov64x(6, 1), ins(0x28, 0, 0, 0, 2), exit_insn()}), 0x1234u);
  EXPECT_EQ(run({mov64x(6, 1), ins(0x20, 0, 0, 0, 4), exit_insn()}), 0xdeadbeefu);
  EXPECT_EQ(run({mov64x(6, 1), mov64k(3, 2), ins(0x40, 0, 3, 0, 2), exit_insn()}), 0xdeadbeefu);
  EXPECT_EQ(run({mov64x(6, 1), mov64k(3, 1), ins(0x50, 0, 3, 0, 0), exit_insn()}), 0x00u);
  EXPECT_EQ(run({mov64x(6, 1), mov64k(3, 3), ins(0x48, 0, 3, 0, 0), exit_insn()}), 0x34deu);
  // Out of bounds ends the program with 0, even from inside a subprogram.
  EXPECT_EQ(run({mov64x(6, 1), ins(0x20, 0, 0, 0, 5), mov64k(0, 9), exit_insn()}), 0u);
  EXPECT_EQ(run({mov64x(6, 1), mov64k(3, -8), ins(0x50, 0, 3, 0, 0), mov64k(0, 9), exit_insn()}),
            0u);
  EXPECT_EQ(run({mov64x(6, 1), mov64k(0, 5), call_local(1), exit_insn(), ins(0x20, 0, 0, 0, 8),
                 exit_insn()}),
            0u);
  // Without a hook there is no packet: 0.
  EXPECT_EQ(run_both({ins(0x30, 0, 0, 0, 0), mov64k(0, 9), exit_insn()}), 0u);
}

// ---- helpers
uint64_t h_add(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  return a + b + c + d + e;
}
uint64_t h_unwind(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t) {
  if (a == 0) {
    RunState* rs = current_run_state();
    rs->stop = true;
    rs->stop_value = 0;
  }
  return a;
}
uint64_t h_ctx(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  return reinterpret_cast<uint64_t>(current_run_state()->ctx);
}
const std::array<HelperFn, 8> kHelpers = {nullptr, h_add, h_ctx, nullptr, nullptr, h_unwind};

InterpOptions with_helpers() {
  InterpOptions o;
  o.helpers = kHelpers;
  return o;
}

TEST(InterpCall, Helpers) {
  Prog p{mov64k(1, 1), mov64k(2, 2), mov64k(3, 3), mov64k(4, 4),
         mov64k(5, 5), call(1),      exit_insn()};
  EXPECT_EQ(run_both(p, nullptr, 0, with_helpers()), 15u);
  int ctx = 0;
  EXPECT_EQ(run_both({call(2), exit_insn()}, &ctx, sizeof ctx, with_helpers()),
            reinterpret_cast<uint64_t>(&ctx));
}

TEST(InterpCall, HelperStopsProgram) {
  Prog p{mov64k(1, 0), call(5), mov64k(0, 3), exit_insn()};
  EXPECT_EQ(run_both(p, nullptr, 0, with_helpers()), 0u);
  Prog q{mov64k(1, 4), call(5), alu64k(kAdd, 0, 1), exit_insn()};
  EXPECT_EQ(run_both(q, nullptr, 0, with_helpers()), 5u);
}

TEST(InterpCall, CallxUsesRegisterAsHelperId) {
  Prog p{mov64k(1, -1), mov64k(2, 5), callx(2), mov64k(0, 2), exit_insn()};
  EXPECT_EQ(run_both(p, nullptr, 0, with_helpers()), 2u);
  Prog bad{mov64k(2, 3), callx(2), exit_insn()};
  for (bool checked : {false, true}) {
    InterpOptions o = with_helpers();
    o.checked = checked;
    auto it = Interpreter::create(bad, o);
    ASSERT_TRUE(it.ok());
    auto r = it->run(nullptr, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kRuntime);
    EXPECT_EQ(r.error().where.insn, 1);
  }
}

TEST(InterpCall, LocalCallsSaveR6ToR9AndGetOwnFrame) {
  // main: r6..r9 = 6..9; [r10-8] = 100; call f; r0 += r6+r7+r8+r9 + [r10-8]
  // f:    clobbers r6..r9, writes [r10-8] (its own frame), returns 1000
  Prog p{mov64k(6, 6), mov64k(7, 7), mov64k(8, 8), mov64k(9, 9), st(kDW, 10, -8, 100),
         call_local(7), alu64x(kAdd, 0, 6), alu64x(kAdd, 0, 7), alu64x(kAdd, 0, 8),
         alu64x(kAdd, 0, 9), ldx(kDW, 1, 10, -8), alu64x(kAdd, 0, 1), exit_insn(),
         // f:
         mov64k(6, 0), mov64k(7, 0), mov64k(8, 0), mov64k(9, 0), st(kDW, 10, -8, 55),
         mov64k(0, 1000), exit_insn()};
  EXPECT_EQ(run_both(p), 1000u + 6 + 7 + 8 + 9 + 100);
}

TEST(InterpCall, CallDepthLimit) {
  // f(n): if n == 0 return 0; return f(n-1) + 1. Depth n+1 frames.
  auto prog = [](int n) {
    return Prog{mov64k(1, n), call_local(1), exit_insn(),
                // f:
                mov64k(0, 0), jk(kJeq, 1, 0, 3), alu64k(kSub, 1, 1), call_local(-4),
                alu64k(kAdd, 0, 1), exit_insn()};
  };
  EXPECT_EQ(run_both(prog(6)), 6u);  // 8 frames: main + 7
  for (bool checked : {false, true}) {
    InterpOptions o;
    o.checked = checked;
    auto it = Interpreter::create(prog(7), o);
    ASSERT_TRUE(it.ok());
    auto r = it->run(nullptr, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("8 frames"), std::string::npos) << r.error().format();
  }
}

// ---- tail calls: map value 1 -> target program; index 0 -> missing.
const Interpreter* g_target = nullptr;
const void* tail_target(uint64_t map, uint64_t index) {
  return map == 0xabc && index == 1 ? g_target : nullptr;
}

TEST(InterpCall, TailCalls) {
  // The target returns 40 + r1 (ctx); the caller tail-calls index r3.
  auto target = Interpreter::create(Prog{mov64x(0, 1), alu64k(kAdd, 0, 40), exit_insn()});
  ASSERT_TRUE(target.ok());
  g_target = &*target;
  for (bool checked : {false, true}) {
    InterpOptions o;
    o.checked = checked;
    o.hooks.tail_call_target = tail_target;
    Prog hit{mov64k(2, 0xabc), mov64k(3, 1), mov64k(1, 2), call(12), mov64k(0, 7), exit_insn()};
    Prog miss{mov64k(2, 0xabc), mov64k(3, 0), call(12), mov64k(0, 7), exit_insn()};
    auto a = Interpreter::create(hit, o);
    auto b = Interpreter::create(miss, o);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a->run(nullptr, 0), 42u);
    EXPECT_EQ(*b->run(nullptr, 0), 7u);
  }
  // A program tail-calling itself stops after 33 tail calls and falls through.
  InterpOptions o;
  o.hooks.tail_call_target = tail_target;
  // r6 counts entries via the stack? Registers survive a tail call, so r6 counts.
  auto self = Interpreter::create(
      Prog{alu64k(kAdd, 6, 1), mov64k(2, 0xabc), mov64k(3, 1), call(12), mov64x(0, 6), exit_insn()},
      o);
  ASSERT_TRUE(self.ok());
  g_target = &*self;
  EXPECT_EQ(*self->run(nullptr, 0), 34u);  // first run + 33 tail calls
  g_target = nullptr;
}

}  // namespace
}  // namespace bombus::vm::test

namespace bombus::vm::test {
namespace {

// A bpf_loop-like helper: calls the callback fn(i, ctx) for i in [0, nr) and sums the results.
uint64_t h_loop(uint64_t nr, uint64_t fn, uint64_t ctx, uint64_t, uint64_t) {
  RunState* rs = current_run_state();
  uint64_t sum = 0;
  for (uint64_t i = 0; i < nr && !rs->stop; ++i) {
    sum += rs->hooks.call_function(rs->program, fn, i, ctx, 0, 0, 0);
  }
  return sum;
}
const std::array<HelperFn, 2> kLoopHelpers = {nullptr, h_loop};

TEST(InterpCall, CallbacksThroughCallFunction) {
  // main: [r10-8] = 1000; r1 = 4; r2 = &cb (insn 8); r3 = r10-8; call loop; exit
  // cb(i, ctx): r0 = i * 2 + *(u64*)ctx   (reads the caller's stack through ctx)
  Prog p{st(isa::kSizeDW, 10, -8, 1000), mov64k(1, 4)};
  lddw(p, 2, 8);
  p.push_back(mov64x(3, 10));
  p.push_back(alu64k(kAdd, 3, -8));
  p.push_back(call(1));
  p.push_back(exit_insn());
  // insn 8:
  p.push_back(mov64x(0, 1));
  p.push_back(alu64k(kMul, 0, 2));
  p.push_back(ldx(isa::kSizeDW, 4, 2, 0));
  p.push_back(alu64x(kAdd, 0, 4));
  p.push_back(exit_insn());
  InterpOptions o;
  o.helpers = kLoopHelpers;
  EXPECT_EQ(run_both(p, nullptr, 0, o), (0 + 2 + 4 + 6) + 4 * 1000u);

  // A fault inside the callback ends the whole run and names the callback's instruction.
  Prog bad = p;
  bad[10] = ldx(isa::kSizeDW, 4, 2, 4096);
  o.checked = true;
  auto it = Interpreter::create(bad, o);
  ASSERT_TRUE(it.ok());
  auto r = it->run(nullptr, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().where.insn, 10);
  EXPECT_NE(r.error().message.find("in a callback: out-of-bounds read"), std::string::npos)
      << r.error().format();

  // A target outside the program is an error at the helper call.
  Prog wild = p;
  wild[2].imm = 99;
  auto w = Interpreter::create(wild, o);
  ASSERT_TRUE(w.ok());
  auto wr = w->run(nullptr, 0);
  ASSERT_FALSE(wr.ok());
  EXPECT_EQ(wr.error().where.insn, 6);
  EXPECT_NE(wr.error().message.find("callback target 0x63"), std::string::npos)
      << wr.error().format();
}

}  // namespace
}  // namespace bombus::vm::test
