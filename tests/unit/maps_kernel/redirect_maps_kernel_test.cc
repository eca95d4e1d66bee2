// CPUMAP and XSKMAP vs the kernel's: creation limits, and the same script of updates (every
// flag, out-of-range keys, qsize limits, CPUs that do not exist, socket fds of every kind),
// deletes, lookups and get_next_key walks gives the same return codes and values. bombus's CPUs
// are set to the kernel's possible CPUs so -ENODEV falls on the same keys. Skips cleanly where
// bpf() is unavailable.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_map.h"
#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

using platform::MapType;

// The kernel's possible CPUs ("0-1" -> 2).
uint32_t possible_cpus() {
  std::ifstream f("/sys/devices/system/cpu/possible");
  std::string s;
  std::getline(f, s);
  const auto dash = s.find_last_of("-,");
  return dash == std::string::npos ? 1 : static_cast<uint32_t>(std::stoul(s.substr(dash + 1))) + 1;
}

std::unique_ptr<Map> make(MapType t, uint32_t vs, uint32_t max) {
  MapSpec s;
  s.type = t;
  s.key_size = 4;
  s.value_size = vs;
  s.max_entries = max;
  s.name = "diff";
  MapOptions o;
  o.ncpus = possible_cpus();
  auto r = Map::create(s, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  return r.ok() ? std::move(r).value() : nullptr;
}

// Both sides answer the same for every key of a lookup and of a get_next_key step.
void same_reads(testing::KernelMap& k, Map& b, uint32_t vs, uint32_t max) {
  for (uint32_t key = 0; key < max + 3; ++key) {
    std::vector<uint8_t> kv(vs, 0xaa), bv(vs, 0xaa);
    const long kr = k.lookup(&key, kv.data()), br = b.sys_lookup(&key, bv.data(), 0);
    EXPECT_EQ(br, kr) << "lookup " << key;
    if (kr == 0 && br == 0) EXPECT_EQ(bv, kv) << "lookup " << key;
    uint32_t kn = 77, bn = 77;
    EXPECT_EQ(b.get_next_key(&key, &bn), k.next(&key, &kn)) << "next " << key;
    EXPECT_EQ(bn, kn) << "next " << key;
  }
  uint32_t kn = 77, bn = 77;
  EXPECT_EQ(b.get_next_key(nullptr, &bn), k.next(nullptr, &kn));
  EXPECT_EQ(bn, kn);
}

struct Step {
  uint32_t key;
  uint32_t qsize;
  int32_t prog_fd;
  uint64_t flags;
};

class CpumapKernel : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CpumapKernel, SameAnswersAsTheKernel) {
  const uint32_t vs = GetParam(), max = 8, ncpus = possible_cpus();
  testing::KernelMap km(BPF_MAP_TYPE_CPUMAP, 4, vs, max, 0);
  if (km.fd < 0) GTEST_SKIP() << "bpf() unavailable (" << km.fd << "): no kernel to compare with";
  ASSERT_LT(ncpus, max) << "the script needs a key past the last CPU";
  auto bm = make(MapType::kCpumap, vs, max);
  ASSERT_TRUE(bm);
  const std::vector<Step> script = {
      {0, 64, 0, BPF_ANY},     {0, 32, 0, BPF_NOEXIST},   {0, 128, 0, BPF_EXIST},
      {1, 16, 0, 3},           {1, 16, 0, BPF_F_LOCK},    {max, 16, 0, BPF_ANY},
      {1000, 16, 0, BPF_ANY},  {1, 16385, 0, BPF_ANY},    {1, 16384, 0, BPF_ANY},
      {ncpus, 16, 0, BPF_ANY}, {max - 1, 16, 0, BPF_ANY}, {1, 0, 0, BPF_ANY},
      {1, 8, -1, BPF_ANY},     {0, 0, 0, BPF_EXIST},
  };
  for (const Step& s : script) {
    uint32_t v[2] = {s.qsize, static_cast<uint32_t>(s.prog_fd)};
    const long kr = km.update(&s.key, v, s.flags), br = bm->sys_update(&s.key, v, s.flags);
    EXPECT_EQ(br, kr) << "update key " << s.key << " qsize " << s.qsize << " flags " << s.flags;
    same_reads(km, *bm, vs, max);
  }
  for (uint32_t key : {1u, 1u, 0u, max, 1000u})
    EXPECT_EQ(bm->sys_delete(&key), km.remove(&key)) << "delete " << key;
  same_reads(km, *bm, vs, max);
}

INSTANTIATE_TEST_SUITE_P(ValueSizes, CpumapKernel, ::testing::Values(4u, 8u));

