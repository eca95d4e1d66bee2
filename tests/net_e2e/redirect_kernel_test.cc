// bpf_redirect / bpf_redirect_map against the kernel: progs/net_redirect.bpf.o loaded by libbpf
// and by bombus (interpreter and JIT), the same devmap contents on both (entries name the
// loopback device, which always exists), the same cpumap entries (CPUs 0 and 1), an empty
// xskmap (the kernel's needs real AF_XDP sockets), and for each (map, key, flags) packet the retval
// of BPF_PROG_TEST_RUN must equal bombus's: XDP_REDIRECT on a hit or a broadcast, the low flag bits
// on a miss, XDP_ABORTED for flags the map type refuses; tc's bpf_redirect the same way. Skips
// cleanly where bpf() is unavailable.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "jit/engine/jit_engine.h"

namespace bombus {
namespace {

constexpr uint32_t kLo = 1;      // loopback: a device the kernel's devmaps accept in any netns
constexpr uint32_t kQsize = 64;  // a cpumap entry's queue size

std::vector<uint8_t> args_packet(uint8_t map, uint32_t key, uint64_t flags) {
  std::vector<uint8_t> p(60, 0);
  std::memset(p.data(), 0x02, 12);
  p[12] = 0x88, p[13] = 0xb5;
  p[14] = map;
  std::memcpy(&p[15], &key, 4);
  std::memcpy(&p[19], &flags, 8);
  return p;
}

struct Probe {
  const char* prog;
  uint8_t map;
  uint32_t key;
  uint64_t flags;
};

std::vector<Probe> probes() {
  std::vector<Probe> v;
  for (const char* prog : {"xdp_redirect_pkt", "xdp_redirect_twice"}) {
    for (uint8_t map : {0, 1, 2, 3}) {
      for (uint32_t key : {0u, 1u, 2u, 7u, 100u, 1000u}) {
        for (uint64_t flags :
             {0ull, 1ull, 2ull, 3ull, 4ull, 8ull, 9ull, 16ull, 24ull, 26ull, 32ull, 1ull << 40})
          v.push_back({prog, map, key, flags});
      }
    }
  }
  for (uint32_t key : {0u, 1u, 5u}) v.push_back({"xdp_sock_queue", 0, key, 0});
  for (uint64_t flags : {0ull, 1ull, 2ull, 8ull, 16ull, 1ull << 33}) {
    v.push_back({"xdp_redirect_ifindex", 0, 5, flags});
    v.push_back({"tc_redirect", 0, 5, flags});
  }
  return v;
}

class KernelSide {
 public:
  ~KernelSide() {
    if (obj_) bpf_object__close(obj_);
  }
  bool open() {
    obj_ = bpf_object__open_file(NET_REDIRECT_OBJ, nullptr);
    if (!obj_ || bpf_object__load(obj_) != 0) return false;
    return fill("ports", 0) && fill("ports", 2) && fill("ports_hash", 100) &&
           fill("ports_hash", 7) && fill("cpus", 0, kQsize) && fill("cpus", 1, kQsize);
  }
  bool fill(const char* map, uint32_t key, uint32_t first = kLo) {
    bpf_map* m = bpf_object__find_map_by_name(obj_, map);
    if (!m) return false;
    std::vector<uint8_t> v(bpf_map__value_size(m), 0);
    std::memcpy(v.data(), &first, 4);
    return bpf_map_update_elem(bpf_map__fd(m), &key, v.data(), BPF_ANY) == 0;
  }
  int retval(const char* prog, const std::vector<uint8_t>& pkt) {
    bpf_program* p = bpf_object__find_program_by_name(obj_, prog);
    if (!p) return -1000;
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt.data(), .data_size_in = (__u32)pkt.size());
    if (bpf_prog_test_run_opts(bpf_program__fd(p), &o) != 0) return -1001;
    return static_cast<int>(o.retval);
  }

 private:
  bpf_object* obj_ = nullptr;
};

void put(bombus::Map* m, uint32_t key, uint32_t first = kLo) {
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> v(m->value_size(), 0);
  std::memcpy(v.data(), &first, 4);
  ASSERT_TRUE(m->update({reinterpret_cast<const uint8_t*>(&key), 4}, v).ok());
}

class RedirectKernel : public ::testing::TestWithParam<bombus::Engine> {};

TEST_P(RedirectKernel, SameVerdictsAsBpfProgTestRun) {
  if (!std::filesystem::exists(NET_REDIRECT_OBJ)) GTEST_SKIP() << NET_REDIRECT_OBJ << " not built";
  KernelSide kernel;
  if (!kernel.open()) GTEST_SKIP() << "bpf() unavailable here (cannot load the object)";
  jit::register_jit_engine();
  ObjectOptions oo;
  oo.engine = GetParam();
  auto obj = bombus::Object::open_file(NET_REDIRECT_OBJ, oo);
  ASSERT_TRUE(obj.ok()) << obj.error().format();
  ASSERT_TRUE((*obj)->load().ok());
  put((*obj)->find_map("ports"), 0);
  put((*obj)->find_map("ports"), 2);
  put((*obj)->find_map("ports_hash"), 100);
  put((*obj)->find_map("ports_hash"), 7);
  put((*obj)->find_map("cpus"), 0, kQsize);
  put((*obj)->find_map("cpus"), 1, kQsize);
  size_t redirects = 0, cpu_redirects = 0, compared = 0;
  for (const Probe& pr : probes()) {
    const std::vector<uint8_t> pkt = args_packet(pr.map, pr.key, pr.flags);
    const int want = kernel.retval(pr.prog, pkt);
    ASSERT_GE(want, 0) << pr.prog << ": BPF_PROG_TEST_RUN failed";
    bombus::Program* p = (*obj)->find_program(pr.prog);
    ASSERT_NE(p, nullptr);
    TestRun r;
    r.data_in = pkt;
    auto got = p->test_run(r);
    ASSERT_TRUE(got.ok()) << got.error().format();
    EXPECT_EQ(static_cast<int>(got->retval), want)
        << pr.prog << " map " << int(pr.map) << " key " << pr.key << " flags " << pr.flags;
    redirects += want == 4 || want == 7;
    cpu_redirects += pr.map == 2 && want == 4;
    ++compared;
  }
  EXPECT_GT(redirects, 20u);     // the probes do reach the redirect paths
  EXPECT_GT(cpu_redirects, 4u);  // cpumap hits on CPUs 0 and 1
  EXPECT_EQ(compared, probes().size());
}

INSTANTIATE_TEST_SUITE_P(Engines, RedirectKernel,
                         ::testing::Values(bombus::Engine::kInterp, bombus::Engine::kJit),
                         [](const auto& info) {
                           return std::string(info.param == bombus::Engine::kJit ? "Jit"
                                                                                 : "Interp");
                         });

}  // namespace
}  // namespace bombus
