// LPM trie: the kernel's semantics checked against a brute-force reference model (longest
// match by scanning every stored prefix), the kernel's post-order get_next_key, errnos, and
// lock-free lookups while a writer churns the trie.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

using platform::MapType;
using Key = std::vector<uint8_t>;  // u32 prefixlen + data

std::unique_ptr<Map> make_trie(uint32_t data_size, uint32_t max, uint32_t vs = 8) {
  MapSpec s;
  s.type = MapType::kLpmTrie;
  s.key_size = 4 + data_size;
  s.value_size = vs;
  s.max_entries = max;
  s.flags = platform::kFNoPrealloc;
  s.name = "lpm";
  auto r = Map::create(s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  return r.ok() ? std::move(r).value() : nullptr;
}

Key key(uint32_t plen, std::vector<uint8_t> data) {
  Key k(4 + data.size());
  std::memcpy(k.data(), &plen, 4);
  std::memcpy(k.data() + 4, data.data(), data.size());
  return k;
}
uint32_t plen_of(const Key& k) {
  uint32_t p;
  std::memcpy(&p, k.data(), 4);
  return p;
}
bool bits_equal(const uint8_t* a, const uint8_t* b, uint32_t bits) {
  for (uint32_t i = 0; i < bits; ++i)
    if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1)) return false;
  return true;
}

// Reference: a list of (key as stored, value); prefixes compare on their first prefixlen bits.
struct Model {
  std::vector<std::pair<Key, uint64_t>> elems;
  uint32_t max;
  int find(const Key& k) const {
    for (size_t i = 0; i < elems.size(); ++i)
      if (plen_of(elems[i].first) == plen_of(k) &&
          bits_equal(elems[i].first.data() + 4, k.data() + 4, plen_of(k)))
        return static_cast<int>(i);
    return -1;
  }
  long update(const Key& k, uint64_t v, uint64_t flags) {
    int i = find(k);
    if (i >= 0) {
      if (flags == platform::kNoExist) return -17;
      elems[i] = {k, v};
      return 0;
    }
    if (flags == platform::kExist) return -2;
    if (elems.size() >= max) return -28;
    elems.push_back({k, v});
    return 0;
  }
  long remove(const Key& k) {
    int i = find(k);
    if (i < 0) return -2;
    elems.erase(elems.begin() + i);
    return 0;
  }
  const uint64_t* lookup(const Key& k) const {
    const std::pair<Key, uint64_t>* best = nullptr;
    for (auto& e : elems) {
      uint32_t p = plen_of(e.first);
      if (p <= plen_of(k) && bits_equal(e.first.data() + 4, k.data() + 4, p) &&
          (!best || p > plen_of(best->first)))
        best = &e;
    }
    return best ? &best->second : nullptr;
  }
};

std::vector<Key> walk(Map& m, uint32_t ks) {
  std::vector<Key> out;
  Key cur(ks), next(ks);
  bool have = false;
  while (m.get_next_key(have ? cur.data() : nullptr, next.data()) == 0) {
    out.push_back(next);
    cur = next;
    have = true;
    if (out.size() > 100000) break;
  }
  return out;
}

TEST(LpmTrie, PostOrderGetNextKeyAsTheKernelDocuments) {
  auto m = make_trie(4, 16);
  uint64_t v = 1;
  // The kernel's example: 192.168.0.0/16 with /24s below it, inserted in an arbitrary order.
  for (auto k : {key(24, {192, 168, 1, 0}), key(16, {192, 168, 0, 0}), key(24, {192, 168, 128, 0}),
                 key(24, {192, 168, 0, 0})})
    ASSERT_EQ(m->update(k.data(), &v, 0), 0);
  auto order = walk(*m, 8);
  std::vector<Key> want = {key(24, {192, 168, 0, 0}), key(24, {192, 168, 1, 0}),
                           key(24, {192, 168, 128, 0}), key(16, {192, 168, 0, 0})};
  EXPECT_EQ(order, want);
  // An absent key restarts from the first key; an invalid prefixlen too.
  Key next(8);
  auto absent = key(24, {10, 0, 0, 0});
  ASSERT_EQ(m->get_next_key(absent.data(), next.data()), 0);
  EXPECT_EQ(next, want[0]);
  auto bad = key(40, {192, 168, 0, 0});
  ASSERT_EQ(m->get_next_key(bad.data(), next.data()), 0);
  EXPECT_EQ(next, want[0]);
  EXPECT_EQ(m->get_next_key(want[3].data(), next.data()), -2);
}

