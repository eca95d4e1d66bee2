// Concurrency: threads and forked processes hammer one map; no update may be lost.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "vm/maps/map.h"
#include "vm/maps/ringbuf.h"

namespace bombus::vm {
namespace {

using platform::MapType;

std::unique_ptr<Map> make(MapType t, uint32_t ks, uint32_t vs, uint32_t max) {
  MapSpec s;
  s.type = t;
  s.key_size = ks;
  s.value_size = vs;
  s.max_entries = max;
  return std::move(Map::create(s)).value();
}

TEST(MapStress, ThreadsInsertDeleteAndAtomicAdds) {
  auto m = make(MapType::kHash, 4, 8, 1024);
  constexpr int kThreads = 4, kIters = 20000;
  uint32_t shared = 0xffff;
  uint64_t zero = 0;
  ASSERT_EQ(m->update(&shared, &zero, 0), 0);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        uint32_t k = t * 100 + i % 100;
        uint64_t v = i;
        ASSERT_EQ(m->update(&k, &v, 0), 0);
        auto* p = static_cast<uint64_t*>(m->lookup(&shared));
        ASSERT_NE(p, nullptr);  // never missed while others churn the table
        std::atomic_ref<uint64_t>(*p).fetch_add(1);
        if (i % 3 == 0) ASSERT_EQ(m->remove(&k), 0);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(&shared)), uint64_t{kThreads} * kIters);
}

TEST(MapStress, ForkedProcessesShareOneMap) {
  auto m = make(MapType::kArray, 4, 8, 4);
  auto h = make(MapType::kHash, 4, 8, 64);
  constexpr int kProcs = 3, kIters = 20000;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Reopen through /proc so the child uses its own mapping of the same file.
      auto mine =
          Map::open("/proc/" + std::to_string(getppid()) + "/fd/" + std::to_string(m->fd()));
      if (!mine.ok()) _exit(2);
      uint32_t k = 0;
      for (int i = 0; i < kIters; ++i) {
        auto* v = static_cast<uint64_t*>((*mine)->lookup(&k));
        std::atomic_ref<uint64_t>(*v).fetch_add(1);
        uint32_t hk = p * 16 + i % 16;
        uint64_t hv = i;
        if (h->update(&hk, &hv, 0) != 0) _exit(3);
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  }
  uint32_t k = 0;
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup(&k)), uint64_t{kProcs} * kIters);
  int n = 0;
  for (uint32_t hk = 0; hk < 64; ++hk) n += h->lookup(&hk) != nullptr;
  EXPECT_EQ(n, kProcs * 16);
}

TEST(MapStress, RingbufProducersLoseNothing) {
  MapSpec s;
  s.type = MapType::kRingbuf;
  s.max_entries = 1 << 16;
  auto m = std::move(Map::create(s)).value();
  auto* rb = static_cast<RingBuf*>(m.get());
  constexpr int kProducers = 3, kPer = 20000;
  std::atomic<int> done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kProducers; ++t)
    ts.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPer;) {
        uint64_t rec[2] = {static_cast<uint64_t>(t), i};
        if (rb->output(rec, 16, 0) == 0)
          ++i;
        else
          std::this_thread::yield();
      }
      done++;
    });
  std::vector<uint64_t> next(kProducers, 0);
  long total = 0;
  while (total < kProducers * kPer) {
    total += rb->consume([&](void* d, size_t n) {
      auto* r = static_cast<uint64_t*>(d);
      EXPECT_EQ(r[1], next[r[0]]);  // per-producer order kept
      next[r[0]] = r[1] + 1;
      return 0;
    });
    if (rb->empty()) rb->wait(10);
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(total, kProducers * kPer);
}

}  // namespace
}  // namespace bombus::vm
