// The checked interpreter's guarantees (memory bounds, budget) and create()'s structural checks.
#include <array>
#include <string>

#include "insn_build.h"
#include "vm/memory_registry.h"

namespace bombus::vm::test {
namespace {

constexpr uint8_t kW = isa::kSizeW, kB = isa::kSizeB, kDW = isa::kSizeDW;

Result<uint64_t> run_checked(const Prog& p, void* ctx = nullptr, size_t len = 0,
                             uint64_t budget = 0, const RunArgs& args = {}) {
  InterpOptions o;
  o.checked = true;
  o.budget = budget;
  auto it = Interpreter::create(p, o);
  if (!it.ok()) return it.error();
  return it->run(ctx, len, args);
}

std::string hexaddr(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

TEST(InterpChecked, OutOfBoundsReadNamesPcAndAddress) {
  std::array<uint8_t, 8> mem{};
  auto r = run_checked({mov64k(0, 0), ldx(kW, 0, 1, 6), exit_insn()}, mem.data(), mem.size());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kRuntime);
  EXPECT_EQ(r.error().where.insn, 1);
  EXPECT_NE(r.error().message.find("read of 4 bytes at " + hexaddr(mem.data() + 6)),
            std::string::npos)
      << r.error().format();
  // Inside the context: fine.
  auto ok = run_checked({ldx(kW, 0, 1, 4), exit_insn()}, mem.data(), mem.size());
  EXPECT_TRUE(ok.ok());
}

TEST(InterpChecked, StackBoundsAndWildPointers) {
  EXPECT_TRUE(run_checked({st(kDW, 10, -512, 1), ldx(kDW, 0, 10, -512), exit_insn()}).ok());
  auto above = run_checked({ldx(kB, 0, 10, 0), exit_insn()});
  ASSERT_FALSE(above.ok());
  EXPECT_NE(above.error().message.find("read of 1 byte at"), std::string::npos);
  auto wild = run_checked({mov64k(1, 0x1000), st(kW, 1, 0, 5), exit_insn()});
  ASSERT_FALSE(wild.ok());
  EXPECT_EQ(wild.error().where.insn, 1);
  EXPECT_NE(wild.error().message.find("write of 4 bytes at 0x1000"), std::string::npos);
  auto null_read = run_checked({ldx(kDW, 0, 1, 0), exit_insn()});  // ctx = nullptr, len 0
  ASSERT_FALSE(null_read.ok());
  // Address arithmetic that wraps around does not sneak past the check.
  auto wrap = run_checked({mov64k(1, -1), ldx(kDW, 0, 1, 0), exit_insn()});
  EXPECT_FALSE(wrap.ok());
}

TEST(InterpChecked, RegisteredAndPerRunRegions) {
  static uint64_t map_value = 41;
  Prog p;
  lddw(p, 1, reinterpret_cast<uint64_t>(&map_value));
  p.push_back(ldx(kDW, 0, 1, 0));
  p.push_back(alu64k(kAdd, 0, 1));
  p.push_back(stx(kDW, 1, 0, 0));
  p.push_back(exit_insn());
  EXPECT_FALSE(run_checked(p).ok());
  {
    auto reg = MemoryRegistry::global().add(&map_value, sizeof map_value, /*writable=*/true);
    auto r = run_checked(p);
    ASSERT_TRUE(r.ok()) << r.error().format();
    EXPECT_EQ(*r, 42u);
    EXPECT_EQ(map_value, 42u);
  }
  EXPECT_FALSE(run_checked(p).ok());  // unregistered again
  {
    auto reg = MemoryRegistry::global().add(&map_value, sizeof map_value, /*writable=*/false);
    auto r = run_checked(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().where.insn, 4);  // the store, after the load succeeded
    EXPECT_NE(r.error().message.find("write"), std::string::npos);
  }
  std::array<MemRegion, 1> regions = {MemRegion{reinterpret_cast<uintptr_t>(&map_value), 8, true}};
  RunArgs args;
  args.regions = regions;
  auto r = run_checked(p, nullptr, 0, 0, args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 43u);
}

std::array<uint8_t, 8> g_pkt = {1, 2, 3, 4, 5, 6, 7, 8};
PacketView pkt_hook(void*) {
  return PacketView{g_pkt.data(), g_pkt.size()};
}

TEST(InterpChecked, PacketBehindTheContextIsAllowed) {
  auto prog = [](int off) {
    Prog p;
    lddw(p, 1, reinterpret_cast<uint64_t>(g_pkt.data()));
    p.push_back(ldx(kW, 0, 1, off));
    p.push_back(exit_insn());
    return p;
  };
  InterpOptions o;
  o.checked = true;
  o.hooks.packet_data = pkt_hook;
  int ctx = 0;
  auto ok = Interpreter::create(prog(4), o);
  ASSERT_TRUE(ok.ok());
  auto r = ok->run(&ctx, sizeof ctx);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(*r, 0x08070605u);
  auto bad = Interpreter::create(prog(6), o);
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->run(&ctx, sizeof ctx).ok());
  EXPECT_FALSE(run_checked(prog(4), &ctx, sizeof ctx).ok());  // no hook: not allowed
}

TEST(InterpChecked, MisalignedAtomic) {
  auto r = run_checked({mov64k(1, 1), atomic(kDW, 10, 1, -12, isa::kAtomicAdd), exit_insn()});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("misaligned"), std::string::npos);
}

