// JIT behaviour beyond ALU: loads/stores, atomics, jumps, helper calls and RunState::stop,
// callx, bpf-to-bpf calls (frames, preserved registers, depth limit), faults, structural
// errors, W^X code memory and the instruction -> code offset map.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "insn_builder.h"
#include "jit/jit.h"

namespace bombus::jit {
namespace {

using test::I;
using test::mov64;
using test::mov64r;

struct CallLog {
  std::vector<std::array<uint64_t, 5>> calls;
};
thread_local CallLog* t_log = nullptr;

uint64_t h_record(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  if (t_log) t_log->calls.push_back({a, b, c, d, e});
  return a + b + c + d + e;
}
uint64_t h_stop_if_zero(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t) {
  if (a == 0) {
    vm::current_run_state()->stop = true;
    vm::current_run_state()->stop_value = 777;
  }
  return a;
}
uint64_t h_ctx(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  return reinterpret_cast<uint64_t>(vm::current_run_state()->ctx);
}

std::vector<vm::HelperFn> helpers() {
  std::vector<vm::HelperFn> h(16, nullptr);
  h[1] = h_record;
  h[5] = h_stop_if_zero;
  h[7] = h_ctx;
  return h;
}

std::unique_ptr<JitProgram> must(std::vector<isa::Insn> p, bool blind = false) {
  static const std::vector<vm::HelperFn> hs = helpers();
  JitOptions o;
  o.helpers = hs;
  o.blind_constants = blind;
  auto r = compile(p, o);
  EXPECT_TRUE(r.ok()) << r.error().format();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

TEST(JitExec, ReturnsConstant) {
  auto p = must({mov64(0, 42), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 42u);
}

TEST(JitExec, LoadsAndStoresAllSizes) {
  uint8_t buf[40];
  for (int i = 0; i < 40; ++i) buf[i] = static_cast<uint8_t>(0x80 + i);
  // r0 = ldxb[1] + ldxh[2] + ldxw[4] + ldxdw[8] + ldxsb[1] + ldxsh[2] + ldxsw[4]; plus stores.
  auto p = must({
      I(0x71, 2, 1, 1),
      I(0x69, 3, 1, 2),
      I(0x61, 4, 1, 4),
      I(0x79, 5, 1, 8),
      mov64r(0, 2),
      I(0x0f, 0, 3),
      I(0x0f, 0, 4),
      I(0x0f, 0, 5),
      I(0x91, 2, 1, 1),
      I(0x89, 3, 1, 2),
      I(0x81, 4, 1, 4),
      I(0x0f, 0, 2),
      I(0x0f, 0, 3),
      I(0x0f, 0, 4),
      I(0x72, 1, 0, 16, 0x1ff),
      I(0x6a, 1, 0, 18, 0x1fffe),
      I(0x62, 1, 0, 20, -2),
      I(0x7a, 1, 0, 24, -3),  // stdw: imm sign-extended
      I(0x73, 1, 0, 17, 0),
      I(0x6b, 1, 5, 32),  // stxb r0; stxh r5
      test::exit_insn(),
  });
  ASSERT_TRUE(p);
  uint8_t ref[40];
  std::memcpy(ref, buf, 40);
  auto ld = [&](int off, int n) {
    uint64_t v = 0;
    std::memcpy(&v, ref + off, n);
    return v;
  };
  uint64_t want = ld(1, 1) + ld(2, 2) + ld(4, 4) + ld(8, 8);
  want += uint64_t(int64_t(int8_t(ld(1, 1)))) + uint64_t(int64_t(int16_t(ld(2, 2)))) +
          uint64_t(int64_t(int32_t(ld(4, 4))));
  const uint64_t r5 = ld(8, 8);
  EXPECT_EQ(p->call(buf), want);
  EXPECT_EQ(buf[16], 0xff);
  EXPECT_EQ(buf[17], uint8_t(want));
  uint16_t h;
  std::memcpy(&h, buf + 18, 2);
  EXPECT_EQ(h, 0xfffe);
  std::memcpy(&h, buf + 32, 2);
  EXPECT_EQ(h, uint16_t(r5));
  int32_t w;
  std::memcpy(&w, buf + 20, 4);
  EXPECT_EQ(w, -2);
  int64_t dw;
  std::memcpy(&dw, buf + 24, 8);
  EXPECT_EQ(dw, -3);
}

TEST(JitExec, StackIsUsableThroughR10) {
  auto p = must({mov64(1, 5), I(0x7b, 10, 1, -8), I(0x7a, 10, 0, -512, 9), I(0x79, 0, 10, -8),
                 I(0x79, 2, 10, -512), I(0x0f, 0, 2), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 14u);
}

struct AtomicCase {
  int32_t imm;
  bool is64;
};

uint64_t ref_atomic(int32_t imm, bool is64, uint64_t& mem, uint64_t& src, uint64_t& r0) {
  const uint64_t mask = is64 ? ~uint64_t{0} : 0xffffffffu;
  const uint64_t old = mem & mask;
  const uint64_t s = src & mask;
  uint64_t nv = old;
  switch (imm & ~isa::kAtomicFetch) {
    case isa::kAtomicAdd:
      nv = old + s;
      break;
    case isa::kAtomicOr:
      nv = old | s;
      break;
    case isa::kAtomicAnd:
      nv = old & s;
      break;
    case isa::kAtomicXor:
      nv = old ^ s;
      break;
    default:
      break;
  }
  if (imm == isa::kAtomicXchg) nv = s;
  if (imm == isa::kAtomicCmpxchg) {
    nv = (r0 & mask) == old ? s : old;
    r0 = old;
  } else if (imm & isa::kAtomicFetch) {
    src = old;
  }
  mem = (mem & ~mask) | (nv & mask);
  return old;
}

TEST(JitExec, AtomicsMatchReference) {
  const int32_t ops[] = {isa::kAtomicAdd,
                         isa::kAtomicOr,
                         isa::kAtomicAnd,
                         isa::kAtomicXor,
                         isa::kAtomicAdd | isa::kAtomicFetch,
                         isa::kAtomicOr | isa::kAtomicFetch,
                         isa::kAtomicAnd | isa::kAtomicFetch,
                         isa::kAtomicXor | isa::kAtomicFetch,
                         isa::kAtomicXchg,
                         isa::kAtomicCmpxchg};
  const uint64_t mems[] = {0x1122334455667788, 0xffffffff00000001};
  const uint64_t srcs[] = {0xf0f0f0f0f0f0f0f0, 0x1122334455667788, 0xffffffff00000001};
  for (int32_t imm : ops) {
    for (bool is64 : {false, true}) {
      // (base reg, src reg) incl. r0 as source and as base.
      for (auto [br, sr] : {std::pair{1, 2}, std::pair{1, 0}, std::pair{0, 3}, std::pair{6, 7}}) {
        for (uint64_t m0 : mems) {
          for (uint64_t s0 : srcs) {
            for (uint64_t r0v : {m0, s0}) {
              if (br == 0) continue;  // r0 as base is set below instead
              uint64_t mem[2] = {0, m0};
              std::vector<isa::Insn> p;
              p.push_back(mov64r(br, 1));
              test::lddw(p, sr, s0);
              if (sr != 0) test::lddw(p, 0, r0v);
              p.push_back(I(is64 ? 0xdb : 0xc3, br, sr, 8, imm));
              // return r0 ^ (src rotated) so both registers are observed
              p.push_back(I(0xbf, 9, sr));
              p.push_back(I(0x7b, 1, 0, 0));  // mem[0] = r0
              p.push_back(mov64r(0, 9));
              p.push_back(test::exit_insn());
              auto prog = must(p);
              ASSERT_TRUE(prog);
              const uint64_t got_src = prog->call(mem);
              uint64_t rm = m0, rs = s0, rr0 = sr == 0 ? s0 : r0v;
              if (sr == 0) {
                // src and r0 are the same register
                uint64_t tmp_src = rs;
                ref_atomic(imm, is64, rm, tmp_src, rr0);
                if (imm == isa::kAtomicCmpxchg) {
                  rs = rr0;
                } else {
                  rs = tmp_src;
                  rr0 = tmp_src;
                }
              } else {
                ref_atomic(imm, is64, rm, rs, rr0);
              }
              EXPECT_EQ(mem[1], rm) << "imm " << imm << " is64 " << is64 << " sr " << sr;
              EXPECT_EQ(got_src, rs) << "imm " << imm << " is64 " << is64 << " sr " << sr;
              EXPECT_EQ(mem[0], rr0) << "imm " << imm << " is64 " << is64 << " sr " << sr;
            }
          }
        }
      }
    }
  }
}

TEST(JitExec, AtomicAddIsAtomicAcrossThreads) {
  auto p = must({mov64(2, 1), I(0xdb, 1, 2, 0, isa::kAtomicAdd), mov64(0, 0), test::exit_insn()});
  ASSERT_TRUE(p);
  uint64_t counter = 0;
  auto work = [&] {
    for (int i = 0; i < 100000; ++i) p->call(&counter);
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  EXPECT_EQ(counter, 200000u);
}

TEST(JitExec, LoopSumsAndAllConditions) {
  // r0 = sum 1..100 via a backward jump.
  auto p = must({mov64(0, 0), mov64(1, 1), I(0x0f, 0, 1), I(0x07, 1, 0, 0, 1),
                 I(0xb5, 1, 0, -3, 100), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 5050u);
}

TEST(JitExec, ConditionalJumpsMatchReference) {
  const uint8_t ops[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
  const uint64_t vals[] = {0,           1,
                           0x7fffffff,  0x80000000,
                           0xffffffff,  0xffffffffffffffff,
                           0x100000000, 0x8000000000000000};
  auto ref = [](uint8_t op, bool is64, uint64_t a, uint64_t b) {
    if (!is64) {
      a = uint32_t(a);
      b = uint32_t(b);
    }
    const int64_t sa = is64 ? int64_t(a) : int64_t(int32_t(a));
    const int64_t sb = is64 ? int64_t(b) : int64_t(int32_t(b));
    switch (op) {
      case 0x10:
        return a == b;
      case 0x20:
        return a > b;
      case 0x30:
        return a >= b;
      case 0x40:
        return (a & b) != 0;
      case 0x50:
        return a != b;
      case 0x60:
        return sa > sb;
      case 0x70:
        return sa >= sb;
      case 0xa0:
        return a < b;
      case 0xb0:
        return a <= b;
      case 0xc0:
        return sa < sb;
      default:
        return sa <= sb;
    }
  };
  for (uint8_t op : ops) {
    for (uint8_t cls : {isa::kClassJmp, isa::kClassJmp32}) {
      for (uint64_t a : vals) {
        for (uint64_t b : vals) {
          std::vector<isa::Insn> p;
          test::lddw(p, 3, a);
          test::lddw(p, 4, b);
          p.push_back(I(cls | op | isa::kSrcX, 3, 4, 2));
          p.push_back(mov64(0, 0));
          p.push_back(test::exit_insn());
          p.push_back(mov64(0, 1));
          p.push_back(test::exit_insn());
          auto prog = must(p);
          ASSERT_TRUE(prog);
          EXPECT_EQ(prog->call(nullptr), ref(op, cls == isa::kClassJmp, a, b) ? 1u : 0u)
              << int(op) << " " << int(cls) << " " << a << " " << b;
          // immediate form with the low 32 bits of b as imm
          p[4] = I(cls | op, 3, 0, 2, int32_t(b));
          auto prog_k = must(p, /*blind=*/(a & 1) != 0);
          ASSERT_TRUE(prog_k);
          const uint64_t bk = cls == isa::kClassJmp ? uint64_t(int64_t(int32_t(b))) : b;
          EXPECT_EQ(prog_k->call(nullptr), ref(op, cls == isa::kClassJmp, a, bk) ? 1u : 0u)
              << "K " << int(op) << " " << int(cls) << " " << a << " " << b;
        }
      }
    }
  }
}

TEST(JitExec, GotolJumpsByImm) {
  auto p = must({I(0x06, 0, 0, 0, 1), test::exit_insn(), mov64(0, 3), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 3u);
}

TEST(JitExec, HelperGetsArgumentsAndKeepsCalleeSavedRegs) {
  CallLog log;
  t_log = &log;
  auto p = must({mov64(6, 60), mov64(7, 70), mov64(8, 80), mov64(9, 90), mov64(1, 1), mov64(2, 2),
                 mov64(3, 3), mov64(4, 4), mov64(5, 5), I(0x85, 0, 0, 0, 1), I(0x0f, 0, 6),
                 I(0x0f, 0, 7), I(0x0f, 0, 8), I(0x0f, 0, 9), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 15u + 300u);
  t_log = nullptr;
  ASSERT_EQ(log.calls.size(), 1u);
  EXPECT_EQ(log.calls[0], (std::array<uint64_t, 5>{1, 2, 3, 4, 5}));
}

TEST(JitExec, HelperSeesRunStateContext) {
  int ctx = 0;
  auto p = must({I(0x85, 0, 0, 0, 7), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(&ctx), reinterpret_cast<uint64_t>(&ctx));
}

TEST(JitExec, StopFromHelperEndsRunWithStopValue) {
  // helper 5 stops when its argument is 0; the mov after it must not run.
  auto p = must({mov64(1, 0), I(0x85, 0, 0, 0, 5), mov64(0, 1), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 777u);
  auto q = must({mov64(1, 4), I(0x85, 0, 0, 0, 5), mov64(0, 1), test::exit_insn()});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->call(nullptr), 1u);
}

TEST(JitExec, StopFromInsideSubprogramUnwindsAllFrames) {
  auto p = must({I(0x85, 0, 1, 0, 2), mov64(0, 1), test::exit_insn(),
                 // sub: calls sub2
                 I(0x85, 0, 1, 0, 1), test::exit_insn(),
                 // sub2: stop
                 mov64(1, 0), I(0x85, 0, 0, 0, 5), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 777u);
  EXPECT_EQ(p->call(nullptr), 777u);  // and the frame is intact for a second run
}

TEST(JitExec, CallxCallsHelperById) {
  auto p = must({mov64(1, 2), mov64(2, 5), I(0x8d, 2), I(0x07, 0, 0, 0, 10), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 12u);
  auto bad = must({mov64(2, 9), I(0x8d, 2), test::exit_insn()});
  ASSERT_TRUE(bad);
  auto r = bad->run(nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().where.insn, 1);
}

TEST(JitExec, BpfToBpfCallsHaveOwnFramesAndPreserveR6toR9) {
  // main: r6=1, store 11 at fp-8; call f(r1=5); r0 += r6 + [fp-8]
  // f: r6 = 100 (callee's own), store 99 at its fp-8, r0 = r1*2 + r6
  auto p =
      must({mov64(6, 1), I(0x7a, 10, 0, -8, 11), mov64(1, 5), I(0x85, 0, 1, 0, 4), I(0x0f, 0, 6),
            I(0x79, 2, 10, -8), I(0x0f, 0, 2), test::exit_insn(), mov64(6, 100),
            I(0x7a, 10, 0, -8, 99), mov64r(0, 1), I(0x0f, 0, 0), I(0x0f, 0, 6), test::exit_insn()});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->call(nullptr), 10u + 100u + 1u + 11u);
  EXPECT_EQ(p->functions().size(), 2u);
}

TEST(JitExec, CallDepthBeyondEightFramesFaults) {
  // f calls itself while r1 > 0: depth = 1 + r1 frames.
  auto make = [](int32_t n) {
    return must({mov64(1, n), I(0x85, 0, 1, 0, 1), test::exit_insn(), I(0x15, 1, 0, 2, 0),
                 I(0x17, 1, 0, 0, 1), I(0x85, 0, 1, 0, -3), mov64(0, 9), test::exit_insn()});
  };
  auto ok = make(6);  // 1 + 7 frames = 8
  ASSERT_TRUE(ok);
  auto r = ok->run(nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 9u);
  auto deep = make(7);
  ASSERT_TRUE(deep);
  auto r2 = deep->run(nullptr);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("8 frames"), std::string::npos);
}

TEST(JitExec, FallingOffTheEndFaults) {
  auto p = must({mov64(0, 1)});
  ASSERT_TRUE(p);
  auto r = p->run(nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().where.insn, 0);
}

TEST(JitCompile, RejectsBadStructureWithInstructionIndex) {
  std::vector<vm::HelperFn> hs(2, nullptr);
  JitOptions o;
  o.helpers = hs;
  struct Bad {
    std::vector<isa::Insn> prog;
    int insn;
    const char* text;
  } cases[] = {
      {{mov64(0, 0), I(0xff), test::exit_insn()}, 1, "invalid opcode"},
      {{mov64(0, 0), I(0x05, 0, 0, 5), test::exit_insn()}, 1, "out of range"},
      {{I(0x85, 0, 0, 0, 1), test::exit_insn()}, 0, "unknown helper"},
      {{mov64(10, 0), test::exit_insn()}, 0, "read-only"},
      {{mov64(0, 0), I(0x18, 1, 0, 0, 1)}, 1, "second half"},
      {{I(0x18, 1, 1, 0, 1), I(0), test::exit_insn()}, 0, "pseudo"},
      {{I(0x05, 0, 0, 1), I(0x18, 1, 0, 0, 1), I(0), test::exit_insn()}, 0, "inside an lddw"},
      {{I(0xb7, 11), test::exit_insn()}, 0, "register"},
      {{}, 0, "empty"},
  };
  for (const Bad& b : cases) {
    auto r = compile(b.prog, o);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.error().where.insn, b.insn) << b.text;
    EXPECT_NE(r.error().message.find(b.text), std::string::npos) << r.error().message;
  }
}

TEST(JitCompile, CodeIsNeverWritableAndExecutable) {
  auto p = must({mov64(0, 1), test::exit_insn()});
  ASSERT_TRUE(p);
  const auto addr = reinterpret_cast<uintptr_t>(p->code().data());
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool found = false;
  while (std::getline(maps, line)) {
    uintptr_t lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
    if (addr >= lo && addr < hi) {
      found = true;
      EXPECT_STREQ(perms, "r-xp");
    }
    if (perms[1] == 'w' && perms[2] == 'x') ADD_FAILURE() << "W+X mapping: " << line;
  }
  EXPECT_TRUE(found);
}

TEST(JitCompile, OffsetsAreMonotonicAndCoverTheCode) {
  std::vector<isa::Insn> prog = {mov64(0, 1)};
  test::lddw(prog, 2, 0x1234567890);
  prog.push_back(I(0x0f, 0, 2));
  prog.push_back(test::exit_insn());
  auto p = must(prog);
  ASSERT_TRUE(p);
  auto off = p->insn_offsets();
  ASSERT_EQ(off.size(), prog.size() + 1);
  for (size_t i = 1; i < off.size(); ++i) EXPECT_LE(off[i - 1], off[i]);
  EXPECT_EQ(off[2], off[3]);  // lddw's second half has no code of its own
  EXPECT_LE(off.back(), p->code().size());
}

TEST(JitCompile, BlindingHidesImmediates) {
  const int32_t magic = 0x5a17c0de;
  auto plain = must({mov64(0, magic), I(0x07, 0, 0, 0, magic), test::exit_insn()}, false);
  auto blind = must({mov64(0, magic), I(0x07, 0, 0, 0, magic), test::exit_insn()}, true);
  ASSERT_TRUE(plain && blind);
  auto contains = [&](std::span<const uint8_t> code) {
    uint8_t pat[4];
    std::memcpy(pat, &magic, 4);
    for (size_t i = 0; i + 4 <= code.size(); ++i)
      if (std::memcmp(code.data() + i, pat, 4) == 0) return true;
    return false;
  };
  EXPECT_TRUE(contains(plain->code()));
  EXPECT_FALSE(contains(blind->code()));
  EXPECT_EQ(plain->call(nullptr), blind->call(nullptr));
}

}  // namespace
}  // namespace bombus::jit

namespace bombus::jit {
namespace {

std::vector<const void*> g_targets;
const void* tail_target(uint64_t map, uint64_t index) {
  if (map != 0xabc) return nullptr;
  return index < g_targets.size() ? g_targets[index] : nullptr;
}

std::unique_ptr<JitProgram> must_tail(std::vector<isa::Insn> p) {
  static const std::vector<vm::HelperFn> hs(16, nullptr);
  JitOptions o;
  o.helpers = hs;
  o.hooks.tail_call_target = tail_target;
  auto r = compile(p, o);
  EXPECT_TRUE(r.ok()) << r.error().format();
  return r.ok() ? std::move(r).value() : nullptr;
}

// *(u64*)ctx += 1; tail call slot r3 (map 0xabc); on fall-through return *(u64*)ctx + 1000.
std::vector<isa::Insn> counting_prog(int32_t slot) {
  std::vector<isa::Insn> p = {I(0x79, 2, 1, 0), I(0x07, 2, 0, 0, 1), I(0x7b, 1, 2, 0)};
  test::lddw(p, 2, 0xabc);
  p.push_back(mov64(3, slot));
  p.push_back(I(0x85, 0, 0, 0, 12));
  p.push_back(I(0x79, 0, 1, 0));
  p.push_back(I(0x07, 0, 0, 0, 1000));
  p.push_back(test::exit_insn());
  return p;
}

TEST(JitTailCall, SelfLoopStopsAfter33TailCalls) {
  auto p = must_tail(counting_prog(0));
  ASSERT_TRUE(p);
  g_targets = {p.get()};
  uint64_t counter = 0;
  auto r = p->run(&counter);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(counter, 34u);  // the first run plus 33 tail calls
  EXPECT_EQ(*r, 1034u);
  g_targets.clear();
}

TEST(JitTailCall, MissingEntryFallsThroughAndChainSwitchesPrograms) {
  auto last = must_tail({mov64(0, 77), test::exit_insn()});
  auto first = must_tail(counting_prog(1));
  ASSERT_TRUE(last && first);
  uint64_t counter = 0;
  g_targets = {first.get()};  // slot 1 empty: falls through
  EXPECT_EQ(*first->run(&counter), 1001u);
  g_targets = {first.get(), last.get()};
  EXPECT_EQ(*first->run(&counter), 77u);
  g_targets.clear();
}

TEST(JitTailCall, FromSubprogramReplacesThatFrameOnly) {
  // main: call f; r0 += 5; exit.  f: tail call slot 0 -> target returns 40 to main.
  auto target = must_tail({mov64(0, 40), test::exit_insn()});
  std::vector<isa::Insn> p = {I(0x85, 0, 1, 0, 2), I(0x07, 0, 0, 0, 5), test::exit_insn()};
  test::lddw(p, 2, 0xabc);
  p.push_back(mov64(3, 0));
  p.push_back(I(0x85, 0, 0, 0, 12));
  p.push_back(test::exit_insn());
  auto main_prog = must_tail(p);
  ASSERT_TRUE(target && main_prog);
  g_targets = {target.get()};
  auto r = main_prog->run(nullptr);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(*r, 45u);
  g_targets.clear();
}

TEST(JitTailCall, ForeignTargetFaults) {
  static const uint32_t not_a_jit_program[4] = {0, 0, 0, 0};
  auto p = must_tail(counting_prog(0));
  ASSERT_TRUE(p);
  g_targets = {not_a_jit_program};
  uint64_t counter = 0;
  auto r = p->run(&counter);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("tail call target"), std::string::npos);
  g_targets.clear();
}

}  // namespace
}  // namespace bombus::jit
