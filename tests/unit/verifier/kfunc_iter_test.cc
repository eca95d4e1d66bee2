// Kernel-function calls: open-coded iterators (new/next/destroy, loop convergence, widening,
// leaks, uninitialised and overwritten iterators), kfunc references (acquire, NULL checks,
// release, object types) and the program types each kfunc set is registered for.
#include <gtest/gtest.h>

#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

// Kfunc BTF ids used by the programs below (any numbers: Program::kfuncs names them).
const std::vector<KfuncRef> kKfuncs = {
    {1, 0, "bpf_iter_num_new"},       {2, 0, "bpf_iter_num_next"},  {3, 0, "bpf_iter_num_destroy"},
    {4, 0, "bpf_cgroup_from_id"},     {5, 0, "bpf_cgroup_release"}, {6, 0, "bpf_cpumask_create"},
    {7, 0, "bpf_cpumask_release"},    {8, 0, "bpf_iter_bits_new"},  {9, 0, "bpf_iter_bits_next"},
    {10, 0, "bpf_iter_bits_destroy"}, {11, 0, "bpf_not_described"},
};

Report run(const std::string& text, platform::ProgType type = platform::ProgType::kXdp) {
  Program p = test_support::assemble_program(type, text);
  p.kfuncs = kKfuncs;
  Options o;
  o.log_level = 1;
  return verify(p, o);
}

const char* kNew = "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 100\ncall kernel-function#1\n";
const char* kDestroy = "r1 = r10\nr1 += -8\ncall kernel-function#3\n";

// for (n = 0; (p = next(&it)); ) n += *p;  then `tail`.
std::string count_loop(const std::string& tail, bool destroy = true) {
  return std::string(kNew) +
         "r6 = 0\n"
         "loop:\n"
         "r1 = r10\n"
         "r1 += -8\n"
         "call kernel-function#2\n"
         "if r0 == 0 goto done\n"
         "r1 = *(u32 *)(r0 +0)\n"
         "r6 += r1\n"
         "goto loop\n"
         "done:\n" +
         (destroy ? kDestroy : "") + tail;
}

TEST(KfuncIter, NumLoopConverges) {
  Report r = run(count_loop("r0 = r6\nexit\n"));
  EXPECT_TRUE(r.accepted) << r.error << "\n" << r.log;
  EXPECT_LT(r.insns_processed, 200u);
}

TEST(KfuncIter, MissingDestroyLeaks) {
  Report r = run(count_loop("r0 = 0\nexit\n", false));
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("Unreleased reference"), std::string::npos) << r.error;
}

TEST(KfuncIter, NextOnUninitialisedIterator) {
  Report r =
      run("r1 = 0\n*(u64 *)(r10 -8) = r1\nr1 = r10\nr1 += -8\ncall kernel-function#2\n"
          "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "expected an initialized iter_num as arg #0");
}

TEST(KfuncIter, NewTwiceOnTheSameStack) {
  Report r = run(std::string(kNew) + kNew + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "expected uninitialized iter_num as arg #0");
}

TEST(KfuncIter, OverwrittenIteratorIsNotAnIterator) {
  Report r =
      run(std::string(kNew) + "r1 = 5\n*(u32 *)(r10 -4) = r1\n" + kDestroy + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "expected an initialized iter_num as arg #0");
}

TEST(KfuncIter, IteratorOfAnotherKind) {
  Report r =
      run("r1 = r10\nr1 += -16\nr2 = 0\nr3 = 100\ncall kernel-function#1\n"  // a num iterator
          "r1 = r10\nr1 += -16\ncall kernel-function#9\nr0 = 0\nexit\n");    // bits next()
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "expected an initialized iter_bits as arg #0");
}

TEST(KfuncIter, BitsIteratorNeedsSixteenBytes) {
  // -8 leaves only 8 bytes below r10 for a 16-byte struct bpf_iter_bits.
  Report r = run("r1 = r10\nr1 += -8\nr2 = 0\nr3 = 1\ncall kernel-function#8\nr0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("invalid indirect access to stack"), std::string::npos) << r.error;
}

TEST(KfuncIter, DrainedPathSeesNull) {
  // Dereferencing next()'s result without the NULL check: the drained path has r0 = 0.
  Report r =
      run(std::string(kNew) + "r1 = r10\nr1 += -8\ncall kernel-function#2\nr6 = *(u32 *)(r0 +0)\n" +
          kDestroy + "r0 = 0\nexit\n");
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("invalid mem access"), std::string::npos) << r.error;
}

