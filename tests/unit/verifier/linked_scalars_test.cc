// Scalar facts the kernel keeps and bombus once lost (each found by a kernel selftest): a copy
// plus a constant stays linked to its source (BPF_ADD_CONST), `w3 = w2` keeps the link when the
// upper half is zero, bpf_loop stops re-entering its callback after a known nr_loops, helpers
// returning a length bound it by their size argument, `<<32 s>>32` keeps the bounds, and a
// subprogram may return holding the spin lock while the main program may not exit with it.
#include "verifier/linked_scalars.h"

#include <gtest/gtest.h>

#include "isa/asm.h"
#include "verifier/verifier.h"
#include "verify_asm.h"

namespace bombus::verifier {
namespace {

MapInfo array_map(uint32_t value_size) {
  MapInfo m;
  m.type = platform::MapType::kArray;
  m.key_size = 4;
  m.value_size = value_size;
  m.max_entries = 1;
  return m;
}

Report verify_text(const std::string& text, std::vector<MapInfo> maps,
                   platform::ProgType type = platform::ProgType::kSocketFilter) {
  return test_support::verify_asm(type, text, std::move(maps));
}

// r6 = a map value of `size` bytes (the program ends at `out` when the lookup fails).
const char* kLookup =
    "*(u32 *)(r10 -4) = 0\n"
    "r1 = map[idx:0]\n"
    "r2 = r10\n"
    "r2 += -4\n"
    "call 1\n"
    "if r0 == 0 goto out\n"
    "r6 = r0\n";
const char* kOut = "out:\nr0 = 0\nexit\n";

// r1 = r0 + delta, then a bound on r0 only; r1 indexes the 10-byte value.
std::string add_const_prog(const std::string& adds) {
  return std::string(kLookup) + "call 5\nr1 = r0\n" + adds +
         "if r0 > 8 goto out\n"
         "r6 += r1\n"
         "r0 = *(u8 *)(r6 +0)\n" +
         kOut;
}

TEST(LinkedScalars, CopyPlusConstantFollowsItsSource) {
  Report r = verify_text(add_const_prog("r1 += 1\n"), {array_map(10)});
  EXPECT_TRUE(r.accepted) << r.error;  // r0 in [0, 8] gives r1 in [1, 9]
  r = verify_text(add_const_prog("r1 += 2\n"), {array_map(10)});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "invalid access to map value, value_size=10 off=10 size=1");
}

TEST(LinkedScalars, SourceFollowsTheCopyPlusConstant) {
  // A bound on r1 = r0 + 3 bounds r0 too: r1 in [3, 9] gives r0 in [0, 6].
  Report r = verify_text(std::string(kLookup) +
                             "call 5\nr1 = r0\nr1 += 3\n"
                             "if r1 > 9 goto out\n"
                             "if r1 < 3 goto out\n"
                             "r6 += r0\n"
                             "r0 = *(u8 *)(r6 +3)\n" +
                             kOut,
                         {array_map(10)});
  EXPECT_TRUE(r.accepted) << r.error;
}

TEST(LinkedScalars, SecondAddBreaksTheLink) {
  Report r = verify_text(add_const_prog("r1 += 1\nr1 += 1\n"), {array_map(10)});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error,
            "math between map_value pointer and register with unbounded min value is not allowed");
  // A 32-bit add or a subtraction does not link either (kernel 6.18: 64-bit adds only).
  r = verify_text(add_const_prog("w1 += 1\n"), {array_map(10)});
  EXPECT_FALSE(r.accepted);
  r = verify_text(add_const_prog("r1 -= -1\n"), {array_map(10)});
  EXPECT_FALSE(r.accepted);
}

TEST(LinkedScalars, PruningComparesTheConstantDistance) {
  State old_st, cur_st;
  old_st.frames.resize(1);
  cur_st.frames.resize(1);
  Reg o = Reg::scalar(Scalar::from_urange(0, 8));
  o.id = 5 | kIdAddConst;
  o.off = 1;
  Reg c = o;
  c.id = 9 | kIdAddConst;
  old_st.frames[0].regs[1] = o;
  cur_st.frames[0].regs[1] = c;
  EXPECT_TRUE(state_subsumes(old_st, cur_st));  // same distance, ids map 5 -> 9
  cur_st.frames[0].regs[1].off = 2;
  EXPECT_FALSE(state_subsumes(old_st, cur_st));
  cur_st.frames[0].regs[1].id = 9;  // linked without a distance
  cur_st.frames[0].regs[1].off = 0;
  EXPECT_FALSE(state_subsumes(old_st, cur_st));
  // An unlinked old scalar covers a linked one: the link only adds facts.
  old_st.frames[0].regs[1].id = 0;
  cur_st.frames[0].regs[1] = c;
  EXPECT_TRUE(state_subsumes(old_st, cur_st));
  EXPECT_EQ(reg_str(c),
            "scalar(id=9+1,smin=smin32=0,smax=umax=smax32=umax32=8,var_off=(0x0; 0xf))");
}

