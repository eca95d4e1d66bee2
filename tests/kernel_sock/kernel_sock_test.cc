// skb->sk at run time, bombus vs the kernel: tests/progs/sock_fields reads the test-run socket's
// struct bpf_sock fields (word, half and byte loads), bpf_sk_fullsock / bpf_tcp_sock /
// bpf_get_listener_sock results, bpf_get_socket_uid / cookie and the __sk_buff fields taken from
// the socket into an array map.
// The same packets go through BPF_PROG_TEST_RUN and through bombus's interpreter, checked
// interpreter and JIT; retvals and the map must be equal. IPv4, IPv6, ARP and frames one byte short
// of their IP header cover the kernel's family/address rules. Skips without bpf().
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "bombus_progs.h"
#include "jit/engine/jit_engine.h"

namespace bombus {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint32_t kSlots = 40;

Bytes frame(uint16_t ethertype, size_t l3_len) {
  Bytes p(14 + l3_len, 0);
  for (int i = 0; i < 6; ++i) p[i] = 0x02, p[6 + i] = 0x04;
  p[12] = static_cast<uint8_t>(ethertype >> 8), p[13] = static_cast<uint8_t>(ethertype);
  for (size_t i = 14; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7 + 3);
  if (ethertype == 0x0800 && l3_len >= 20) p[14] = 0x45, p[23] = 6;
  if (ethertype == 0x86dd && l3_len >= 40) p[14] = 0x60, p[20] = 6;
  return p;
}

std::vector<Bytes> packets() {
  return {frame(0x0800, 60), frame(0x86dd, 80), frame(0x0806, 28), frame(0x0800, 20),
          frame(0x86dd, 40), frame(0x0800, 19), frame(0x86dd, 39)};
}

struct Outcome {
  int err = 0;  // the test run's error (frames too short for their IP header)
  uint32_t sk_fields = 0, sock_info = 0;
  std::vector<uint64_t> slots;
};

std::vector<uint64_t> kernel_slots(int fd) {
  std::vector<uint64_t> v(kSlots);
  for (uint32_t k = 0; k < kSlots; ++k) bpf_map_lookup_elem(fd, &k, &v[k]);
  return v;
}

void kernel_clear(int fd) {
  for (uint32_t k = 0; k < kSlots; ++k) {
    uint64_t z = 0;
    bpf_map_update_elem(fd, &k, &z, BPF_ANY);
  }
}

// false: bpf() unavailable. Otherwise the outcome per packet.
bool kernel_run(std::vector<Outcome>& out) {
  bpf_object* o = bpf_object__open_file(progs::path("sock_fields").c_str(), nullptr);
  if (!o) return false;
  if (bpf_object__load(o) != 0) {
    bpf_object__close(o);
    return false;
  }
  int map = bpf_map__fd(bpf_object__find_map_by_name(o, "sk_out"));
  int a = bpf_program__fd(bpf_object__find_program_by_name(o, "sk_fields"));
  int b = bpf_program__fd(bpf_object__find_program_by_name(o, "skb_sock_info"));
  bool ok = true;
  for (const Bytes& p : packets()) {
    kernel_clear(map);
    Outcome r;
    for (int fd : {a, b}) {
      LIBBPF_OPTS(bpf_test_run_opts, opts);
      opts.data_in = p.data();
      opts.data_size_in = static_cast<uint32_t>(p.size());
      opts.repeat = 1;
      const int err = bpf_prog_test_run_opts(fd, &opts);
      ok &= err == 0 || err == -EINVAL;
      if (err) r.err = err;
      (fd == a ? r.sk_fields : r.sock_info) = opts.retval;
    }
    r.slots = kernel_slots(map);
    out.push_back(r);
  }
  bpf_object__close(o);
  return ok;
}

std::vector<uint64_t> bombus_slots(Map& m) {
  std::vector<uint64_t> v(kSlots);
  for (uint32_t k = 0; k < kSlots; ++k) {
    auto x = m.lookup_u32(k);
    EXPECT_TRUE(x.ok());
    if (x.ok() && x->size() == 8) std::memcpy(&v[k], x->data(), 8);
  }
  return v;
}

TEST(KernelSock, SocketFieldsMatchTestRun) {
  std::vector<Outcome> kernel;
  if (!kernel_run(kernel)) GTEST_SKIP() << "bpf() prog load / test run not available here";
  jit::register_jit_engine();
  const auto pkts = packets();
  int families_seen = 0;
  for (Engine e : {Engine::kInterp, Engine::kChecked, Engine::kJit}) {
    SCOPED_TRACE("engine " + std::to_string(static_cast<int>(e)));
    ObjectOptions o;
    o.engine = e;
    auto obj = Object::open_file(progs::path("sock_fields"), o);
    ASSERT_TRUE(obj.ok()) << obj.error().format();
    auto st = (*obj)->load();
    ASSERT_TRUE(st.ok()) << st.error().format();
    Map* m = (*obj)->find_map("sk_out");
    ASSERT_NE(m, nullptr);
    for (size_t i = 0; i < pkts.size(); ++i) {
      SCOPED_TRACE("packet " + std::to_string(i));
      const Bytes zero(8, 0);
      for (uint32_t k = 0; k < kSlots; ++k) {
        const uint8_t* kp = reinterpret_cast<const uint8_t*>(&k);
        ASSERT_TRUE(m->update({kp, 4}, zero).ok());
      }
      TestRun in;
      in.data_in = pkts[i];
      auto a = (*obj)->find_program("sk_fields")->test_run(in);
      auto b = (*obj)->find_program("skb_sock_info")->test_run(in);
      if (kernel[i].err) {
        ASSERT_FALSE(a.ok());
        EXPECT_EQ(a.error().neg_errno(), kernel[i].err) << a.error().format();
        EXPECT_FALSE(b.ok());
        continue;
      }
      ASSERT_TRUE(a.ok()) << a.error().format();
      ASSERT_TRUE(b.ok()) << b.error().format();
      EXPECT_EQ(a->retval, kernel[i].sk_fields);
      EXPECT_EQ(b->retval, kernel[i].sock_info);
      const auto mine = bombus_slots(*m);
      for (uint32_t k = 0; k < kSlots; ++k) EXPECT_EQ(mine[k], kernel[i].slots[k]) << "slot " << k;
      families_seen += kernel[i].slots[0] != 0;
    }
  }
  EXPECT_GE(families_seen, 12);  // IPv4 and IPv6 frames give a family, on every engine
}

}  // namespace
}  // namespace bombus
