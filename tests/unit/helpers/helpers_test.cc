// Helper implementations called the way engines call them (five u64 arguments).
#include "vm/helpers/helpers.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <string>
#include <vector>

#include "platform/ctx_structs.h"
#include "platform/helper_protos.h"
#include "vm/maps/map.h"
#include "vm/maps/ringbuf.h"

namespace bombus::vm {
namespace {

using u64 = uint64_t;
template <typename T>
u64 A(T* p) {
  return reinterpret_cast<u64>(p);
}
u64 call(int id, u64 a = 0, u64 b = 0, u64 c = 0, u64 d = 0, u64 e = 0) {
  HelperFn f = helper_table()[id];
  EXPECT_NE(f, nullptr) << id;
  return f ? f(a, b, c, d, e) : ~0ULL;
}

TEST(HelperTable, EveryImplementationHasAPrototype) {
  for (int id = 0; id < kMaxHelperId; ++id) {
    if (!helper_implemented(id)) continue;
    const auto* p = platform::helper_proto(id);
    ASSERT_NE(p, nullptr) << id;
    EXPECT_TRUE(p->known) << id << " " << p->name;
  }
  EXPECT_FALSE(helper_implemented(12));  // tail_call belongs to the engines
  EXPECT_TRUE(helper_implemented(1));
  EXPECT_EQ(platform::helper_proto_by_name("bpf_ringbuf_reserve")->id, 131);
}

TEST(MapHelpers, LookupUpdateDelete) {
  MapSpec s;
  s.type = platform::MapType::kHash;
  s.key_size = 4;
  s.value_size = 8;
  s.max_entries = 2;
  auto m = std::move(Map::create(s)).value();
  uint32_t k = 1;
  uint64_t v = 77;
  EXPECT_EQ(call(1, A(m.get()), A(&k)), 0u);
  EXPECT_EQ(call(2, A(m.get()), A(&k), A(&v), 0), 0u);
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(call(1, A(m.get()), A(&k))), 77u);
  EXPECT_EQ(static_cast<int64_t>(call(2, A(m.get()), A(&k), A(&v), platform::kNoExist)), -17);
  EXPECT_EQ(call(3, A(m.get()), A(&k)), 0u);
  EXPECT_EQ(static_cast<int64_t>(call(3, A(m.get()), A(&k))), -2);
}

TEST(RingbufHelpers, ReserveSubmitOutputQuery) {
  MapSpec s;
  s.type = platform::MapType::kRingbuf;
  s.max_entries = 4096;
  auto m = std::move(Map::create(s)).value();
  auto* rb = static_cast<RingBuf*>(m.get());
  u64 p = call(131, A(m.get()), 8, 0);
  ASSERT_NE(p, 0u);
  *reinterpret_cast<uint64_t*>(p) = 5;
  EXPECT_EQ(call(132, p, 0), 0u);
  uint32_t x = 9;
  EXPECT_EQ(call(130, A(m.get()), A(&x), 4, 0), 0u);
  EXPECT_EQ(call(134, A(m.get()), platform::kRbAvailData), 32u);
  std::vector<size_t> sizes;
  rb->consume([&](void*, size_t n) {
    sizes.push_back(n);
    return 0;
  });
  EXPECT_EQ(sizes, (std::vector<size_t>{8, 4}));
  EXPECT_EQ(call(131, A(m.get()), 8000, 0), 0u);
}

TEST(ProbeRead, FailsCleanlyOnUnmappedMemory) {
  void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  char buf[16];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_EQ(static_cast<int64_t>(call(113, A(buf), 16, A(page))), -14);
  EXPECT_EQ(buf[3], 0);
  const char* hello = "hello";
  EXPECT_EQ(call(113, A(buf), 6, A(hello)), 0u);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(call(115, A(buf), 4, A(hello)), 4u);  // truncated, NUL included
  EXPECT_STREQ(buf, "hel");
  EXPECT_EQ(call(115, A(buf), 16, A(hello)), 6u);
  EXPECT_EQ(static_cast<int64_t>(call(115, A(buf), 16, A(page))), -14);
  munmap(page, 4096);
}

TEST(Printf, KernelFormats) {
  std::string out;
  uint64_t args[] = {static_cast<uint64_t>(-5), 0xffffffffULL, 0x1234, 0};
  const char fmt[] = "a=%d b=%u c=%x %%";
  EXPECT_GT(bpf_format(out, fmt, sizeof fmt, args), 0);
  EXPECT_EQ(out, "a=-5 b=4294967295 c=1234 %");
  const char bad[] = "%q";
  EXPECT_EQ(bpf_format(out, bad, sizeof bad, args), -22);
  uint8_t ip[4] = {10, 0, 0, 1};
  uint64_t ipargs[] = {A(ip)};
  const char f2[] = "ip %pI4";
  bpf_format(out, f2, sizeof f2, ipargs);
  EXPECT_EQ(out, "ip 10.0.0.1");
  std::string got;
  set_trace_sink([&](std::string_view s) { got = s; });
  const char f3[] = "x=%lld\n";
  EXPECT_EQ(call(6, A(f3), sizeof f3, static_cast<uint64_t>(-1)), 5u);
  EXPECT_EQ(got, "x=-1\n");
  set_trace_sink(nullptr);
  char dst[8];
  uint64_t d[] = {12345678};
  const char f4[] = "%d";
  EXPECT_EQ(call(165, A(dst), sizeof dst, A(f4), A(d), 8), 9u);  // length + NUL, truncated
  EXPECT_STREQ(dst, "1234567");
}

TEST(Checksums, DiffAndReplaceAgreeWithRecomputation) {
  // An IPv4 header with a valid checksum; change the TTL with l3_csum_replace.
  uint8_t pkt[64] = {};
  uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  auto full = [](const uint8_t* h) {
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (h[i] << 8) | h[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
  };
  uint16_t c = full(ip);
  ip[10] = c >> 8, ip[11] = c & 0xff;
  std::memcpy(pkt + 14, ip, 20);
  platform::SkbCtx skb;
  skb.buf = pkt;
  skb.buf_size = sizeof pkt;
  skb.data = A(pkt);
  skb.data_end = A(pkt) + sizeof pkt;
  uint16_t old_word, new_word;
  std::memcpy(&old_word, pkt + 14 + 8, 2);
  pkt[14 + 8] = 32;  // TTL 64 -> 32
  std::memcpy(&new_word, pkt + 14 + 8, 2);
  EXPECT_EQ(call(10, A(&skb), 14 + 10, old_word, new_word, 2), 0u);
  uint8_t check[20];
  std::memcpy(check, pkt + 14, 20);
  check[10] = check[11] = 0;
  uint16_t want = full(check);
  EXPECT_EQ((pkt[24] << 8) | pkt[25], want);
  // csum_diff of identical buffers is the seed's fold-equivalent.
  uint32_t a[2] = {1, 2};
  u64 diff = call(28, A(a), 8, A(a), 8, 0);
  EXPECT_EQ(diff % 0xffff, 0u);
  EXPECT_EQ(static_cast<int64_t>(call(28, A(a), 3, A(a), 8, 0)), -22);
  EXPECT_EQ(static_cast<int64_t>(call(10, A(&skb), 63, 0, 0, 2)), -14);
}

TEST(XdpHelpers, AdjustHeadTailMeta) {
  std::vector<uint8_t> frame(4096);
  platform::XdpCtx x;
  x.frame = frame.data();
  x.frame_size = 4096;
  x.data = A(frame.data()) + platform::kXdpHeadroom;
  x.data_meta = x.data;
  x.data_end = x.data + 60;
  EXPECT_EQ(call(44, A(&x), static_cast<u64>(-14)), 0u);  // push a header
  EXPECT_EQ(call(188, A(&x)), 74u);
  EXPECT_EQ(static_cast<int64_t>(call(44, A(&x), static_cast<u64>(-300))), -22);
  EXPECT_EQ(static_cast<int64_t>(call(44, A(&x), 70)), -22);  // would leave < ETH_HLEN
  EXPECT_EQ(call(65, A(&x), static_cast<u64>(-10)), 0u);
  EXPECT_EQ(call(188, A(&x)), 64u);
  EXPECT_EQ(static_cast<int64_t>(call(65, A(&x), 4000)), -22);
  EXPECT_EQ(call(54, A(&x), static_cast<u64>(-8)), 0u);
  EXPECT_EQ(x.data - x.data_meta, 8u);
  EXPECT_EQ(static_cast<int64_t>(call(54, A(&x), static_cast<u64>(-6))), -13);
  uint8_t b[4] = {1, 2, 3, 4}, r[4];
  EXPECT_EQ(call(190, A(&x), 10, A(b), 4), 0u);
  EXPECT_EQ(call(189, A(&x), 10, A(r), 4), 0u);
  EXPECT_EQ(r[3], 4);
  EXPECT_EQ(static_cast<int64_t>(call(189, A(&x), 62, A(r), 4)), -22);
}

TEST(Callbacks, LoopNeedsAnEngineHook) {
  RunState st;
  RunScope scope(st);
  EXPECT_EQ(static_cast<int64_t>(call(181, 3, 0, 0, 0)), -95);
  st.hooks.call_function = [](const void*, u64 fn, u64 i, u64 ctx, u64, u64, u64) -> u64 {
    ++*reinterpret_cast<u64*>(ctx);
    return i == 4;  // stop after the fifth call
  };
  u64 count = 0;
  EXPECT_EQ(call(181, 10, 0, A(&count), 0), 5u);
  EXPECT_EQ(count, 5u);
  EXPECT_EQ(static_cast<int64_t>(call(181, 10, 0, A(&count), 1)), -22);
}

}  // namespace
}  // namespace bombus::vm
