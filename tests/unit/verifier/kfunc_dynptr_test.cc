// Dynptrs: ringbuf dynptrs must be submitted or discarded (even when the reservation failed),
// dynptrs must be initialised before use and not overwritten while they hold a record, data()
// returns memory of its constant size or NULL that dies with the record, bpf_dynptr_from_mem
// takes map values only, bpf_user_ringbuf_drain's callback receives a dynptr it can read, and
// the slice kfuncs and bpf_dynptr_from_xdp follow the same rules.
#include <gtest/gtest.h>

#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

Report run(const std::string& text, platform::ProgType type = platform::ProgType::kXdp) {
  Program p = test_support::assemble_program(type, text);
  MapInfo rb;
  rb.type = platform::MapType::kRingbuf;
  rb.key_size = rb.value_size = 0;
  rb.max_entries = 4096;
  MapInfo urb = rb;
  urb.type = platform::MapType::kUserRingbuf;
  MapInfo arr;
  arr.value_size = 16;
  p.maps = {rb, urb, arr};
  p.kfuncs = {{1, 0, "bpf_dynptr_slice"}, {2, 0, "bpf_dynptr_from_xdp"}, {3, 0, "bpf_dynptr_size"}};
  Options o;
  o.log_level = 1;
  return verify(p, o);
}

// bpf_ringbuf_reserve_dynptr(&rb, 8, 0, fp-16)
const char* kReserve = "r1 = map[idx:0]\nr2 = 8\nr3 = 0\nr4 = r10\nr4 += -16\ncall 198\n";
const char* kSubmit = "r1 = r10\nr1 += -16\nr2 = 0\ncall 199\n";
const char* kData = "r1 = r10\nr1 += -16\nr2 = 0\nr3 = 8\ncall 203\n";

TEST(Dynptr, ReserveWriteSubmit) {
  Report r = run(std::string(kReserve) + kData +
                 "if r0 == 0 goto +2\nr1 = 7\n*(u64 *)(r0 +0) = r1\n" + kSubmit + "r0 = 0\nexit\n");
  EXPECT_TRUE(r.accepted) << r.error << "\n" << r.log;
}

TEST(Dynptr, ReservedDynptrMustBeReleased) {
  // Even a failed reservation holds a reference (the kernel's rule).
  Report r = run(std::string(kReserve) + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("Unreleased reference"), std::string::npos) << r.error;
}

