// Helper inlining benchmark: a loop of 16 bpf_map_lookup_elem calls on a plain array map (the
// map pointer a constant, as after relocation) summing the values, on the interpreter, the JIT
// calling the helper, and the JIT with the lookup inlined (JitOptions::inline_helpers, maps).
#include "bench_inline.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "jit/jit.h"
#include "vm/helpers/helpers.h"
#include "vm/interp.h"
#include "vm/maps/map.h"

namespace bombus::bench {
namespace {

isa::Insn ins(uint8_t op, int dst, int src, int off, int32_t imm) {
  isa::Insn i;
  i.opcode = op;
  i.dst = static_cast<uint8_t>(dst);
  i.src = static_cast<uint8_t>(src);
  i.off = static_cast<int16_t>(off);
  i.imm = imm;
  return i;
}

std::vector<isa::Insn> lookup_loop(const vm::Map* map) {
  const auto m = reinterpret_cast<uint64_t>(map);
  return {
      ins(0xb7, 6, 0, 0, 0),                        // r6 = 0 (sum)
      ins(0xb7, 7, 0, 0, 0),                        // r7 = 0 (key)
      ins(0x63, 10, 7, -4, 0),                      // loop: *(u32 *)(r10 - 4) = r7
      ins(0x18, 1, 0, 0, static_cast<int32_t>(m)),  // r1 = map
      ins(0x00, 0, 0, 0, static_cast<int32_t>(m >> 32)),
      ins(0xbf, 2, 10, 0, 0),    // r2 = r10
      ins(0x07, 2, 0, 0, -4),    // r2 += -4
      ins(0x85, 0, 0, 0, 1),     // call bpf_map_lookup_elem
      ins(0x15, 0, 0, 2, 0),     // if r0 == 0 goto skip
      ins(0x79, 1, 0, 0, 0),     // r1 = *(u64 *)(r0 + 0)
      ins(0x0f, 6, 1, 0, 0),     // r6 += r1
      ins(0x07, 7, 0, 0, 1),     // skip: r7 += 1
      ins(0xa5, 7, 0, -11, 16),  // if r7 < 16 goto loop
      ins(0xbf, 0, 6, 0, 0),     // r0 = r6
      ins(0x95, 0, 0, 0, 0),
  };
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().format().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

struct InlineBench {
  std::unique_ptr<vm::Map> map;
  std::vector<isa::Insn> prog;
  std::unique_ptr<vm::Interpreter> interp;
  std::unique_ptr<jit::JitProgram> called, inlined;
  vm::Map* maps[1] = {};
};

}  // namespace

void register_inline_benchmarks() {
  static InlineBench b;
  vm::MapSpec spec;
  spec.type = platform::MapType::kArray;
  spec.key_size = 4;
  spec.value_size = 8;
  spec.max_entries = 64;
  spec.name = "bench_array";
  b.map = must(vm::Map::create(spec), "array map");
  for (uint32_t k = 0; k < 64; ++k) {
    const uint64_t v = k * 3 + 1;
    b.map->update(&k, &v, 0);
  }
  b.maps[0] = b.map.get();
  b.prog = lookup_loop(b.map.get());
  vm::InterpOptions io;
  io.helpers = vm::helper_table();
  b.interp = std::make_unique<vm::Interpreter>(must(vm::Interpreter::create(b.prog, io), "interp"));
  jit::JitOptions o;
  o.helpers = vm::helper_table();
  o.maps = b.maps;
  o.inline_helpers = false;
  b.called = must(jit::compile(b.prog, o), "jit");
  o.inline_helpers = true;
  b.inlined = must(jit::compile(b.prog, o), "jit inline");
  const uint64_t want = must(b.interp->run(nullptr, 0), "interp run");
  if (b.called->call(nullptr, 0) != want || b.inlined->call(nullptr, 0) != want) {
    std::fprintf(stderr, "array16: engines disagree\n");
    std::exit(1);
  }
  benchmark::RegisterBenchmark("jit/array16_lookups/interp", [](benchmark::State& s) {
    for (auto _ : s) benchmark::DoNotOptimize(b.interp->run(nullptr, 0));
  })->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("jit/array16_lookups/jit_call", [](benchmark::State& s) {
    for (auto _ : s) benchmark::DoNotOptimize(b.called->call(nullptr, 0));
  })->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("jit/array16_lookups/jit_inline", [](benchmark::State& s) {
    for (auto _ : s) benchmark::DoNotOptimize(b.inlined->call(nullptr, 0));
  })->Unit(benchmark::kNanosecond);
}

}  // namespace bombus::bench
