// Semantics and error codes of every map type, as the kernel answers them.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "vm/abi.h"
#include "vm/maps/map.h"
#include "vm/maps/perf_array.h"
#include "vm/maps/ringbuf.h"

namespace bombus::vm {
namespace {

using platform::MapType;

std::unique_ptr<Map> make(MapType t, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags = 0,
                          uint32_t ncpus = 4) {
  MapSpec s;
  s.type = t;
  s.key_size = ks;
  s.value_size = vs;
  s.max_entries = max;
  s.flags = flags;
  s.name = "t";
  MapOptions o;
  o.ncpus = ncpus;
  auto r = Map::create(s, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(MapCreate, RejectsBadSpecs) {
  MapSpec s;
  s.type = MapType::kArray;
  s.key_size = 8;
  s.value_size = 4;
  s.max_entries = 1;
  auto r = Map::create(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("key_size must be 4"), std::string::npos);
  s.type = MapType::kLpmTrie;
  s.key_size = 8;
  EXPECT_FALSE(Map::create(s).ok());  // needs BPF_F_NO_PREALLOC
  s.type = MapType::kRingbuf;
  s.key_size = s.value_size = 0;
  s.max_entries = 1000;
  EXPECT_FALSE(Map::create(s).ok());
  s.type = MapType::kHash;
  s.key_size = 4;
  s.value_size = 4;
  s.flags = platform::kFMmapable;
  EXPECT_FALSE(Map::create(s).ok());
}

TEST(ArrayMap, LookupUpdateFlags) {
  auto m = make(MapType::kArray, 4, 12, 3);
  uint32_t k = 1;
  uint8_t v[12] = {1, 2, 3};
  auto* p = static_cast<uint8_t*>(m->lookup(&k));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(m->update(&k, v, platform::kAny), 0);
  EXPECT_EQ(p[2], 3);
  EXPECT_EQ(m->update(&k, v, platform::kNoExist), -17);
  EXPECT_EQ(m->update(&k, v, platform::kExist), 0);
  EXPECT_EQ(m->update(&k, v, 8), -22);
  EXPECT_EQ(m->update(&k, v, platform::kFLock), -22);  // no spin lock in the value
  k = 3;
  EXPECT_EQ(m->lookup(&k), nullptr);
  EXPECT_EQ(m->update(&k, v, 0), -7);
  EXPECT_EQ(m->remove(&k), -22);
  // get_next_key: null/missing -> first, last -> ENOENT
  uint32_t next;
  EXPECT_EQ(m->get_next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 0u);
  k = 100;
  EXPECT_EQ(m->get_next_key(&k, &next), 0);
  EXPECT_EQ(next, 0u);
  k = 1;
  EXPECT_EQ(m->get_next_key(&k, &next), 0);
  EXPECT_EQ(next, 2u);
  k = 2;
  EXPECT_EQ(m->get_next_key(&k, &next), -2);
}

TEST(ArrayMap, FreezeAndReadonly) {
  auto m = make(MapType::kArray, 4, 4, 2);
  uint32_t k = 0, v = 5;
  EXPECT_EQ(m->freeze(), 0);
  EXPECT_EQ(m->freeze(), -16);
  EXPECT_EQ(m->sys_update(&k, &v, 0), -1);
  EXPECT_EQ(m->update(&k, &v, 0), 0);  // programs may still write (unless RDONLY_PROG)
  auto ro = make(MapType::kArray, 4, 4, 2, platform::kFRdonly);
  EXPECT_EQ(ro->sys_update(&k, &v, 0), -1);
  auto wo = make(MapType::kArray, 4, 4, 2, platform::kFWronly);
  EXPECT_EQ(wo->sys_lookup(&k, &v, 0), -1);
}

TEST(ArrayMap, SpinLockFieldIsPreservedAndLockFlagWorks) {
  MapSpec s;
  s.type = MapType::kArray;
  s.key_size = 4;
  s.value_size = 16;
  s.max_entries = 1;
  s.spin_lock_off = 0;
  auto m = std::move(Map::create(s)).value();
  uint32_t k = 0;
  uint8_t v[16];
  std::memset(v, 0xab, 16);
  EXPECT_EQ(m->update(&k, v, platform::kFLock), 0);
  auto* p = static_cast<uint8_t*>(m->lookup(&k));
  EXPECT_EQ(p[0], 0);  // lock word untouched (and released)
  EXPECT_EQ(p[4], 0xab);
  uint8_t out[16];
  EXPECT_EQ(m->sys_lookup(&k, out, platform::kFLock), 0);
  EXPECT_EQ(out[8], 0xab);
}

TEST(PercpuArray, CopiesPerSlot) {
  auto m = make(MapType::kPercpuArray, 4, 4, 2, 0, 3);
  uint32_t k = 1, v = 7;
  RunState st;
  st.cpu = 2;
  {
    RunScope scope(st);
    EXPECT_EQ(m->update(&k, &v, 0), 0);
    EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(&k)), 7u);
  }
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(&k)), 0u);  // slot 0
  std::vector<uint8_t> all(m->user_value_size());
  ASSERT_EQ(all.size(), 24u);
  EXPECT_EQ(m->sys_lookup(&k, all.data(), 0), 0);
  uint32_t c2;
  std::memcpy(&c2, all.data() + 16, 4);
  EXPECT_EQ(c2, 7u);
  uint64_t vals[3] = {1, 2, 3};
  EXPECT_EQ(m->sys_update(&k, vals, 0), 0);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup_percpu(&k, 1)), 2u);
}