// w2 = a 32-bit value (a u32 load of the spilled r0), w3 = w2, then a bound on w2 only.
std::string subreg_prog(const char* make_r2) {
  return std::string(kLookup) + "call 5\n*(u64 *)(r10 -16) = r0\n" + make_r2 +
         "w3 = w2\n"
         "if w2 > 9 goto out\n"
         "r6 += r3\n"
         "r0 = *(u8 *)(r6 +0)\n" +
         kOut;
}

TEST(LinkedScalars, SubregMoveKeepsTheLinkWhenTheUpperHalfIsZero) {
  Report r = verify_text(subreg_prog("r2 = *(u32 *)(r10 -16)\n"), {array_map(10)});
  EXPECT_TRUE(r.accepted) << r.error;
  // A 64-bit unknown: w3 = w2 truncates, so w3 is a new value the bound says nothing about.
  r = verify_text(subreg_prog("r2 = *(u64 *)(r10 -16)\n"), {array_map(10)});
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.error.find("R6 unbounded memory access"), std::string::npos) << r.error;
}

// i = 0; bpf_loop(nr_loops, cb, &i, 0) with cb doing i++; then value[i] of a 2-byte value.
std::string loop_prog(int nr_loops) {
  return std::string(kLookup) +
         "*(u64 *)(r10 -16) = 0\n"
         "r1 = " +
         std::to_string(nr_loops) +
         "\n"
         "r2 = subprog[cb]\n"
         "r3 = r10\n"
         "r3 += -16\n"
         "r4 = 0\n"
         "call 181\n"
         "r1 = *(u64 *)(r10 -16)\n"
         "r6 += r1\n"
         "r0 = *(u8 *)(r6 +0)\n" +
         kOut +
         "cb:\n"
         "r3 = *(u64 *)(r2 +0)\n"
         "r3 += 1\n"
         "*(u64 *)(r2 +0) = r3\n"
         "r0 = 0\n"
         "exit\n";
}

TEST(LinkedScalars, BpfLoopStopsAfterNrLoopsRounds) {
  Report r = verify_text(loop_prog(1), {array_map(2)});
  EXPECT_TRUE(r.accepted) << r.error;  // i is 0 or 1
  r = verify_text(loop_prog(2), {array_map(2)});
  EXPECT_FALSE(r.accepted);  // i reaches 2
  EXPECT_EQ(r.error, "invalid access to map value, value_size=2 off=2 size=1");
}

// r9 = ctx; bpf_get_stack(ctx, value, 24, 0) returns [-4095, 24], sign-extended with <<32 s>>32
// (as clang does), then indexes the 48-byte value.
std::string get_stack_prog(int load_off) {
  return "r9 = r1\n" + std::string(kLookup) +
         "r1 = r9\n"
         "r2 = r6\n"
         "r3 = 24\n"
         "r4 = 0\n"
         "call 67\n"
         "r0 <<= 32\n"
         "r0 s>>= 32\n"
         "if r0 s< 0 goto out\n"
         "r6 += r0\n"
         "r0 = *(u8 *)(r6 +" +
         std::to_string(load_off) + ")\n" + kOut;
}

TEST(LinkedScalars, GetStackReturnsAtMostItsSize) {
  Report r = verify_text(get_stack_prog(23), {array_map(48)}, platform::ProgType::kTracepoint);
  EXPECT_TRUE(r.accepted) << r.error;
  r = verify_text(get_stack_prog(24), {array_map(48)}, platform::ProgType::kTracepoint);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, "invalid access to map value, value_size=48 off=48 size=1");
}

// A subprogram takes the lock on the value in r1 and returns holding it.
std::string lock_prog(const char* after_call) {
  return std::string(kLookup) + "r1 = r6\ncall lock\n" + after_call + kOut +
         "lock:\n"
         "call 93\n"
         "r0 = 0\n"
         "exit\n";
}

TEST(LinkedScalars, SubprogramMayReturnHoldingTheLock) {
  MapInfo m = array_map(8);
  m.spin_lock_off = 0;
  Report r = verify_text(lock_prog("r1 = r6\ncall 94\n"), {m}, platform::ProgType::kSchedCls);
  EXPECT_TRUE(r.accepted) << r.error;
  r = verify_text(lock_prog(""), {m}, platform::ProgType::kSchedCls);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error,
            "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region");
}

}  // namespace
}  // namespace bombus::verifier
