// LPM trie grace periods (vm/maps/read_section.h): a value pointer a program got from a lookup
// keeps its contents until the program's run ends, however many deletes and updates other
// threads make meanwhile (without grace periods the node is reused after one pass over the free
// nodes and the pointer shows another prefix's value); the blocked writer recovers as soon as
// the run ends; user-space updates wait for readers, also for a process that died inside a run;
// concurrent runs always see their key's own value.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "vm/abi.h"
#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

struct Key {
  uint32_t prefixlen;
  uint8_t addr[4];
};
Key key_of(uint32_t prefixlen, uint32_t addr) {
  Key k{prefixlen, {}};
  for (int i = 0; i < 4; ++i) k.addr[i] = static_cast<uint8_t>(addr >> (24 - 8 * i));
  return k;
}
// A value that names its key, so a reader can tell its own from another prefix's.
uint64_t value_for(const Key& k) {
  uint32_t a;
  std::memcpy(&a, k.addr, 4);
  return (uint64_t{k.prefixlen} << 32 | a) * 0x9E3779B97F4A7C15ULL;
}

std::unique_ptr<Map> make_trie(uint32_t max) {
  MapSpec s;
  s.type = platform::MapType::kLpmTrie;
  s.key_size = sizeof(Key);
  s.value_size = 8;
  s.max_entries = max;
  s.flags = platform::kFNoPrealloc;
  s.name = "grace";
  auto r = Map::create(s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  return r.ok() ? std::move(r).value() : nullptr;
}

uint64_t insert(Map& m, const Key& k) {
  const uint64_t v = value_for(k);
  EXPECT_EQ(m.update(&k, &v, 0), 0);
  return v;
}

// Replaces then deletes a /24 under 192.168/16 `n` times; returns how often an update found no
// reusable node (-ENOMEM).
uint32_t churn(Map& m, uint32_t n, bool user_side) {
  uint32_t blocked = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const Key k = key_of(24, 0xc0a80000u | (i % 256) << 8);
    const uint64_t v = value_for(k);
    const long rc = user_side ? m.sys_update(&k, &v, 0) : m.update(&k, &v, 0);
    if (rc == -12) {
      ++blocked;
      continue;
    }
    EXPECT_EQ(rc, 0) << i;
    EXPECT_EQ(m.remove(&k), 0) << i;
  }
  return blocked;
}

TEST(LpmGrace, AProgramsValueOutlivesDeleteAndReuse) {
  auto m = make_trie(4);
  ASSERT_TRUE(m);
  const Key a = key_of(8, 0x0a000000);
  const uint64_t va = insert(*m, a);
  std::atomic<int> phase{0};  // 1: reader holds the pointer; 2: writer done; 3: run ended
  uint64_t seen_before = 0, seen_after = 0;
  std::thread reader([&] {
    {
      RunState rs;
      RunScope run(rs);
      const Key probe = key_of(32, 0x0a010203);
      auto* p = static_cast<volatile uint64_t*>(m->lookup(&probe));
      ASSERT_NE(p, nullptr);
      seen_before = *p;
      phase = 1;
      while (phase.load() != 2) std::this_thread::yield();
      seen_after = *p;
    }
    phase = 3;
  });
  while (phase.load() != 1) std::this_thread::yield();
  ASSERT_EQ(m->remove(&a), 0);
  // Several passes over every free node: without grace periods a's node is reused here.
  const uint32_t blocked = churn(*m, 3 * (2 * 4 + 256), false);
  phase = 2;
  while (phase.load() != 3) std::this_thread::yield();
  reader.join();
  EXPECT_EQ(seen_before, va);
  EXPECT_EQ(seen_after, va) << "the node was reused while a program held its value";
  EXPECT_GT(blocked, 0u) << "the writer never had to wait for the reader";
  // The run has ended: every node is reusable again.
  EXPECT_EQ(churn(*m, 600, false), 0u);
  const Key b = key_of(16, 0xac100000);
  const uint64_t vb = value_for(b);
  ASSERT_EQ(m->update(&b, &vb, 0), 0);
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(&b)), vb);
}

TEST(LpmGrace, UserSpaceUpdatesWaitForReaders) {
  auto m = make_trie(4);
  ASSERT_TRUE(m);
  const Key a = key_of(8, 0x0a000000);
  insert(*m, a);
  std::atomic<int> phase{0};
  std::thread reader([&] {
    {
      RunState rs;
      RunScope run(rs);
      EXPECT_NE(m->lookup(&a), nullptr);
      phase = 1;
      while (phase.load() != 2) std::this_thread::yield();
    }
  });
  while (phase.load() != 1) std::this_thread::yield();
  ASSERT_GT(churn(*m, 600, false), 0u);  // the program side gives up at once
  phase = 2;                             // the run ends while (or before) user space waits
  EXPECT_EQ(churn(*m, 600, true), 0u);
  reader.join();
}

TEST(LpmGrace, AProcessThatDiedInARunDoesNotBlockWriters) {
  auto m = make_trie(4);
  ASSERT_TRUE(m);
  const Key a = key_of(8, 0x0a000000);
  insert(*m, a);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RunState rs;
    RunScope run(rs);
    _exit(m->lookup(&a) != nullptr ? 0 : 1);  // dies holding its reader slot
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GT(churn(*m, 600, false), 0u);  // the dead reader's slot still counts ...
  EXPECT_EQ(churn(*m, 600, true), 0u);   // ... until a waiting writer reaps it
  EXPECT_EQ(churn(*m, 600, false), 0u);
}

TEST(LpmGrace, ConcurrentRunsSeeTheirOwnValues) {
  auto m = make_trie(64);
  ASSERT_TRUE(m);
  std::vector<Key> keys;
  for (uint32_t i = 0; i < 48; ++i)
    keys.push_back(key_of(16 + i % 9, 0x0a000000u | (i * 0x01030507u & 0x00ffff00u)));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0}, hits{0};
  std::vector<std::thread> readers;
  for (uint32_t t = 0; t < 3; ++t) {
    readers.emplace_back([&m, &keys, &stop, &wrong, &hits, t] {
      std::mt19937 rng(t);
      while (!stop.load(std::memory_order_relaxed)) {
        RunState rs;
        RunScope run(rs);
        for (int i = 0; i < 8; ++i) {
          const Key& k = keys[rng() % keys.size()];
          auto* p = static_cast<volatile uint64_t*>(m->lookup(&k));
          if (!p) continue;
          const uint64_t first = *p;
          for (int spin = 0; spin < 50; ++spin) __builtin_ia32_pause();
          if (*p != first) wrong.fetch_add(1);
          hits.fetch_add(1);
        }
      }
    });
  }
  for (const Key& k : keys) {
    const uint64_t v = value_for(k);
    ASSERT_EQ(m->sys_update(&k, &v, 0), 0);
  }
  while (hits.load() < 100) std::this_thread::yield();  // the readers are running
  std::mt19937 rng(99);
  const uint64_t hits_before = hits.load();
  for (int i = 0; i < 20000 || hits.load() < hits_before + 2000; ++i) {
    const Key& k = keys[rng() % keys.size()];
    const uint64_t v = value_for(k);
    if (rng() % 2)
      EXPECT_EQ(m->sys_update(&k, &v, 0), 0);
    else
      m->sys_delete(&k);
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(wrong.load(), 0u) << "a value changed under a running program";
}

}  // namespace
}  // namespace bombus::vm
