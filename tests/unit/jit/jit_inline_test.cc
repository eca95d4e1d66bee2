// Helper inlining in the JIT (JitOptions::inline_helpers): array-map lookups with a constant map
// and bpf_get_smp_processor_id give exactly the helper's results (compared with the
// interpreter and with the JIT calling the helper), for keys inside and outside the array,
// after updates, and with constant blinding; the inlined code no longer calls the helper.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "insn_builder.h"
#include "jit/jit.h"
#include "vm/helpers/helpers.h"
#include "vm/interp.h"
#include "vm/maps/map.h"

namespace bombus::jit {
namespace {

using test::I;

std::unique_ptr<vm::Map> make_array(uint32_t value_size, uint32_t max_entries) {
  vm::MapSpec s;
  s.type = platform::MapType::kArray;
  s.key_size = 4;
  s.value_size = value_size;
  s.max_entries = max_entries;
  s.name = "inline_test";
  auto m = vm::Map::create(s);
  EXPECT_TRUE(m.ok()) << m.error().format();
  return std::move(m).value();
}

// r0 = lookup(map, key) ? *(u64 *)r0 + key : 0xdead; key comes from the context's first word.
std::vector<isa::Insn> lookup_prog(const vm::Map* map) {
  std::vector<isa::Insn> p;
  p.push_back(I(0x61, 6, 1, 0));    // r6 = *(u32 *)(r1 + 0)  (key)
  p.push_back(I(0x63, 10, 6, -4));  // *(u32 *)(r10 - 4) = r6
  test::lddw(p, 1, reinterpret_cast<uint64_t>(map));
  p.push_back(test::mov64r(2, 10));     // r2 = r10
  p.push_back(I(0x07, 2, 0, 0, -4));    // r2 += -4
  p.push_back(I(0x85, 0, 0, 0, 1));     // call bpf_map_lookup_elem
  p.push_back(I(0x55, 0, 0, 2, 0));     // if r0 != 0 goto +2
  p.push_back(test::mov64(0, 0xdead));  // r0 = 0xdead
  p.push_back(test::exit_insn());
  p.push_back(I(0x79, 0, 0, 0));  // r0 = *(u64 *)(r0 + 0)
  p.push_back(I(0x0f, 0, 6));     // r0 += r6
  p.push_back(test::exit_insn());
  return p;
}

bool code_calls(const JitProgram& p, vm::HelperFn fn) {
  const auto bytes = p.code();
  const auto addr = reinterpret_cast<uint64_t>(fn);
  for (size_t i = 0; i + 8 <= bytes.size(); ++i) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + i, 8);
    if (v == addr) return true;
  }
  return false;
}

TEST(JitInline, ArrayLookupMatchesHelper) {
  for (uint32_t value_size : {8u, 12u, 64u}) {
    auto map = make_array(value_size, 10);
    for (uint32_t k = 0; k < 10; ++k) {
      std::vector<uint8_t> v(value_size, 0);
      const uint64_t x = 1000 + k * 7;
      std::memcpy(v.data(), &x, 8);
      ASSERT_EQ(map->sys_update(&k, v.data(), 0), 0);
    }
    const auto prog = lookup_prog(map.get());
    vm::Map* const maps[] = {map.get()};
    vm::InterpOptions io;
    io.helpers = vm::helper_table();
    auto interp = vm::Interpreter::create(prog, io);
    ASSERT_TRUE(interp.ok()) << interp.error().format();
    for (bool inline_on : {false, true}) {
      for (bool blind : {false, true}) {
        JitOptions o;
        o.helpers = vm::helper_table();
        o.maps = maps;
        o.inline_helpers = inline_on;
        o.blind_constants = blind;
        auto jp = compile(prog, o);
        ASSERT_TRUE(jp.ok()) << jp.error().format();
        EXPECT_EQ(code_calls(**jp, vm::helper_table()[1]), !inline_on) << "inline " << inline_on;
        for (uint32_t key : {0u, 1u, 9u, 10u, 11u, 0x80000000u, 0xffffffffu}) {
          uint32_t ctx[2] = {key, 0};
          auto want = interp->run(ctx, sizeof ctx);
          ASSERT_TRUE(want.ok());
          auto got = (*jp)->run(ctx, sizeof ctx);
          ASSERT_TRUE(got.ok());
          EXPECT_EQ(*got, *want) << "value_size " << value_size << " key " << key << " inline "
                                 << inline_on << " blind " << blind;
          EXPECT_EQ(*got, key < 10 ? 1000 + key * 8 : 0xdeadu) << "key " << key;
        }
      }
    }
  }
}

TEST(JitInline, OnlyKnownArrayMapsAndRuntimeHelpers) {
  auto map = make_array(8, 4);
  const auto prog = lookup_prog(map.get());
  // Not listed in `maps`: the helper is called.
  JitOptions o;
  o.helpers = vm::helper_table();
  auto jp = compile(prog, o);
  ASSERT_TRUE(jp.ok());
  EXPECT_TRUE(code_calls(**jp, vm::helper_table()[1]));
  // A custom helper table: never inlined, the custom helper runs.
  std::vector<vm::HelperFn> custom(vm::helper_table().begin(), vm::helper_table().end());
  custom[1] = [](uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) -> uint64_t { return 0; };
  vm::Map* const maps[] = {map.get()};
  o.helpers = custom;
  o.maps = maps;
  jp = compile(prog, o);
  ASSERT_TRUE(jp.ok());
  uint32_t ctx[2] = {1, 0};
  auto r = (*jp)->run(ctx, sizeof ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0xdeadu);
  // r1 not a constant on every path (the call is a jump target): the helper is called.
  auto joined = prog;
  joined.insert(joined.begin() + 4, I(0x05, 0, 0, 0));  // goto +0 right before "r2 = r10"
  joined[4].off = 2;                                    // jump straight to the call
  o.helpers = vm::helper_table();
  jp = compile(joined, o);
  ASSERT_TRUE(jp.ok()) << jp.error().format();
  EXPECT_TRUE(code_calls(**jp, vm::helper_table()[1]));
}

TEST(JitInline, SmpProcessorId) {
  const std::vector<isa::Insn> prog = {I(0x85, 0, 0, 0, 8), test::exit_insn()};
  for (bool inline_on : {false, true}) {
    JitOptions o;
    o.helpers = vm::helper_table();
    o.inline_helpers = inline_on;
    auto jp = compile(prog, o);
    ASSERT_TRUE(jp.ok());
    EXPECT_EQ(code_calls(**jp, vm::helper_table()[8]), !inline_on);
    for (uint32_t cpu : {0u, 1u, 7u}) {
      auto r = (*jp)->run(nullptr, 0, nullptr, cpu);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(*r, cpu);
    }
  }
}

}  // namespace
}  // namespace bombus::jit
