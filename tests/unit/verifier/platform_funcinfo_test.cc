// BTF func info in the verifier's input (Program::funcs): subprograms whose BTF return type is
// not a scalar may not use LD_ABS/LD_IND or tail calls (the kernel's check_btf_func rule);
// without func info nothing is checked.
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

Report run(std::string_view text, std::vector<FuncInfo> funcs, std::vector<MapInfo> maps = {}) {
  Program p;
  auto insns = isa::assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
  if (insns.ok()) p.insns = *insns;
  p.type = platform::ProgType::kSocketFilter;
  p.funcs = std::move(funcs);
  p.maps = std::move(maps);
  return verify(p, {});
}

// main calls the subprogram at insn 3, which loads a packet byte.
constexpr const char* kLdAbsInSubprog =
    "call pc+2\n"
    "r0 = 0\n"
    "exit\n"
    "r6 = r1\n"
    "r0 = *(u8 *)skb[0]\n"
    "r0 = 1\n"
    "exit\n";

TEST(PlatformFuncInfo, LdAbsNeedsAScalarReturn) {
  Report r = run(kLdAbsInSubprog, {{0, true}, {3, false}});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "LD_ABS is only allowed in functions that return 'int'.");
  EXPECT_TRUE(run(kLdAbsInSubprog, {{0, true}, {3, true}}).accepted);
  EXPECT_TRUE(run(kLdAbsInSubprog, {}).accepted);  // no BTF: not checked
}

TEST(PlatformFuncInfo, TailCallNeedsAScalarReturn) {
  MapInfo progs;
  progs.type = platform::MapType::kProgArray;
  progs.key_size = progs.value_size = 4;
  const char* text =
      "call pc+2\n"
      "r0 = 0\n"
      "exit\n"
      "r2 = map[idx:0]\n"
      "r3 = 0\n"
      "call 12\n"
      "r0 = 1\n"
      "exit\n";
  Report r = run(text, {{0, true}, {3, false}}, {progs});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "tail_call is only allowed in functions that return 'int'.");
  EXPECT_TRUE(run(text, {{0, true}, {3, true}}, {progs}).accepted);
}

}  // namespace
}  // namespace bombus::verifier