TEST(HashMap, SemanticsAndErrors) {
  auto m = make(MapType::kHash, 8, 8, 4);
  uint64_t k = 1, v = 10;
  EXPECT_EQ(m->lookup(&k), nullptr);
  EXPECT_EQ(m->update(&k, &v, platform::kExist), -2);
  EXPECT_EQ(m->update(&k, &v, platform::kNoExist), 0);
  EXPECT_EQ(m->update(&k, &v, platform::kNoExist), -17);
  v = 11;
  EXPECT_EQ(m->update(&k, &v, platform::kExist), 0);
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(&k)), 11u);
  for (k = 2; k <= 4; ++k) EXPECT_EQ(m->update(&k, &v, 0), 0);
  k = 5;
  EXPECT_EQ(m->update(&k, &v, 0), -7);  // full: E2BIG
  k = 4;
  EXPECT_EQ(m->update(&k, &v, 0), 0);  // replacing in a full map works
  EXPECT_EQ(m->remove(&k), 0);
  EXPECT_EQ(m->remove(&k), -2);
  k = 5;
  EXPECT_EQ(m->update(&k, &v, 0), 0);
  // Iteration visits every key once; a missing key restarts from the first.
  std::set<uint64_t> seen;
  uint64_t cur, nxt;
  long r = m->get_next_key(nullptr, &cur);
  while (r == 0) {
    EXPECT_TRUE(seen.insert(cur).second);
    r = m->get_next_key(&cur, &nxt);
    cur = nxt;
  }
  EXPECT_EQ(r, -2);
  EXPECT_EQ(seen, (std::set<uint64_t>{1, 2, 3, 5}));
  uint64_t missing = 99, first;
  EXPECT_EQ(m->get_next_key(&missing, &first), 0);
  EXPECT_TRUE(seen.count(first));
}

