// BPF_F_NO_COMMON_LRU vs the kernel: with the test thread pinned to one CPU at a time (and the
// bombus execution slot set to the same CPU), the same sequence of updates (all flags), deletes,
// syscall lookups and program lookups (which set the reference bit; the kernel's through an XDP
// test run) on an overfilled per-CPU-LRU hash leaves exactly the same keys and values in both —
// the eviction order of the kernel's per-CPU active/inactive lists is deterministic there.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sched.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "kernel_map.h"
#include "vm/abi.h"
#include "vm/maps/map.h"

namespace bombus::vm {
namespace {

// XDP program: if the packet has 4 bytes, bpf_map_lookup_elem(map, data); returns XDP_PASS.
int load_lookup_prog(int map_fd) {
  bpf_insn p[] = {
      {BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0},    // r2 = ctx->data
      {BPF_LDX | BPF_MEM | BPF_W, 3, 1, 4, 0},    // r3 = ctx->data_end
      {BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0},  // r4 = r2
      {BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 4},  // r4 += 4
      {BPF_JMP | BPF_JGT | BPF_X, 4, 3, 3, 0},    // if r4 > r3 goto out
      {BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd},
      {0, 0, 0, 0, 0},
      {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem},
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS},  // out:
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  return bpf_prog_load(BPF_PROG_TYPE_XDP, "lru_lookup", "GPL", p, sizeof(p) / sizeof(p[0]),
                       nullptr);
}

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

using Contents = std::map<uint32_t, std::vector<uint64_t>>;

Contents contents_bombus(Map& m, uint32_t vsz) {
  Contents out;
  uint32_t k = 0, next;
  bool have = false;
  while (m.get_next_key(have ? &k : nullptr, &next) == 0 && out.size() < 10000) {
    std::vector<uint64_t> v(vsz / 8);
    if (m.sys_lookup(&next, v.data(), 0) == 0) out[next] = v;
    k = next;
    have = true;
  }
  return out;
}
Contents contents_kernel(testing::KernelMap& km, uint32_t vsz) {
  Contents out;
  uint32_t k = 0, next;
  bool have = false;
  while (km.next(have ? &k : nullptr, &next) == 0 && out.size() < 10000) {
    std::vector<uint64_t> v(vsz / 8);
    if (km.lookup(&next, v.data()) == 0) out[next] = v;
    k = next;
    have = true;
  }
  return out;
}

void differential(bpf_map_type type, uint32_t seed) {
  int ncpus = libbpf_num_possible_cpus();
  ASSERT_GT(ncpus, 0);
  const uint32_t kMax = 8 * static_cast<uint32_t>(ncpus) - 1;  // rounded up like the kernel
  testing::KernelMap km(type, 4, 8, kMax, BPF_F_NO_COMMON_LRU);
  if (km.fd < 0) GTEST_SKIP() << "bpf() unavailable (" << km.fd << "): no kernel to compare with";
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  ASSERT_EQ(bpf_obj_get_info_by_fd(km.fd, &info, &len), 0);
  int prog = load_lookup_prog(km.fd);
  ASSERT_GE(prog, 0) << "kernel refused the lookup program";
  cpu_set_t saved;
  sched_getaffinity(0, sizeof(saved), &saved);

  MapSpec s;
  s.type = static_cast<platform::MapType>(type);
  s.key_size = 4;
  s.value_size = 8;
  s.max_entries = kMax;
  s.flags = platform::kFNoCommonLru;
  MapOptions o;
  o.ncpus = static_cast<uint32_t>(ncpus);
  auto bm = std::move(Map::create(s, o)).value();
  EXPECT_EQ(bm->spec().max_entries, info.max_entries);
  bool percpu = type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  uint32_t vsz = percpu ? 8 * ncpus : 8;

  std::mt19937 rng(seed);
  for (int phase = 0; phase < 6; ++phase) {
    int cpu = phase % ncpus;
    if (!pin_to(cpu)) GTEST_SKIP() << "cannot pin the test thread to CPU " << cpu;
    RunState rs;
    rs.cpu = static_cast<uint32_t>(cpu);
    RunScope scope(rs);
    for (int step = 0; step < 300; ++step) {
      uint32_t k = rng() % 40;
      uint32_t op = rng() % 10;
      if (op < 5) {
        std::vector<uint64_t> v(vsz / 8, rng());
        uint64_t flags = rng() % 3;
        ASSERT_EQ(bm->sys_update(&k, v.data(), flags), km.update(&k, v.data(), flags))
            << phase << "/" << step;
      } else if (op < 6) {
        ASSERT_EQ(bm->sys_delete(&k), km.remove(&k)) << phase << "/" << step;
      } else if (op < 8) {
        std::vector<uint64_t> a(vsz / 8), b(vsz / 8);
        ASSERT_EQ(bm->sys_lookup(&k, a.data(), 0), km.lookup(&k, b.data())) << step;
      } else {
        // A program's lookup: sets the reference bit.
        (void)bm->lookup(&k);
        uint8_t pkt[64] = {};
        std::memcpy(pkt, &k, 4);
        LIBBPF_OPTS(bpf_test_run_opts, t);
        t.data_in = pkt;
        t.data_size_in = sizeof(pkt);
        ASSERT_EQ(bpf_prog_test_run_opts(prog, &t), 0);
      }
      if (step % 25 == 0) {
        auto a = contents_bombus(*bm, vsz), b = contents_kernel(km, vsz);
        ASSERT_EQ(a, b) << "phase " << phase << " step " << step;
      }
    }
  }
  sched_setaffinity(0, sizeof(saved), &saved);
  close(prog);
}

TEST(LruKernel, PerCpuListsEvictTheSameKeysAsTheKernel) {
  differential(BPF_MAP_TYPE_LRU_HASH, 21);
}
TEST(LruKernel, PerCpuListsOfAPercpuLruHashEvictTheSameKeys) {
  differential(BPF_MAP_TYPE_LRU_PERCPU_HASH, 22);
}

}  // namespace
}  // namespace bombus::vm