TEST(Dynptr, DataIsMemOrNull) {
  Report r = run(std::string(kReserve) + kData + "r1 = 7\n*(u64 *)(r0 +0) = r1\n" + kSubmit +
                 "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("invalid mem access 'mem_or_null'"), std::string::npos) << r.error;
}

TEST(Dynptr, DataHasItsConstantSize) {
  Report r = run(std::string(kReserve) + kData +
                 "if r0 == 0 goto +2\nr1 = 7\n*(u64 *)(r0 +4) = r1\n" + kSubmit + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("invalid access to memory"), std::string::npos) << r.error;
}

TEST(Dynptr, DataDiesWithTheRecord) {
  Report r =
      run(std::string(kReserve) + kData + "if r0 == 0 goto null\nr6 = r0\n" + kSubmit +
          "r1 = 7\n*(u64 *)(r6 +0) = r1\nr0 = 0\nexit\nnull:\n" + kSubmit + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("R6 invalid mem access 'scalar'"), std::string::npos) << r.error;
}

TEST(Dynptr, UninitialisedDynptr) {
  Report r = run("r1 = 0\n*(u64 *)(r10 -16) = r1\n*(u64 *)(r10 -8) = r1\n" + std::string(kData) +
                 "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "Expected an initialized dynptr as arg #0");
}

TEST(Dynptr, ReferencedDynptrNotOverwritten) {
  Report r = run(std::string(kReserve) + kReserve + kSubmit + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "cannot overwrite referenced dynptr");
}

TEST(Dynptr, WrittenOverDynptrIsGone) {
  Report r =
      run(std::string(kReserve) + "r1 = 0\n*(u64 *)(r10 -16) = r1\n" + kSubmit + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "Expected an initialized dynptr as arg #0");
}

TEST(Dynptr, FromMemTakesMapValues) {
  const std::string lookup =
      "r1 = 0\n*(u32 *)(r10 -4) = r1\nr1 = map[idx:2]\nr2 = r10\nr2 += -4\ncall 1\n"
      "if r0 == 0 goto out\n";
  Report ok = run(lookup +
                  "r1 = r0\nr2 = 16\nr3 = 0\nr4 = r10\nr4 += -32\ncall 197\n"
                  "r1 = r10\nr1 += -48\nr2 = 8\nr3 = r10\nr3 += -32\nr4 = 0\nr5 = 0\ncall 201\n"
                  "out:\nr0 = 0\nexit\n");
  EXPECT_TRUE(ok.accepted) << ok.error << "\n" << ok.log;
  Report big = run(lookup + "r1 = r0\nr2 = 17\nr3 = 0\nr4 = r10\nr4 += -32\ncall 197\n" +
                   "out:\nr0 = 0\nexit\n");
  EXPECT_FALSE(big.accepted);
  Report stack =
      run("r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\nr4 = r10\nr4 += -32\ncall 197\n"
          "r0 = 0\nexit\n");
  EXPECT_EQ(stack.error, "Unsupported reg type fp for bpf_dynptr_from_mem data");
}

// bpf_user_ringbuf_drain(&urb, cb, NULL, 0); cb(dynptr, ctx) reads 8 bytes into its stack.
std::string drain(const std::string& cb_body) {
  return "r1 = map[idx:1]\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\ncall 209\nr0 = 0\nexit\n"
         "cb:\n" +
         cb_body + "r0 = 0\nexit\n";
}

TEST(Dynptr, UserRingbufDrainCallbackReadsItsDynptr) {
  Report r = run(drain("r3 = r1\nr1 = r10\nr1 += -8\nr2 = 8\nr4 = 0\nr5 = 0\ncall 201\n"));
  EXPECT_TRUE(r.accepted) << r.error << "\n" << r.log;
}

TEST(Dynptr, UserRingbufDynptrCannotBeSubmitted) {
  Report r = run(drain("r2 = 0\ncall 199\n"));
  EXPECT_FALSE(r.accepted);
}

TEST(Dynptr, CallbackDynptrIsOpaque) {
  // The callback's dynptr pointer can be neither dereferenced nor moved and still used.
  EXPECT_EQ(run(drain("r0 = *(u64 *)(r1 +0)\n")).error, "R1 invalid mem access 'dynptr_ptr'");
  EXPECT_EQ(
      run(drain("r1 += 8\nr3 = r1\nr1 = r10\nr1 += -8\nr2 = 8\nr4 = 0\nr5 = 0\ncall 201\n")).error,
      "R3 must have zero offset when passed as a dynptr");
}

TEST(Dynptr, DrainNeedsAUserRingbuf) {
  std::string s = drain("");
  s.replace(s.find("map[idx:1]"), 10, "map[idx:0]");
  EXPECT_EQ(run(s).error, "cannot pass map_type 27 into func bpf_user_ringbuf_drain#209");
}

TEST(Dynptr, XdpDynptrSlice) {
  // bpf_dynptr_from_xdp(ctx, 0, fp-16); p = bpf_dynptr_slice(fp-16, 0, NULL, 4): read-only.
  const std::string make =
      "r2 = 0\nr3 = r10\nr3 += -16\ncall kernel-function#2\n"
      "r1 = r10\nr1 += -16\nr2 = 0\nr3 = 0\nr4 = 4\ncall kernel-function#1\n"
      "if r0 == 0 goto +1\n";
  Report rd = run(make + "r0 = *(u32 *)(r0 +0)\nr0 = 2\nexit\n");
  EXPECT_TRUE(rd.accepted) << rd.error << "\n" << rd.log;
  Report wr = run(make + "*(u32 *)(r0 +0) = r2\nr0 = 2\nexit\n");
  EXPECT_FALSE(wr.accepted);
  Report big = run(make + "r0 = *(u64 *)(r0 +0)\nr0 = 2\nexit\n");
  EXPECT_FALSE(big.accepted);
  EXPECT_EQ(run(make + "r0 = 2\nexit\n", platform::ProgType::kSchedCls).error,
            "calling kernel function bpf_dynptr_from_xdp is not allowed");
}

}  // namespace
}  // namespace bombus::verifier