TEST(HashMap, BatchOps) {
  auto m = make(MapType::kHash, 4, 4, 16);
  uint32_t keys[10], vals[10];
  for (uint32_t i = 0; i < 10; ++i) keys[i] = i, vals[i] = i * 100;
  uint32_t n = 10;
  EXPECT_EQ(m->update_batch(keys, vals, &n, 0), 0);
  uint32_t ok[16], ov[16], cursor = 0;
  n = 4;
  EXPECT_EQ(m->lookup_batch(nullptr, &cursor, ok, ov, &n, false), 0);
  EXPECT_EQ(n, 4u);
  uint32_t total = 4;
  n = 16;
  EXPECT_EQ(m->lookup_batch(&cursor, &cursor, ok + 4, ov + 4, &n, false), -2);
  total += n;
  EXPECT_EQ(total, 10u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(ov[i], ok[i] * 100);
  n = 3;
  EXPECT_EQ(m->delete_batch(keys, &n), 0);
  EXPECT_EQ(m->lookup(&keys[0]), nullptr);
  n = 1;
  EXPECT_EQ(m->delete_batch(keys, &n), -2);
  EXPECT_EQ(n, 0u);
}

TEST(HashMap, PercpuHash) {
  auto m = make(MapType::kPercpuHash, 4, 4, 4, 0, 2);
  uint32_t k = 3, v = 9;
  RunState st;
  st.cpu = 1;
  {
    RunScope s(st);
    EXPECT_EQ(m->update(&k, &v, 0), 0);
  }
  uint32_t all[4] = {};
  EXPECT_EQ(m->sys_lookup(&k, all, 0), 0);
  EXPECT_EQ(all[0], 0u);
  EXPECT_EQ(all[2], 9u);
}

TEST(HashMap, LruEvictsInsteadOfFailing) {
  auto m = make(MapType::kLruHash, 4, 4, 8);
  for (uint32_t k = 0; k < 100; ++k) EXPECT_EQ(m->update(&k, &k, 0), 0) << k;
  uint32_t k = 99;
  EXPECT_NE(m->lookup(&k), nullptr);  // the newest survives
  int present = 0;
  for (k = 0; k < 100; ++k) present += m->lookup(&k) != nullptr;
  EXPECT_LE(present, 8);
  EXPECT_GE(present, 1);
  // A hot key survives a stream of cold inserts.
  uint32_t hot = 1000;
  EXPECT_EQ(m->update(&hot, &hot, 0), 0);
  for (k = 2000; k < 2030; ++k) {
    ASSERT_NE(m->lookup(&hot), nullptr) << k;
    EXPECT_EQ(m->update(&k, &k, 0), 0);
  }
}

TEST(LpmTrie, LongestPrefixMatch) {
  auto m = make(MapType::kLpmTrie, 8, 4, 16, platform::kFNoPrealloc);
  auto key = [](uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    std::array<uint8_t, 8> k{};
    std::memcpy(k.data(), &plen, 4);
    k[4] = a, k[5] = b, k[6] = c, k[7] = d;
    return k;
  };
  uint32_t v8 = 8, v24 = 24, v0 = 0;
  auto k8 = key(8, 10, 0, 0, 0), k24 = key(24, 10, 1, 2, 0), k0 = key(0, 0, 0, 0, 0);
  EXPECT_EQ(m->update(k8.data(), &v8, 0), 0);
  EXPECT_EQ(m->update(k24.data(), &v24, 0), 0);
  auto q = key(32, 10, 1, 2, 3);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(q.data())), 24u);
  q = key(32, 10, 9, 9, 9);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(q.data())), 8u);
  q = key(32, 11, 1, 2, 3);
  EXPECT_EQ(m->lookup(q.data()), nullptr);
  EXPECT_EQ(m->update(k0.data(), &v0, 0), 0);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(q.data())), 0u);
  auto bad = key(33, 0, 0, 0, 0);
  EXPECT_EQ(m->update(bad.data(), &v0, 0), -22);
  EXPECT_EQ(m->remove(k24.data()), 0);
  EXPECT_EQ(m->remove(k24.data()), -2);
  q = key(32, 10, 1, 2, 3);
  EXPECT_EQ(*static_cast<uint32_t*>(m->lookup(q.data())), 8u);
}

TEST(QueueStack, OrderFullAndOverwrite) {
  auto q = make(MapType::kQueue, 0, 4, 2);
  auto s = make(MapType::kStack, 0, 4, 2);
  uint32_t a = 1, b = 2, c = 3, out = 0;
  for (auto* m : {q.get(), s.get()}) {
    EXPECT_EQ(m->pop(&out), -2);
    EXPECT_EQ(m->push(&a, 0), 0);
    EXPECT_EQ(m->push(&b, 0), 0);
    EXPECT_EQ(m->push(&c, 0), -7);
    EXPECT_EQ(m->push(&c, platform::kNoExist), -22);
    EXPECT_EQ(m->push(&c, platform::kExist), 0);  // drops the oldest (1)
  }
  EXPECT_EQ(q->peek(&out), 0);
  EXPECT_EQ(out, 2u);
  EXPECT_EQ(q->pop(&out), 0);
  EXPECT_EQ(out, 2u);
  EXPECT_EQ(s->pop(&out), 0);
  EXPECT_EQ(out, 3u);
  EXPECT_EQ(s->pop(&out), 0);
  EXPECT_EQ(out, 2u);
  EXPECT_EQ(s->pop(&out), -2);
}

