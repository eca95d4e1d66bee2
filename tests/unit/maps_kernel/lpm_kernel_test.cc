// LPM trie vs the kernel's: random updates (all flags), deletes and longest-prefix lookups on
// overlapping prefixes give the same return codes and values, and a full get_next_key walk gives
// the same keys in the same (post-)order, including restarts from absent and invalid keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "kernel_map.h"
#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

using Bytes = std::vector<uint8_t>;

std::vector<Bytes> walk_bombus(Map& m, uint32_t ks, const Bytes* start) {
  std::vector<Bytes> out;
  Bytes cur = start ? *start : Bytes(ks), next(ks);
  bool have = start != nullptr;
  while (m.get_next_key(have ? cur.data() : nullptr, next.data()) == 0 && out.size() < 10000) {
    out.push_back(next);
    cur = next;
    have = true;
  }
  return out;
}
std::vector<Bytes> walk_kernel(testing::KernelMap& k, uint32_t ks, const Bytes* start) {
  std::vector<Bytes> out;
  Bytes cur = start ? *start : Bytes(ks), next(ks);
  bool have = start != nullptr;
  while (k.next(have ? cur.data() : nullptr, next.data()) == 0 && out.size() < 10000) {
    out.push_back(next);
    cur = next;
    have = true;
  }
  return out;
}

void differential(uint32_t ds, uint32_t max, uint32_t seed) {
  const uint32_t ks = 4 + ds, vs = 8;
  testing::KernelMap km(BPF_MAP_TYPE_LPM_TRIE, ks, vs, max, BPF_F_NO_PREALLOC);
  if (km.fd < 0) GTEST_SKIP() << "bpf() unavailable (" << km.fd << "): no kernel to compare with";
  MapSpec s;
  s.type = platform::MapType::kLpmTrie;
  s.key_size = ks;
  s.value_size = vs;
  s.max_entries = max;
  s.flags = platform::kFNoPrealloc;
  auto bm = std::move(Map::create(s)).value();

  std::mt19937 rng(seed);
  std::vector<Bytes> bases;
  for (int i = 0; i < 8; ++i) {
    Bytes d(ds);
    for (auto& x : d) x = static_cast<uint8_t>(rng());
    if (i % 2) d = bases[i - 1], d[rng() % ds] ^= static_cast<uint8_t>(1u << (rng() % 8));
    bases.push_back(d);
  }
  auto rand_key = [&] {
    Bytes k(ks);
    uint32_t plen = rng() % 16 == 0 ? 8 * ds + 1 + rng() % 3 : rng() % (8 * ds + 1);
    std::memcpy(k.data(), &plen, 4);
    Bytes d = bases[rng() % bases.size()];
    if (rng() % 3 == 0) d[rng() % ds] ^= static_cast<uint8_t>(rng());
    std::memcpy(k.data() + 4, d.data(), ds);
    return k;
  };
  size_t largest = 0;
  for (int step = 0; step < 2000; ++step) {
    Bytes k = rand_key();
    uint32_t op = rng() % 10;
    if (op < 5) {
      uint64_t v = rng(), flags = rng() % 4;  // 3 = BPF_F_LOCK: -EINVAL
      if (flags == 3) flags = BPF_F_LOCK;
      ASSERT_EQ(bm->sys_update(k.data(), &v, flags), km.update(k.data(), &v, flags)) << step;
    } else if (op < 8) {
      ASSERT_EQ(bm->sys_delete(k.data()), km.remove(k.data())) << step;
    } else {
      uint64_t a = 0, b = 0;
      long ra = bm->sys_lookup(k.data(), &a, 0), rb = km.lookup(k.data(), &b);
      ASSERT_EQ(ra, rb) << step;
      ASSERT_EQ(a, b) << step;
    }
    if (step % 50 == 0) {
      auto all = walk_bombus(*bm, ks, nullptr);
      largest = std::max(largest, all.size());
      ASSERT_EQ(all, walk_kernel(km, ks, nullptr)) << step;
      Bytes from = rand_key();  // absent, present or invalid: the same continuation
      ASSERT_EQ(walk_bombus(*bm, ks, &from), walk_kernel(km, ks, &from)) << step;
    }
  }
  EXPECT_GE(largest, max / 2);  // the walks compared real tries, not empty ones
}

TEST(LpmKernel, Ipv4PrefixesMatchTheKernel) {
  differential(4, 24, 11);
}
TEST(LpmKernel, OneByteAndNineByteKeysMatchTheKernel) {
  differential(1, 12, 12);
  differential(9, 30, 13);
}

}  // namespace
}  // namespace bombus::vm
