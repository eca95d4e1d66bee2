// CPUMAP and XSKMAP from the program side (what bpf_redirect_map sees) and bombus's own xsk
// endpoints: a CPUMAP entry is there while its qsize is nonzero; an XSKMAP entry bound by
// xskmap_bind is a struct bpf_xdp_sock with its queue id, and deleting it empties the slot;
// what bombus refuses on purpose (a cpumap program, an update from a program) is an errno.
#include "vm/maps/redirect_maps.h"

#include <gtest/gtest.h>

#include <cstring>

#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

using platform::MapType;

std::unique_ptr<Map> make(MapType t, uint32_t vs, uint32_t max, uint32_t ncpus = 4) {
  MapSpec s;
  s.type = t;
  s.key_size = 4;
  s.value_size = vs;
  s.max_entries = max;
  s.name = "r";
  MapOptions o;
  o.ncpus = ncpus;
  auto r = Map::create(s, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(Cpumap, EntriesComeAndGoWithQsize) {
  auto m = make(MapType::kCpumap, 8, 8);
  ASSERT_TRUE(m);
  for (uint32_t k = 0; k < 8; ++k) EXPECT_EQ(m->lookup(&k), nullptr) << k;
  uint32_t key = 2, v[2] = {100, 0};
  ASSERT_EQ(m->sys_update(&key, v, 0), 0);
  const auto* e = static_cast<const uint32_t*>(m->lookup(&key));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e[0], 100u);
  uint32_t out[2] = {9, 9};
  ASSERT_EQ(m->sys_lookup(&key, out, 0), 0);
  EXPECT_EQ(out[0], 100u);
  EXPECT_EQ(out[1], 0u);  // no program
  v[0] = 0;
  ASSERT_EQ(m->sys_update(&key, v, 0), 0);  // qsize 0 deletes
  EXPECT_EQ(m->lookup(&key), nullptr);
  EXPECT_EQ(m->sys_lookup(&key, out, 0), -2);
  // A second-stage program is not run by bombus: refused rather than ignored.
  v[0] = 16, v[1] = 3;
  EXPECT_EQ(m->sys_update(&key, v, 0), -95);
  // Keys past bombus's CPUs do not exist (-ENODEV), as CPUs that are not possible.
  key = 5, v[1] = 0;
  EXPECT_EQ(m->sys_update(&key, v, 0), -19);
  auto over = make(MapType::kCpumap, 4, kCpumapMaxEntries);
  EXPECT_TRUE(over);
  MapSpec s;
  s.type = MapType::kCpumap;
  s.key_size = s.value_size = 4;
  s.max_entries = kCpumapMaxEntries + 1;
  auto big = Map::create(s);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::kTooBig);
}

TEST(Xskmap, BoundEndpointsAreXdpSockets) {
  auto m = make(MapType::kXskmap, 4, 4);
  ASSERT_TRUE(m);
  uint32_t key = 3;
  EXPECT_EQ(m->lookup(&key), nullptr);
  ASSERT_EQ(xskmap_bind(*m, 3, 7), 0);
  const auto* xs = static_cast<const uint32_t*>(m->lookup(&key));
  ASSERT_NE(xs, nullptr);
  EXPECT_EQ(*xs, 7u);  // struct bpf_xdp_sock { __u32 queue_id; }
  uint32_t other = 2;
  EXPECT_EQ(m->lookup(&other), nullptr);
  EXPECT_EQ(xskmap_bind(*m, 4, 4), -7);
  uint32_t value = 0;
  EXPECT_EQ(m->sys_lookup(&key, &value, 0), -95);  // the kernel's syscall lookup
  EXPECT_EQ(m->update(&key, &value, 0), -95);      // programs cannot update an XSKMAP
  ASSERT_EQ(m->sys_delete(&key), 0);
  EXPECT_EQ(m->lookup(&key), nullptr);
  auto arr = make(MapType::kCpumap, 4, 4);
  ASSERT_TRUE(arr);
  EXPECT_EQ(xskmap_bind(*arr, 0, 0), -22);
}

TEST(Xskmap, SharedWithAnotherOpenOfTheFile) {
  auto m = make(MapType::kXskmap, 4, 4);
  ASSERT_TRUE(m);
  ASSERT_EQ(xskmap_bind(*m, 1, 1), 0);
  auto again = Map::open("/proc/self/fd/" + std::to_string(m->fd()));
  ASSERT_TRUE(again.ok()) << again.error().format();
  uint32_t key = 1;
  const auto* xs = static_cast<const uint32_t*>((*again)->lookup(&key));
  ASSERT_NE(xs, nullptr);
  EXPECT_EQ(*xs, 1u);
}

}  // namespace
}  // namespace bombus::vm
