// Callbacks that keep changing a number in their caller's stack (bpf_loop summing into a local):
// the number is widened between re-entries of the helper call, so verification converges in a
// few rounds, and the widened number is unknown, never a value the program could misuse. A
// number whose value decided something (precise) is not widened, as in the kernel.
#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/verifier.h"

namespace bombus::verifier {
namespace {

Program assemble_prog(const std::string& text) {
  Program p;
  auto insns = isa::assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
  if (insns.ok()) p.insns = *insns;
  p.type = platform::ProgType::kXdp;
  p.gpl = true;
  return p;
}

// sum = 0; bpf_loop(10, cb, &sum, 0); <after>; cb(i, ctx) { *ctx += i; return 0; }
std::string sum_program(const std::string& after) {
  return "r1 = 0\n"
         "*(u64 *)(r10 -8) = r1\n"
         "r1 = 10\n"
         "r2 = subprog[cb]\n"
         "r3 = r10\n"
         "r3 += -8\n"
         "r4 = 0\n"
         "call 181\n" +
         after +
         "exit\n"
         "cb:\n"
         "r3 = *(u64 *)(r2 +0)\n"
         "r3 += r1\n"
         "*(u64 *)(r2 +0) = r3\n"
         "r0 = 0\n"
         "exit\n";
}

TEST(CallbackWidening, SumInCallerStackConverges) {
  Report r = verify(assemble_prog(sum_program("r0 = 2\n")), {});
  EXPECT_TRUE(r.accepted) << r.error;
  EXPECT_LT(r.insns_processed, 200u);
}

TEST(CallbackWidening, SumUsedAsAnOffsetIsNeverAValueItCannotBe) {
  // Using the sum as a stack offset must be refused (the first path, before any callback ran,
  // reads fp-8 and is fine). That use makes the sum precise, so like the kernel it is not
  // widened: it stays the sum of up to 10 unknown u32 indexes, far outside the stack.
  Report r = verify(assemble_prog(sum_program("r1 = *(u64 *)(r10 -8)\n"
                                              "r2 = r10\n"
                                              "r2 += -8\n"
                                              "r2 += r1\n"
                                              "r0 = *(u8 *)(r2 +0)\n"
                                              "r0 = 2\n")),
                    {});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error.rfind("invalid variable-offset read from stack R2", 0), 0u) << r.error;
}

TEST(CallbackWidening, ImpreciseSumConvergesWithManyLoops) {
  // The sum is never used: widened, it converges in a few rounds even with 1000 loops.
  std::string text = sum_program("r0 = 2\n");
  text.replace(text.find("r1 = 10"), 7, "r1 = 1000");
  Report r = verify(assemble_prog(text), {});
  EXPECT_TRUE(r.accepted) << r.error;
  EXPECT_LT(r.insns_processed, 200u);
}

}  // namespace
}  // namespace bombus::verifier
