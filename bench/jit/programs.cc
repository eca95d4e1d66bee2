// Benchmark program texts and inputs (see programs.h).
#include "programs.h"

#include <cstdio>
#include <cstdlib>
#include <random>

#include "isa/asm.h"

namespace bombus::bench {

namespace {

std::string ctx_loads(bool kernel) {
  return kernel ? "r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\n"
                : "r2 = *(u64 *)(r1 +0)\nr3 = *(u64 *)(r1 +8)\n";
}

std::vector<isa::Insn> assemble_or_die(const char* name, const std::string& text) {
  auto p = isa::assemble(text);
  if (!p.ok()) {
    std::fprintf(stderr, "bench program %s: %s\n", name, p.error().format().c_str());
    std::exit(1);
  }
  return std::move(p).value();
}

// 64-byte Ethernet/IPv4/UDP packet to port 1234 (passes the parser).
std::vector<uint8_t> udp_packet() {
  std::vector<uint8_t> p(64, 0);
  p[12] = 0x08;  // ETH_P_IP
  p[13] = 0x00;
  p[14] = 0x45;  // v4, IHL 5
  p[23] = 17;    // UDP
  p[36] = 0x04;  // dst port 1234
  p[37] = 0xd2;
  return p;
}

const char* kParser = R"(
r0 = 2
r4 = r2
r4 += 14
if r4 > r3 goto out
r5 = *(u16 *)(r2 +12)
if r5 != 0x8 goto out
r4 = r2
r4 += 34
if r4 > r3 goto out
r5 = *(u8 *)(r2 +14)
r5 &= 0xf
if r5 != 5 goto out
r5 = *(u8 *)(r2 +23)
if r5 == 1 goto drop
if r5 == 6 goto l4
if r5 != 17 goto out
l4:
r4 = r2
r4 += 38
if r4 > r3 goto out
r5 = *(u16 *)(r2 +36)
if r5 == 0x3500 goto drop
r0 = 2
goto out
drop:
r0 = 1
out:
exit
)";

// 1000 iterations; the seed comes from the packet so nothing folds to a constant.
const char* kLoop = R"(
r0 = 0
r4 = r2
r4 += 1
if r4 > r3 goto out
r0 = *(u8 *)(r2 +0)
r1 = 0
loop:
r4 = r1
r4 *= 7
r0 += r4
r0 ^= 0x5a
r1 += 1
if r1 < 1000 goto loop
r0 &= 3
out:
exit
)";

// RFC 1071 checksum over 1500 bytes, 16 bits at a time.
const char* kChecksum = R"(
r0 = 0
r4 = r2
r4 += 1500
if r4 > r3 goto out
r5 = 0
loop:
r4 = r2
r4 += r5
r1 = *(u16 *)(r4 +0)
r0 += r1
r5 += 2
if r5 < 1500 goto loop
r1 = r0
r1 >>= 16
r0 &= 0xffff
r0 += r1
r1 = r0
r1 >>= 16
r0 += r1
r0 ^= 0xffff
r0 &= 0xffff
out:
exit
)";

// 16 hash-map lookups keyed by packet bytes; sums the values found.
const char* kMapHeavy = R"(
r0 = 0
r4 = r2
r4 += 16
if r4 > r3 goto out
r6 = r2
r7 = 0
r8 = 0
loop:
r4 = r6
r4 += r8
r1 = *(u8 *)(r4 +0)
*(u32 *)(r10 -4) = r1
r1 = 0xb0b0b0b0b0b0b0b ll
r2 = r10
r2 += -4
call 1
if r0 == 0 goto next
r1 = *(u64 *)(r0 +0)
r7 += r1
next:
r8 += 1
if r8 < 16 goto loop
r0 = r7
r0 &= 0xffff
out:
exit
)";

// main -> f1 -> f2 -> f3 -> f4: five frames, each adds to the result.
const char* kCallChain = R"(
r1 = 1
call f1
r0 &= 3
exit
f1:
r1 += 1
call f2
r0 += 1
exit
f2:
r1 += 1
call f3
r0 += 1
exit
f3:
r1 += 1
call f4
r0 += 1
exit
f4:
r0 = r1
exit
)";

