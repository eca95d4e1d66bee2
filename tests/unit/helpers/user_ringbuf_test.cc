// bpf_user_ringbuf_drain (209): user space produces with RingBuf::reserve/submit/discard, a
// program drains through its callback, reading each sample with bpf_dynptr_read (201). Order,
// discarded and not-yet-committed samples, the callback's stop, and the errnos.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "vm/helpers/helpers.h"
#include "vm/interp.h"
#include "vm/maps/ringbuf.h"

namespace bombus::vm {
namespace {

using isa::Insn;

void lddw(std::vector<Insn>& p, uint8_t dst, uint64_t v) {
  p.push_back({0x18, dst, 0, 0, static_cast<int32_t>(v)});
  p.push_back({0, 0, 0, 0, static_cast<int32_t>(v >> 32)});
}

// ctx = u64 {drain result, sum of samples, last dynptr_read result}.
std::vector<Insn> drain_program(Map* m) {
  std::vector<Insn> p;
  p.push_back({0xbf, 6, 1, 0, 0});  // r6 = ctx
  lddw(p, 1, reinterpret_cast<uint64_t>(m));
  size_t cb_at = p.size();
  lddw(p, 2, 0);
  p.push_back({0xbf, 3, 6, 0, 0});  // r3 = ctx
  p.push_back({0xb7, 4, 0, 0, 0});
  p.push_back({0x85, 0, 0, 0, 209});
  p.push_back({0x7b, 6, 0, 0, 0});  // ctx[0] = r0
  p.push_back({0xb7, 0, 0, 0, 0});
  p.push_back({0x95});
  p[cb_at].imm = static_cast<int32_t>(p.size());
  p.push_back({0xbf, 6, 2, 0, 0});    // r6 = ctx
  p.push_back({0xbf, 3, 1, 0, 0});    // r3 = dynptr
  p.push_back({0x7a, 10, 0, -8, 0});  // *(u64*)(r10-8) = 0
  p.push_back({0xbf, 1, 10, 0, 0});
  p.push_back({0x07, 1, 0, 0, -8});   // r1 = r10 - 8
  p.push_back({0xb7, 2, 0, 0, 8});    // len 8
  p.push_back({0xb7, 4, 0, 0, 0});    // offset 0
  p.push_back({0xb7, 5, 0, 0, 0});    // flags
  p.push_back({0x85, 0, 0, 0, 201});  // bpf_dynptr_read
  p.push_back({0x7b, 6, 0, 16, 0});   // ctx[2] = r0
  p.push_back({0x79, 1, 10, -8, 0});  // r1 = sample
  p.push_back({0x79, 2, 6, 8, 0});
  p.push_back({0x0f, 2, 1, 0, 0});
  p.push_back({0x7b, 6, 2, 8, 0});  // ctx[1] += sample
  p.push_back({0xb7, 0, 0, 0, 0});
  p.push_back({0x55, 1, 0, 1, 99});  // if sample != 99 skip
  p.push_back({0xb7, 0, 0, 0, 1});   // stop
  p.push_back({0x95});
  return p;
}

struct Fixture {
  std::unique_ptr<Map> map;
  RingBuf* rb = nullptr;
  std::unique_ptr<Interpreter> ip;
  Fixture() {
    MapSpec s;
    s.type = platform::MapType::kUserRingbuf;
    s.max_entries = 4096;
    map = std::move(Map::create(s)).value();
    rb = static_cast<RingBuf*>(map.get());
    InterpOptions o;
    o.helpers = helper_table();
    ip = std::make_unique<Interpreter>(
        std::move(Interpreter::create(drain_program(map.get()), o)).value());
  }
  void produce(uint64_t v, uint32_t size = 8, bool discard = false) {
    void* r = rb->reserve(size);
    ASSERT_NE(r, nullptr);
    std::memcpy(r, &v, size);
    if (discard)
      rb->discard(r, 0);
    else
      rb->submit(r, 0);
  }
  std::vector<int64_t> drain() {
    std::vector<int64_t> ctx(3, 0);
    EXPECT_TRUE(ip->run(ctx.data(), 24).ok());
    return ctx;
  }
};

TEST(UserRingbuf, DrainsCommittedSamplesInOrder) {
  Fixture f;
  f.produce(5);
  f.produce(1000, 8, true);  // discarded: skipped
  f.produce(7);
  f.produce(9);
  void* busy = f.rb->reserve(8);  // reserved, not committed: the drain stops before it
  ASSERT_NE(busy, nullptr);
  auto r = f.drain();
  EXPECT_EQ(r[0], 3);
  EXPECT_EQ(r[1], 21);
  EXPECT_EQ(r[2], 0);
  uint64_t v = 11;
  std::memcpy(busy, &v, 8);
  f.rb->submit(busy, 0);
  r = f.drain();
  EXPECT_EQ(r[0], 1);
  EXPECT_EQ(r[1], 11);
  EXPECT_EQ(f.drain()[0], 0);  // empty
}

TEST(UserRingbuf, CallbackStopsAndDynptrBounds) {
  Fixture f;
  f.produce(99);
  f.produce(4);
  auto r = f.drain();
  EXPECT_EQ(r[0], 1);  // the callback returned 1 after 99
  EXPECT_EQ(r[1], 99);
  r = f.drain();
  EXPECT_EQ(r[0], 1);
  EXPECT_EQ(r[1], 4);
  f.produce(3, 4);  // a 4-byte sample: reading 8 bytes is -E2BIG
  r = f.drain();
  EXPECT_EQ(r[0], 1);
  EXPECT_EQ(r[2], -7);
}

TEST(UserRingbuf, Errnos) {
  Fixture f;
  HelperFn drain = helper_table()[209];
  ASSERT_NE(drain, nullptr);
  EXPECT_EQ(static_cast<int64_t>(drain(reinterpret_cast<uint64_t>(f.map.get()), 0, 0, 4, 0)), -22);
  MapSpec s;
  s.type = platform::MapType::kRingbuf;
  s.max_entries = 4096;
  auto plain = std::move(Map::create(s)).value();
  EXPECT_EQ(static_cast<int64_t>(drain(reinterpret_cast<uint64_t>(plain.get()), 0, 0, 0, 0)), -22);
  // Outside a program run there is no engine to call back.
  EXPECT_EQ(static_cast<int64_t>(drain(reinterpret_cast<uint64_t>(f.map.get()), 0, 0, 0, 0)), -95);
  EXPECT_EQ(f.rb->reserve(8192), nullptr);  // larger than the ring
}

}  // namespace
}  // namespace bombus::vm