TEST(BloomFilter, NoFalseNegatives) {
  auto m = make(MapType::kBloomFilter, 0, 8, 1000);
  for (uint64_t v = 0; v < 1000; v += 2) EXPECT_EQ(m->push(&v, 0), 0);
  for (uint64_t v = 0; v < 1000; v += 2) EXPECT_EQ(m->peek(&v), 0);
  int fp = 0;
  for (uint64_t v = 1; v < 1000; v += 2) fp += m->peek(&v) == 0;
  EXPECT_LT(fp, 100);
  uint64_t v = 1;
  EXPECT_EQ(m->push(&v, platform::kExist), -22);
}

TEST(RingBuf, ReserveSubmitDiscardConsume) {
  MapSpec s;
  s.type = MapType::kRingbuf;
  s.max_entries = 4096;
  auto m = std::move(Map::create(s)).value();
  auto* rb = static_cast<RingBuf*>(m.get());
  auto* a = static_cast<uint32_t*>(rb->reserve(4));
  auto* b = static_cast<uint32_t*>(rb->reserve(4));
  ASSERT_TRUE(a && b);
  *a = 1, *b = 2;
  rb->submit(b, 0);
  std::vector<uint32_t> got;
  auto cb = [&](void* d, size_t n) {
    got.push_back(*static_cast<uint32_t*>(d));
    return 0;
  };
  EXPECT_EQ(rb->consume(cb), 0);  // a is still busy: nothing passes it
  rb->discard(a, 0);
  EXPECT_EQ(rb->consume(cb), 1);
  EXPECT_EQ(got, std::vector<uint32_t>{2});
  EXPECT_EQ(rb->reserve(5000), nullptr);
  // Wrap-around: many records through a small ring arrive intact and in order.
  got.clear();
  uint32_t expect = 0;
  for (uint32_t i = 0; i < 2000; ++i) {
    uint32_t rec[25];
    for (auto& x : rec) x = i;
    ASSERT_EQ(rb->output(rec, sizeof(rec), 0), 0);
    rb->consume([&](void* d, size_t n) {
      EXPECT_EQ(n, sizeof(rec));
      EXPECT_EQ(static_cast<uint32_t*>(d)[24], expect);
      ++expect;
      return 0;
    });
  }
  EXPECT_EQ(expect, 2000u);
  EXPECT_EQ(rb->query(platform::kRbRingSize), 4096u);
  EXPECT_EQ(rb->query(platform::kRbAvailData), 0u);
}

TEST(PerfEventArray, ClosedSlotsAndSamples) {
  auto m = make(MapType::kPerfEventArray, 4, 4, 2);
  auto* pa = static_cast<PerfEventArray*>(m.get());
  uint32_t d = 42;
  EXPECT_EQ(pa->output(0, &d, 4), -2);
  EXPECT_EQ(pa->output(5, &d, 4), -7);
  pa->open_slot(1, true);
  EXPECT_EQ(pa->output(1, &d, 4), 0);
  int n = 0;
  pa->consume(
      [&](uint32_t cpu, const void* p, uint32_t sz) {
        EXPECT_EQ(cpu, 1u);
        EXPECT_EQ(sz, 4u);
        EXPECT_EQ(*static_cast<const uint32_t*>(p), 42u);
        ++n;
      },
      nullptr);
  EXPECT_EQ(n, 1);
}

TEST(MapFile, SecondMappingSeesTheSameElements) {
  char dir[] = "/tmp/bombus-maps-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  MapSpec s;
  s.type = MapType::kHash;
  s.key_size = 4;
  s.value_size = 4;
  s.max_entries = 8;
  s.name = "shared";
  MapOptions o;
  o.dir = dir;
  o.file = "m";
  auto a = std::move(Map::create(s, o)).value();
  auto b = std::move(Map::open(std::string(dir) + "/m")).value();
  uint32_t k = 7, v = 70;
  EXPECT_EQ(a->update(&k, &v, 0), 0);
  EXPECT_EQ(*static_cast<uint32_t*>(b->lookup(&k)), 70u);
  EXPECT_EQ(b->remove(&k), 0);
  EXPECT_EQ(a->lookup(&k), nullptr);
  EXPECT_EQ(b->spec().name, "shared");
  EXPECT_FALSE(Map::open(std::string(dir) + "/nope").ok());
  std::string p = std::string(dir) + "/m";
  unlink(p.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace bombus::vm