isa::Insn raw(uint8_t op, int dst, int src, int16_t off, int32_t imm) {
  isa::Insn in;
  in.opcode = op;
  in.dst = static_cast<uint8_t>(dst);
  in.src = static_cast<uint8_t>(src);
  in.off = off;
  in.imm = imm;
  return in;
}

// Program k of the tail-call chain: tail-calls k+1 (r1 = ctx is kept), the last returns 2.
std::vector<isa::Insn> tail_prog(int k) {
  if (k == kTailChainLength - 1) return {raw(0xb7, 0, 0, 0, 2), raw(0x95, 0, 0, 0, 0)};
  return {
      raw(0x18, 2, 0, 0, static_cast<int32_t>(kMapPlaceholder)),
      raw(0x00, 0, 0, 0, static_cast<int32_t>(kMapPlaceholder >> 32)),
      raw(0xb7, 3, 0, 0, k + 1),
      raw(0x85, 0, 0, 0, 12),
      raw(0xb7, 0, 0, 0, 0),
      raw(0x95, 0, 0, 0, 0),
  };
}

}  // namespace

std::vector<BenchProgram> bench_programs(bool kernel) {
  std::vector<BenchProgram> v;
  const std::string ctx = ctx_loads(kernel);
  v.push_back({ProgId::kXdpPass,
               "xdp_pass",
               {assemble_or_die("xdp_pass", "r0 = 2\nexit\n")},
               udp_packet(),
               false});
  v.push_back(
      {ProgId::kParser, "parser", {assemble_or_die("parser", ctx + kParser)}, udp_packet(), false});
  v.push_back(
      {ProgId::kLoop, "loop1000", {assemble_or_die("loop1000", ctx + kLoop)}, udp_packet(), true});
  std::vector<uint8_t> big(1500);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 131 + 7);
  v.push_back({ProgId::kChecksum,
               "checksum1500",
               {assemble_or_die("checksum1500", ctx + kChecksum)},
               big,
               true});
  std::vector<uint8_t> keys = udp_packet();
  for (int i = 0; i < 16; ++i) keys[i] = static_cast<uint8_t>(i * 37 + 5);
  BenchProgram mh{
      ProgId::kMapHeavy, "map_heavy", {assemble_or_die("map_heavy", ctx + kMapHeavy)}, keys, true};
  mh.map = MapKind::kHash;
  v.push_back(std::move(mh));
  BenchProgram tail{ProgId::kTailChain, "tail_chain", {}, udp_packet(), false};
  for (int k = 0; k < kTailChainLength; ++k) tail.progs.push_back(tail_prog(k));
  tail.map = MapKind::kProgArray;
  v.push_back(std::move(tail));
  v.push_back({ProgId::kCallChain,
               "call_chain",
               {assemble_or_die("call_chain", kCallChain)},
               udp_packet(),
               true});
  return v;
}

std::vector<isa::Insn> compile_time_program(size_t n) {
  std::mt19937 rng(42);
  std::vector<isa::Insn> p;
  const uint8_t alu[] = {0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x47, 0x4f, 0x57,
                         0x5f, 0x67, 0x77, 0xa7, 0xaf, 0xb7, 0xbf, 0x04, 0x0c};
  while (p.size() + 2 < n) {
    const int kind = static_cast<int>(rng() % 8);
    if (kind == 0) {
      p.push_back(raw(0x7b, 10, static_cast<int>(rng() % 10), -8 * (1 + rng() % 8), 0));
    } else if (kind == 1) {
      p.push_back(raw(0x79, static_cast<int>(rng() % 10), 10, -8 * (1 + rng() % 8), 0));
    } else if (kind == 2) {
      p.push_back(raw(0x55, static_cast<int>(rng() % 10), 0, 1, static_cast<int32_t>(rng())));
    } else {
      p.push_back(raw(alu[rng() % std::size(alu)], static_cast<int>(rng() % 10),
                      static_cast<int>(rng() % 10), 0, static_cast<int32_t>(rng() % 64)));
    }
  }
  p.push_back(raw(0xb7, 0, 0, 0, 0));
  p.push_back(raw(0x95, 0, 0, 0, 0));
  return p;
}

}  // namespace bombus::bench
