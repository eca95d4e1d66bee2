// The benchmark programs' logic in plain C++, built with -O2 (see CMakeLists.txt): the "native"
// column. Each function reads the packet through the same context as the eBPF programs.
#include <cstring>

#include "programs.h"

namespace bombus::bench {

namespace {

template <typename T>
T load(uint64_t addr) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof v);
  return v;
}

__attribute__((noinline)) uint64_t xdp_pass(const BenchCtx*) {
  return 2;
}

__attribute__((noinline)) uint64_t parser(const BenchCtx* c) {
  const uint64_t d = c->data, end = c->data_end;
  if (d + 14 > end || load<uint16_t>(d + 12) != 0x8) return 2;
  if (d + 34 > end || (load<uint8_t>(d + 14) & 0xf) != 5) return 2;
  const uint8_t proto = load<uint8_t>(d + 23);
  if (proto == 1) return 1;
  if (proto != 6 && proto != 17) return 2;
  if (d + 38 > end) return 2;
  return load<uint16_t>(d + 36) == 0x3500 ? 1 : 2;
}

__attribute__((noinline)) uint64_t loop1000(const BenchCtx* c) {
  if (c->data + 1 > c->data_end) return 0;
  uint64_t r0 = load<uint8_t>(c->data);
  for (uint64_t i = 0; i < 1000; ++i) {
    r0 += i * 7;
    r0 ^= 0x5a;
  }
  return r0 & 3;
}

__attribute__((noinline)) uint64_t checksum1500(const BenchCtx* c) {
  if (c->data + 1500 > c->data_end) return 0;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < 1500; i += 2) sum += load<uint16_t>(c->data + i);
  sum = (sum & 0xffff) + (sum >> 16);
  sum += sum >> 16;
  return (sum ^ 0xffff) & 0xffff;
}

const void* (*g_lookup)(uint32_t) = nullptr;

__attribute__((noinline)) uint64_t map_heavy(const BenchCtx* c) {
  if (c->data + 16 > c->data_end) return 0;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < 16; ++i) {
    const void* v = g_lookup(load<uint8_t>(c->data + i));
    if (v != nullptr) sum += load<uint64_t>(reinterpret_cast<uint64_t>(v));
  }
  return sum & 0xffff;
}

// Tail calls as calls through a table, so nothing is inlined away.
uint64_t tail_step(const BenchCtx* c, int k);
using Step = uint64_t (*)(const BenchCtx*, int);
__attribute__((noinline)) uint64_t tail_step(const BenchCtx* c, int k) {
  static volatile Step next = &tail_step;
  if (k == kTailChainLength - 1) return 2;
  return next(c, k + 1);
}
__attribute__((noinline)) uint64_t tail_chain(const BenchCtx* c) {
  return tail_step(c, 0);
}

__attribute__((noinline)) uint64_t f4(uint64_t r1) {
  return r1;
}
__attribute__((noinline)) uint64_t f3(uint64_t r1) {
  return f4(r1 + 1) + 1;
}
__attribute__((noinline)) uint64_t f2(uint64_t r1) {
  return f3(r1 + 1) + 1;
}
__attribute__((noinline)) uint64_t f1(uint64_t r1) {
  return f2(r1 + 1) + 1;
}
__attribute__((noinline)) uint64_t call_chain(const BenchCtx*) {
  return f1(1) & 3;
}

}  // namespace

void set_native_map(const void* (*lookup)(uint32_t key)) {
  g_lookup = lookup;
}

NativeFn native_for(ProgId id) {
  switch (id) {
    case ProgId::kXdpPass:
      return xdp_pass;
    case ProgId::kParser:
      return parser;
    case ProgId::kLoop:
      return loop1000;
    case ProgId::kChecksum:
      return checksum1500;
    case ProgId::kMapHeavy:
      return map_heavy;
    case ProgId::kTailChain:
      return tail_chain;
    case ProgId::kCallChain:
      return call_chain;
  }
  return nullptr;
}

}  // namespace bombus::bench
