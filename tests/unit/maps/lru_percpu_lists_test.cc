// BPF_F_NO_COMMON_LRU: each execution slot has its own LRU lists — overfilling from one slot
// evicts only that slot's elements, max_entries is rounded to a multiple of the slot count, a
// program's lookup (reference bit) keeps an element alive, the syscall's lookup does not.
#include <gtest/gtest.h>

#include <set>

#include "vm/abi.h"
#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

using platform::MapType;

std::unique_ptr<Map> make_lru(MapType t, uint32_t max, uint32_t ncpus, uint32_t flags) {
  MapSpec s;
  s.type = t;
  s.key_size = 4;
  s.value_size = 8;
  s.max_entries = max;
  s.flags = flags;
  MapOptions o;
  o.ncpus = ncpus;
  auto r = Map::create(s, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  return r.ok() ? std::move(r).value() : nullptr;
}

long update_on(Map& m, uint32_t cpu, uint32_t k) {
  RunState s;
  s.cpu = cpu;
  RunScope scope(s);
  uint64_t v[4] = {k, k, k, k};
  return m.sys_update(&k, v, 0);
}

TEST(PercpuLru, MaxEntriesRoundedToTheSlotCount) {
  auto m = make_lru(MapType::kLruHash, 10, 4, platform::kFNoCommonLru);
  EXPECT_EQ(m->spec().max_entries, 12u);
  auto c = make_lru(MapType::kLruHash, 10, 4, 0);
  EXPECT_EQ(c->spec().max_entries, 10u);
  MapSpec s;
  s.type = MapType::kLruHash;
  s.key_size = s.value_size = 4;
  s.max_entries = 4;
  s.flags = platform::kFNoPrealloc;
  EXPECT_FALSE(Map::create(s).ok());  // LRU maps are always preallocated
}

TEST(PercpuLru, OverfillingOneSlotEvictsOnlyItsOwnElements) {
  for (MapType t : {MapType::kLruHash, MapType::kLruPercpuHash}) {
    auto m = make_lru(t, 16, 2, platform::kFNoCommonLru);  // 8 per slot
    for (uint32_t k = 1000; k < 1004; ++k) ASSERT_EQ(update_on(*m, 1, k), 0);
    for (uint32_t k = 0; k < 200; ++k) ASSERT_EQ(update_on(*m, 0, k), 0);
    for (uint32_t k = 1000; k < 1004; ++k) {
      uint64_t v[2];
      EXPECT_EQ(m->sys_lookup(&k, v, 0), 0) << k;  // slot 1's elements untouched
    }
    std::set<uint32_t> left;
    for (uint32_t k = 0; k < 200; ++k) {
      uint64_t v[2];
      if (m->sys_lookup(&k, v, 0) == 0) left.insert(k);
    }
    EXPECT_LE(left.size(), 8u);  // slot 0 holds at most its 8 elements
    EXPECT_TRUE(left.count(199));
  }
}

TEST(PercpuLru, ProgramLookupsKeepAnElementSyscallLookupsDoNot) {
  auto m = make_lru(MapType::kLruHash, 8, 1, platform::kFNoCommonLru);
  uint32_t hot = 1000, cold = 2000;
  ASSERT_EQ(update_on(*m, 0, hot), 0);
  ASSERT_EQ(update_on(*m, 0, cold), 0);
  for (uint32_t k = 0; k < 64; ++k) {
    ASSERT_NE(m->lookup(&hot), nullptr) << k;  // a program's lookup: referenced
    uint64_t v;
    (void)m->sys_lookup(&cold, &v, 0);  // the syscall's: not referenced
    ASSERT_EQ(update_on(*m, 0, k), 0);
  }
  uint64_t v;
  EXPECT_EQ(m->sys_lookup(&hot, &v, 0), 0);
  EXPECT_EQ(m->sys_lookup(&cold, &v, 0), -2);
  EXPECT_EQ(m->update(&hot, &v, platform::kFLock), -22);  // no BPF_F_LOCK on LRU maps
}

}  // namespace
}  // namespace bombus::vm