TEST(InterpChecked, Budget) {
  Prog loop{mov64k(0, 0), alu64k(kAdd, 0, 1), ja(-2), exit_insn()};
  auto r = run_checked(loop, nullptr, 0, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("budget of 1000"), std::string::npos);
  Prog finite{mov64k(0, 0), alu64k(kAdd, 0, 1), jk(kJlt, 0, 10, -2), exit_insn()};
  EXPECT_TRUE(run_checked(finite, nullptr, 0, 1 + 2 * 10 + 1).ok());
  EXPECT_FALSE(run_checked(finite, nullptr, 0, 2 * 10 + 1).ok());
  // The executed-instruction counter agrees with the budget.
  InterpOptions o;
  o.checked = true;
  auto it = Interpreter::create(finite, o);
  ASSERT_TRUE(it.ok());
  uint64_t n = 0;
  RunArgs args;
  args.executed = &n;
  ASSERT_TRUE(it->run(nullptr, 0, args).ok());
  EXPECT_EQ(n, 22u);
  o.budget = 5;
  auto limited = Interpreter::create(finite, o);
  ASSERT_TRUE(limited.ok());
  EXPECT_FALSE(limited->run(nullptr, 0, args).ok());
  EXPECT_EQ(n, 5u);
  auto oob =
      Interpreter::create(Prog{mov64k(0, 0), ldx(kW, 0, 0, 0), exit_insn()}, InterpOptions{true});
  ASSERT_TRUE(oob.ok());
  EXPECT_FALSE(oob->run(nullptr, 0, args).ok());
  EXPECT_EQ(n, 1u);  // the faulting load does not count as executed
}

TEST(InterpChecked, FallingOffTheEnd) {
  for (bool checked : {false, true}) {
    InterpOptions o;
    o.checked = checked;
    auto it = Interpreter::create(Prog{mov64k(0, 1)}, o);
    ASSERT_TRUE(it.ok());
    auto r = it->run(nullptr, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().where.insn, 1);
    EXPECT_NE(r.error().message.find("past the last instruction"), std::string::npos);
  }
}

TEST(InterpCreate, RejectsMalformedPrograms) {
  auto err = [](const Prog& p) {
    auto it = Interpreter::create(p);
    EXPECT_FALSE(it.ok());
    return it.ok() ? std::string() : it.error().format();
  };
  EXPECT_EQ(err({}), "program has no instructions");
  EXPECT_EQ(err({ins(0xff, 0, 0, 0, 0), exit_insn()}), "insn 0: unknown opcode 0xff");
  EXPECT_EQ(err({mov64k(0, 0), ja(5), exit_insn()}),
            "insn 1: jump target 7 is outside the program (3 instructions)");
  EXPECT_EQ(err({jk(kJeq, 0, 0, -2), exit_insn()}),
            "insn 0: jump target -1 is outside the program (2 instructions)");
  Prog into_lddw{ja(1)};
  lddw(into_lddw, 0, 1);
  into_lddw.push_back(exit_insn());
  EXPECT_EQ(err(into_lddw), "insn 0: jump target 2 is the second half of an lddw");
  EXPECT_EQ(err({ins(0x18, 0, 0, 0, 1)}), "insn 0: lddw is missing its second half");
  EXPECT_EQ(err({ins(0x18, 0, 1, 0, 1), ins(0, 0, 0, 0, 0), exit_insn()}),
            "insn 0: unresolved lddw pseudo source 1 (engines take resolved instructions)");
  EXPECT_EQ(err({call(99), exit_insn()}), "insn 0: call to unknown helper 99");
  EXPECT_EQ(err({call_local(5), exit_insn()}),
            "insn 0: jump target 6 is outside the program (2 instructions)");
  EXPECT_EQ(err({mov64k(11, 0), exit_insn()}), "insn 0: invalid register r11");
  EXPECT_EQ(err({ins(0xdc, 0, 0, 0, 24), exit_insn()}),
            "insn 0: invalid byte-swap width 24 (expected 16, 32 or 64)");
  EXPECT_EQ(err({alu64k(kDiv, 0, 1, 2), exit_insn()}), "insn 0: invalid offset 2 for div");
  EXPECT_EQ(err({atomic(kDW, 10, 1, -8, 0x10), exit_insn()}),
            "insn 0: unknown atomic operation 0x10");
  EXPECT_EQ(
      err({ins(0x85, 0, 2, 0, 1), exit_insn()}),
      "insn 0: unsupported call kind (src=2): kfunc calls are not supported by the interpreter");
}

}  // namespace
}  // namespace bombus::vm::test