TEST(KfuncIter, ElementIsFourBytes) {
  std::string s = count_loop("r0 = 0\nexit\n");
  s.replace(s.find("*(u32 *)(r0 +0)"), 15, "*(u64 *)(r0 +0)");
  Report r = run(s);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("invalid access to memory"), std::string::npos) << r.error;
}

TEST(KfuncIter, WidenedCounterIsUnknown) {
  // The loop-carried counter (0, 1, 2, ... if it were not widened) is widened, so using it as a
  // stack offset after the loop is refused (on the path where the loop ran at least twice).
  std::string s = count_loop(
      "r1 = 0\n*(u64 *)(r10 -16) = r1\nr2 = r10\nr2 += -16\nr2 += r6\nr0 = *(u8 *)(r2 +0)\n"
      "r0 = 0\nexit\n");
  s.replace(s.find("r6 += r1"), 8, "r6 += 1");
  Report r = run(s);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("math between fp pointer and register"), std::string::npos)
      << r.error << "\n"
      << r.log;
}

// cgroup = bpf_cgroup_from_id(0); [null check] bpf_cgroup_release(cgroup)
std::string cgroup_prog(bool check, bool release) {
  std::string s = "r1 = 0\ncall kernel-function#4\n";
  if (check) s += "if r0 == 0 goto out\n";
  if (release) s += "r1 = r0\ncall kernel-function#5\n";
  return s + "out:\nr0 = 0\nexit\n";
}

TEST(KfuncRefs, AcquireCheckRelease) {
  Report r = run(cgroup_prog(true, true), platform::ProgType::kSyscall);
  EXPECT_TRUE(r.accepted) << r.error << "\n" << r.log;
}

TEST(KfuncRefs, ReleaseWithoutNullCheck) {
  Report r = run(cgroup_prog(false, true), platform::ProgType::kSyscall);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "Possibly NULL pointer passed to trusted arg0");
}

TEST(KfuncRefs, NotReleased) {
  Report r = run(cgroup_prog(true, false), platform::ProgType::kSyscall);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("Unreleased reference"), std::string::npos) << r.error;
}

TEST(KfuncRefs, ReleasedTwice) {
  Report r =
      run("r1 = 0\ncall kernel-function#4\nif r0 == 0 goto out\nr6 = r0\nr1 = r6\n"
          "call kernel-function#5\nr1 = r6\ncall kernel-function#5\nout:\nr0 = 0\nexit\n",
          platform::ProgType::kSyscall);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "arg#0 expected pointer to btf or socket");
}

TEST(KfuncRefs, WrongObjectType) {
  Report r =
      run("r1 = 0\ncall kernel-function#4\nif r0 == 0 goto out\nr1 = r0\n"
          "call kernel-function#7\nout:\nr0 = 0\nexit\n",
          platform::ProgType::kSyscall);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("expected pointer to STRUCT bpf_cpumask but R1 has a pointer to STRUCT "
                         "cgroup"),
            std::string::npos)
      << r.error;
}

TEST(KfuncProgTypes, SetsPerProgramType) {
  // The generic set (cgroups) is registered for xdp but not socket filters; cpumasks for
  // syscall programs but not xdp; iterators everywhere.
  EXPECT_TRUE(run(cgroup_prog(true, true), platform::ProgType::kXdp).accepted);
  Report r = run(cgroup_prog(true, true), platform::ProgType::kSocketFilter);
  EXPECT_EQ(r.error, "calling kernel function bpf_cgroup_from_id is not allowed");
  const std::string cpumask =
      "call kernel-function#6\nif r0 == 0 goto out\nr1 = r0\ncall kernel-function#7\n"
      "out:\nr0 = 0\nexit\n";
  EXPECT_TRUE(run(cpumask, platform::ProgType::kSyscall).accepted);
  EXPECT_EQ(run(cpumask, platform::ProgType::kXdp).error,
            "calling kernel function bpf_cpumask_create is not allowed");
  EXPECT_TRUE(run(count_loop("r0 = 0\nexit\n"), platform::ProgType::kSocketFilter).accepted);
}

TEST(KfuncProgTypes, UnknownAndUndescribedKfuncs) {
  EXPECT_EQ(run("call kernel-function#77\nr0 = 0\nexit\n").error,
            "kernel btf_id 77 is not a function");
  EXPECT_EQ(run("call kernel-function#11\nr0 = 0\nexit\n").error,
            "calling kernel function bpf_not_described is not supported by bombus");
}

}  // namespace
}  // namespace bombus::verifier
