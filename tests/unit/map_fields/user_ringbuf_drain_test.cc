// bpf_user_ringbuf_drain through the runtime against the kernel: user space produces the same
// samples (bombus: RingBuf::reserve/submit/discard on the map; kernel: libbpf's user_ring_buffer)
// and the same program drains them; the program's result map ends equal after every drain.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <functional>
#include <vector>

#include "bombus/bombus.h"
#include "vm/maps/ringbuf.h"

namespace bombus {
namespace {

using Result3 = std::array<int64_t, 3>;  // samples, sum, last dynptr_read result

// One "produce" step: value, and whether it is discarded instead of submitted.
struct Sample {
  uint64_t v;
  bool discard;
};
const std::vector<std::vector<Sample>> kRounds = {
    {{5, false}, {1000, true}, {7, false}, {9, false}},
    {{99, false}, {4, false}},
    {},
};

std::vector<Result3> run_bombus() {
  ObjectOptions o;
  o.verify = true;  // dynptrs are modelled (verifier/dynptr.cc): the drain program verifies
  auto obj = Object::open_file(USER_RINGBUF_OBJ, o);
  EXPECT_TRUE(obj.ok());
  if (!obj.ok() || !(*obj)->load().ok()) return {};
  auto* rb = static_cast<vm::RingBuf*>((*obj)->find_map("urb")->raw());
  Program* p = (*obj)->find_program("drain");
  std::vector<uint8_t> pkt(64, 0);
  std::vector<Result3> out;
  for (auto& round : kRounds) {
    for (auto& s : round) {
      void* r = rb->reserve(8);
      std::memcpy(r, &s.v, 8);
      if (s.discard)
        rb->discard(r, 0);
      else
        rb->submit(r, 0);
    }
    TestRun in;
    in.data_in = pkt;
    EXPECT_TRUE(p->test_run(in).ok());
    uint32_t k = 0;
    auto v = (*obj)->find_map("out")->lookup({reinterpret_cast<uint8_t*>(&k), 4});
    Result3 r{};
    if (v.ok()) std::memcpy(r.data(), v->data(), sizeof r);
    out.push_back(r);
  }
  return out;
}

TEST(UserRingbufDrain, SameResultsAsTheKernel) {
  auto mine = run_bombus();
  ASSERT_EQ(mine.size(), kRounds.size());
  EXPECT_EQ(mine[0], (Result3{3, 21, 0}));
  EXPECT_EQ(mine[1], (Result3{4, 120, 0}));  // stopped after 99
  EXPECT_EQ(mine[2], (Result3{5, 124, 0}));

  bpf_object* ko = bpf_object__open_file(USER_RINGBUF_OBJ, nullptr);
  if (!ko || bpf_object__load(ko)) {
    if (ko) bpf_object__close(ko);
    GTEST_SKIP() << "bpf() unavailable: no kernel to compare with";
  }
  int prog = bpf_program__fd(bpf_object__find_program_by_name(ko, "drain"));
  int out_fd = bpf_map__fd(bpf_object__find_map_by_name(ko, "out"));
  user_ring_buffer* urb =
      user_ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(ko, "urb")), nullptr);
  ASSERT_NE(urb, nullptr);
  std::vector<uint8_t> pkt(64, 0);
  for (size_t i = 0; i < kRounds.size(); ++i) {
    for (auto& s : kRounds[i]) {
      void* r = user_ring_buffer__reserve(urb, 8);
      ASSERT_NE(r, nullptr);
      std::memcpy(r, &s.v, 8);
      if (s.discard)
        user_ring_buffer__discard(urb, r);
      else
        user_ring_buffer__submit(urb, r);
    }
    LIBBPF_OPTS(bpf_test_run_opts, t);
    t.data_in = pkt.data();
    t.data_size_in = static_cast<uint32_t>(pkt.size());
    ASSERT_EQ(bpf_prog_test_run_opts(prog, &t), 0);
    uint32_t k = 0;
    Result3 r{};
    ASSERT_EQ(bpf_map_lookup_elem(out_fd, &k, r.data()), 0);
    EXPECT_EQ(r, mine[i]) << "round " << i;
  }
  user_ring_buffer__free(urb);
  bpf_object__close(ko);
}

}  // namespace
}  // namespace bombus
