// `prog dump jited`: every machine instruction is listed once, in order, under the eBPF
// instruction it came from, and the bytes shown are the code's bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "insn_builder.h"
#include "jit/dump.h"

namespace bombus::jit {
namespace {

using test::I;

std::unique_ptr<JitProgram> sample() {
  static vm::HelperFn hs[2] = {nullptr, nullptr};
  std::vector<isa::Insn> p = {test::mov64(0, 2)};
  test::lddw(p, 1, 0x1122334455667788);
  p.push_back(I(0x0f, 0, 1));
  p.push_back(test::exit_insn());
  JitOptions o;
  o.helpers = hs;
  auto r = compile(p, o);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

TEST(JitDump, BlocksCoverTheCodeInOrder) {
  auto prog = sample();
  auto blocks = disassemble_jited(*prog);
  ASSERT_TRUE(blocks.ok()) << blocks.error().format();
  uint64_t expect_off = 0;
  std::vector<size_t> insns;
  for (const auto& b : *blocks) {
    if (b.insn) insns.push_back(*b.insn);
    for (const auto& j : b.code) {
      EXPECT_EQ(j.offset, expect_off);
      for (size_t k = 0; k < j.bytes.size(); ++k) EXPECT_EQ(j.bytes[k], prog->code()[j.offset + k]);
      expect_off += j.bytes.size();
    }
  }
  EXPECT_EQ(expect_off, prog->code().size());
  EXPECT_EQ(insns, (std::vector<size_t>{0, 1, 3, 4}));  // lddw's second half has no block
  // The lddw became a movabs of its value.
  bool found = false;
  for (const auto& j : (*blocks)[1].code) {
    if (j.operands.find("0x1122334455667788") != std::string::npos) found = true;
  }
  EXPECT_TRUE(found);
}

TEST(JitDump, TextShowsBpfInsnAboveCodeAndOpcodes) {
  auto prog = sample();
  DumpOptions o;
  o.opcodes = true;
  o.linum = true;
  o.source_line = [](size_t pc) { return pc == 0 ? std::string("return 2; [x.c:3]") : ""; };
  auto text = dump_jited(*prog, o);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("; return 2; [x.c:3]\n; 0: (b7) r0 = 2\n   0:\tpush"), std::string::npos)
      << *text;
  EXPECT_NE(text->find("\t55 \n"), std::string::npos) << *text;  // push %rbp
  EXPECT_NE(text->find("; 4: (95) exit\n"), std::string::npos) << *text;
}

}  // namespace
}  // namespace bombus::jit