TEST(LpmTrie, ErrnosAndFlags) {
  auto m = make_trie(4, 2);
  uint64_t v = 7;
  auto a = key(8, {10, 0, 0, 0}), b = key(16, {10, 1, 0, 0}), c = key(32, {11, 1, 2, 3});
  auto too_long = key(33, {10, 0, 0, 0});
  EXPECT_EQ(m->update(too_long.data(), &v, 0), -22);
  EXPECT_EQ(m->remove(too_long.data()), -22);
  EXPECT_EQ(m->lookup(too_long.data()), nullptr);
  EXPECT_EQ(m->update(a.data(), &v, platform::kFLock), -22);
  EXPECT_EQ(m->update(a.data(), &v, platform::kExist), -2);
  EXPECT_EQ(m->update(a.data(), &v, platform::kNoExist), 0);
  EXPECT_EQ(m->update(a.data(), &v, platform::kNoExist), -17);
  EXPECT_EQ(m->update(b.data(), &v, 0), 0);
  EXPECT_EQ(m->update(c.data(), &v, 0), -28);  // full: ENOSPC
  uint64_t v2 = 9;
  EXPECT_EQ(m->update(b.data(), &v2, platform::kExist), 0);  // replacing works when full
  auto q = key(32, {10, 1, 200, 1});
  ASSERT_NE(m->lookup(q.data()), nullptr);
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(q.data())), 9u);
  // The lookup key's own prefixlen limits the match: a /12 query cannot see the /16.
  auto q12 = key(12, {10, 1, 200, 1});
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(q12.data())), 7u);
  EXPECT_EQ(m->remove(c.data()), -2);
  EXPECT_EQ(m->remove(a.data()), 0);
  EXPECT_EQ(m->update(c.data(), &v, 0), 0);
  auto walked = walk(*m, 8);
  ASSERT_EQ(walked.size(), 2u);
  EXPECT_EQ(walked[0], b);  // 10.x goes left of 11.x where they diverge (bit 7)
  EXPECT_EQ(walked[1], c);
  // Bits past the prefix are kept as given (the kernel stores the key's data as is), and a key
  // equal in its first prefixlen bits replaces it.
  auto m2 = make_trie(4, 4);
  auto raw = key(8, {12, 5, 6, 7}), same = key(8, {12, 9, 9, 9});
  ASSERT_EQ(m2->update(raw.data(), &v, 0), 0);
  EXPECT_EQ(walk(*m2, 8), std::vector<Key>{raw});
  ASSERT_EQ(m2->update(same.data(), &v, platform::kNoExist), -17);
  ASSERT_EQ(m2->update(same.data(), &v, 0), 0);
  EXPECT_EQ(walk(*m2, 8), std::vector<Key>{same});
}

// Random operations on small pools of overlapping prefixes, compared with the reference model;
// data sizes 1, 4 and 9 bytes exercise the byte, word and multi-word match paths.
void random_against_model(uint32_t ds, uint32_t seed) {
  const uint32_t kMax = 40;
  auto m = make_trie(ds, kMax);
  ASSERT_NE(m, nullptr);
  Model model{{}, kMax};
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> bases;
  for (int i = 0; i < 6; ++i) {
    std::vector<uint8_t> d(ds);
    for (auto& x : d) x = static_cast<uint8_t>(rng());
    if (i % 2) d = bases[i - 1], d[ds - 1] ^= static_cast<uint8_t>(1u << (rng() % 8));
    bases.push_back(d);
  }
  auto rand_key = [&] {
    auto d = bases[rng() % bases.size()];
    if (rng() % 3 == 0) d[rng() % ds] ^= static_cast<uint8_t>(rng());
    return key(rng() % (8 * ds + 1), d);
  };
  for (int step = 0; step < 3000; ++step) {
    Key k = rand_key();
    uint32_t op = rng() % 10;
    if (op < 5) {
      uint64_t v = rng(), flags = rng() % 3;
      ASSERT_EQ(m->update(k.data(), &v, flags), model.update(k, v, flags)) << step;
    } else if (op < 8) {
      ASSERT_EQ(m->remove(k.data()), model.remove(k)) << step;
    } else {
      const uint64_t* want = model.lookup(k);
      auto* got = static_cast<uint64_t*>(m->lookup(k.data()));
      ASSERT_EQ(got == nullptr, want == nullptr) << step;
      if (want) ASSERT_EQ(*got, *want) << step;
    }
    if (step % 100 == 0) {
      auto keys = walk(*m, 4 + ds);
      ASSERT_EQ(keys.size(), model.elems.size()) << step;
      std::set<Key> uniq(keys.begin(), keys.end());
      ASSERT_EQ(uniq.size(), keys.size()) << step;
      // Post-order: a key never comes before a longer key it covers.
      for (size_t i = 0; i < keys.size(); ++i)
        for (size_t j = i + 1; j < keys.size(); ++j)
          ASSERT_FALSE(plen_of(keys[i]) < plen_of(keys[j]) &&
                       bits_equal(keys[i].data() + 4, keys[j].data() + 4, plen_of(keys[i])))
              << step;
    }
  }
}