TEST(XskmapKernel, SameAnswersAsTheKernel) {
  const uint32_t max = 4;
  testing::KernelMap km(BPF_MAP_TYPE_XSKMAP, 4, 4, max, 0);
  if (km.fd < 0) GTEST_SKIP() << "bpf() unavailable (" << km.fd << "): no kernel to compare with";
  auto bm = make(MapType::kXskmap, 4, max);
  ASSERT_TRUE(bm);
  const int file = open("/dev/null", O_RDONLY);
  const int udp = socket(AF_INET, SOCK_DGRAM, 0);
  const int xsk = socket(AF_XDP, SOCK_RAW, 0);  // unbound (or -1 where AF_XDP is missing)
  ASSERT_GE(file, 0);
  ASSERT_GE(udp, 0);
  std::vector<std::pair<int32_t, uint64_t>> values = {
      {file, BPF_ANY}, {udp, BPF_ANY},     {9999, BPF_ANY}, {-1, BPF_ANY},
      {udp, 3},        {udp, BPF_NOEXIST}, {udp, BPF_EXIST}};
  const int xsk2 = socket(AF_XDP, SOCK_RAW, 0);
  if (xsk >= 0 && xsk2 >= 0) {
    for (uint64_t flags : {BPF_EXIST, BPF_NOEXIST, BPF_ANY, BPF_NOEXIST, BPF_EXIST})
      values.push_back({xsk, flags});
    for (uint64_t flags : {BPF_NOEXIST, BPF_EXIST, BPF_ANY}) values.push_back({xsk2, flags});
  }
  for (uint32_t key : {0u, 3u, max, 100u}) {
    for (auto [fd, flags] : values) {
      EXPECT_EQ(bm->sys_update(&key, &fd, flags), km.update(&key, &fd, flags))
          << "update key " << key << " fd " << fd << " flags " << flags;
    }
  }
  same_reads(km, *bm, 4, max);
  for (uint32_t key : {0u, 3u, max, 100u})
    EXPECT_EQ(bm->sys_delete(&key), km.remove(&key)) << "delete " << key;
  for (int fd : {file, udp, xsk, xsk2})
    if (fd >= 0) close(fd);
}

// Creation: the same specs are refused (EINVAL as kInvalid, E2BIG as kTooBig) or accepted.
TEST(RedirectMapsKernel, CreationLimits) {
  struct Spec {
    bpf_map_type t;
    uint32_t vs, max, flags;
  };
  const std::vector<Spec> specs = {
      {BPF_MAP_TYPE_CPUMAP, 4, 1, 0},
      {BPF_MAP_TYPE_CPUMAP, 8, 256, 0},
      {BPF_MAP_TYPE_CPUMAP, 12, 4, 0},
      {BPF_MAP_TYPE_CPUMAP, 4, 0, 0},
      {BPF_MAP_TYPE_CPUMAP, 4, 4, BPF_F_RDONLY},
      {BPF_MAP_TYPE_CPUMAP, 4, 4, BPF_F_NUMA_NODE},
      {BPF_MAP_TYPE_XSKMAP, 4, 4, 0},
      {BPF_MAP_TYPE_XSKMAP, 8, 4, 0},
      {BPF_MAP_TYPE_XSKMAP, 4, 4, BPF_F_RDONLY},
      {BPF_MAP_TYPE_XSKMAP, 4, 4, BPF_F_MMAPABLE},
      {BPF_MAP_TYPE_XSKMAP, 4, 0, 0},
  };
  {
    testing::KernelMap probe(BPF_MAP_TYPE_CPUMAP, 4, 4, 1, 0);
    if (probe.fd < 0) GTEST_SKIP() << "bpf() unavailable: no kernel to compare with";
  }
  for (const Spec& s : specs) {
    testing::KernelMap k(s.t, 4, s.vs, s.max, s.flags);
    MapSpec b;
    b.type = s.t == BPF_MAP_TYPE_CPUMAP ? MapType::kCpumap : MapType::kXskmap;
    b.key_size = 4;
    b.value_size = s.vs;
    b.max_entries = s.max;
    b.flags = s.flags;
    b.name = "diff";
    auto r = Map::create(b);
    const std::string what = std::string(s.t == BPF_MAP_TYPE_CPUMAP ? "cpumap" : "xskmap") +
                             " vs " + std::to_string(s.vs) + " max " + std::to_string(s.max) +
                             " flags " + std::to_string(s.flags);
    if (k.fd >= 0) {
      EXPECT_TRUE(r.ok()) << what << ": " << r.error().format();
      continue;
    }
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, k.fd == -E2BIG ? Errc::kTooBig : Errc::kInvalid) << what;
  }
}

}  // namespace
}  // namespace bombus::vm