TEST(LpmTrie, RandomOperationsMatchTheReferenceModel) {
  random_against_model(1, 1);
  random_against_model(4, 2);
  random_against_model(9, 3);
}

TEST(LpmTrie, LookupsStayCorrectWhileAWriterChurns) {
  auto m = make_trie(4, 512);
  // Stable /16s that readers check; the writer adds and removes /24s and /32s elsewhere and
  // replaces the stable values with the same number (a reader must never miss or see junk).
  for (uint32_t i = 0; i < 32; ++i) {
    auto k = key(16, {10, static_cast<uint8_t>(i), 0, 0});
    uint64_t v = 1000 + i;
    ASSERT_EQ(m->update(k.data(), &v, 0), 0);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&, t] {
      std::mt19937 rng(t);
      while (!stop.load(std::memory_order_relaxed)) {
        uint8_t i = rng() % 32;
        auto q = key(32, {10, i, 0x80, static_cast<uint8_t>(rng())});
        // The lookup never misses; the copied value (validated read) is always the right one.
        // (Dereferencing the program-side pointer later relies on the FIFO reuse delay.)
        uint64_t v = 0;
        if (!m->lookup(q.data()) || m->sys_lookup(q.data(), &v, 0) != 0 || v != 1000u + i)
          bad.fetch_add(1);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  std::mt19937 rng(9);
  for (int step = 0; step < 20000; ++step) {
    uint8_t i = rng() % 32;
    uint64_t v = 1000 + i;
    auto k24 = key(24, {10, i, static_cast<uint8_t>(rng() % 64), 0});
    auto k32 = key(32, {10, i, static_cast<uint8_t>(rng() % 64), 1});
    auto ks = key(16, {10, i, 0, 0});
    (void)m->update(k24.data(), &v, 0);
    (void)m->update(k32.data(), &v, 0);
    ASSERT_EQ(m->update(ks.data(), &v, platform::kExist), 0);
    (void)m->remove(k24.data());
    if (step % 2) (void)m->remove(k32.data());
  }
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0u);
}

TEST(LpmTrie, SecondMappingOfTheFileSeesTheTrie) {
  MapSpec s;
  s.type = MapType::kLpmTrie;
  s.key_size = 8;
  s.value_size = 8;
  s.max_entries = 8;
  s.flags = platform::kFNoPrealloc;
  char dir[] = "/tmp/bombus-lpm-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  MapOptions o;
  o.dir = dir;
  o.file = "trie";
  auto m = std::move(Map::create(s, o)).value();
  auto k = key(8, {10, 0, 0, 0});
  uint64_t v = 42;
  ASSERT_EQ(m->update(k.data(), &v, 0), 0);
  auto r = Map::open(std::string(dir) + "/trie");
  ASSERT_TRUE(r.ok()) << r.error().format();
  auto q = key(32, {10, 2, 3, 4});
  ASSERT_NE((*r)->lookup(q.data()), nullptr);
  EXPECT_EQ(*static_cast<uint64_t*>((*r)->lookup(q.data())), 42u);
  auto k2 = key(16, {10, 2, 0, 0});
  v = 43;
  ASSERT_EQ((*r)->update(k2.data(), &v, 0), 0);
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(q.data())), 43u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bombus::vm
