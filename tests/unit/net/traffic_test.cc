// The traffic generator is deterministic per seed, produces the promised mix, and every
// well-formed packet carries correct checksums (verified here independently of the generator's
// own checksum code path by summing whole headers, which must fold to 0xffff).
#include "net/traffic.h"

#include <gtest/gtest.h>

namespace bombus::net {
namespace {

uint16_t be16(const std::vector<uint8_t>& d, size_t at) {
  return static_cast<uint16_t>((d[at] << 8) | d[at + 1]);
}

// One's complement sum over bytes, independent of checksum_add.
uint16_t ones_sum(const uint8_t* p, size_t n, uint64_t start = 0) {
  uint64_t s = start;
  for (size_t i = 0; i < n; ++i) s += (i % 2 == 0) ? (static_cast<uint64_t>(p[i]) << 8) : p[i];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

TEST(Traffic, DeterministicPerSeed) {
  TrafficOptions o;
  o.count = 300;
  auto a = generate_traffic(o);
  auto b = generate_traffic(o);
  ASSERT_EQ(a.size(), 300u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].data, b[i].data);
    EXPECT_EQ(a[i].ts_ns, b[i].ts_ns);
  }
  o.seed = 2;
  auto c = generate_traffic(o);
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].data == c[i].data;
  EXPECT_LT(same, 10u);
}

TEST(Traffic, MixAndChecksums) {
  TrafficOptions o;
  o.count = 3000;
  o.malformed_percent = 0;
  o.truncated_percent = 0;
  auto pkts = generate_traffic(o);
  size_t v4 = 0, v6 = 0, vlan = 0, arp = 0, frags = 0, tcp = 0, udp = 0, icmp = 0, icmp6 = 0;
  uint64_t prev_ts = 0;
  for (const Packet& p : pkts) {
    ASSERT_GE(p.data.size(), 60u);
    ASSERT_EQ(p.wire_len, p.data.size());
    ASSERT_GT(p.ts_ns, prev_ts);
    prev_ts = p.ts_ns;
    size_t l3 = 14;
    uint16_t type = be16(p.data, 12);
    if (type == 0x8100) {
      ++vlan;
      type = be16(p.data, 16);
      l3 = 18;
    }
    const uint8_t* ip = p.data.data() + l3;
    if (type == 0x0806) {
      ++arp;
    } else if (type == 0x0800) {
      ++v4;
      size_t ihl = (ip[0] & 0xf) * 4u;
      ASSERT_EQ(ihl, 20u);
      EXPECT_EQ(ones_sum(ip, ihl), 0xffff) << "ipv4 header checksum";
      uint16_t total = be16(p.data, l3 + 2);
      ASSERT_LE(l3 + total, p.data.size());
      uint16_t frag = be16(p.data, l3 + 6);
      if (frag & 0x3fff) {
        ++frags;
        continue;
      }
      uint8_t proto = ip[9];
      uint64_t pseudo = proto == 1 ? 0 : ones_sum(ip + 12, 8) + proto + (total - ihl);
      EXPECT_EQ(ones_sum(ip + ihl, total - ihl, pseudo), 0xffff)
          << "l4 checksum proto " << int(proto);
      tcp += proto == 6;
      udp += proto == 17;
      icmp += proto == 1;
    } else if (type == 0x86dd) {
      ++v6;
      uint16_t plen = be16(p.data, l3 + 4);
      uint8_t nh = ip[6];
      size_t off = 40;
      if (nh == 0) {
        nh = ip[40];
        off += 8;
      }
      size_t l4len = plen - (off - 40);
      uint64_t pseudo = ones_sum(ip + 8, 32) + nh + l4len;
      EXPECT_EQ(ones_sum(ip + off, l4len, pseudo), 0xffff) << "v6 l4 checksum nh " << int(nh);
      tcp += nh == 6;
      udp += nh == 17;
      icmp6 += nh == 58;
    } else {
      ADD_FAILURE() << "unexpected ethertype " << type;
    }
  }
  EXPECT_GT(v4, 1000u);
  EXPECT_GT(v6, 500u);
  EXPECT_GT(vlan, 150u);
  EXPECT_GT(arp, 10u);
  EXPECT_GT(frags, 50u);
  EXPECT_GT(tcp, 500u);
  EXPECT_GT(udp, 500u);
  EXPECT_GT(icmp, 50u);
  EXPECT_GT(icmp6, 50u);
}

TEST(Traffic, MalformedAndTruncatedAppear) {
  TrafficOptions o;
  o.count = 2000;
  o.malformed_percent = 20;
  o.truncated_percent = 10;
  auto pkts = generate_traffic(o);
  size_t truncated = 0, bad_ihl = 0;
  for (const Packet& p : pkts) {
    truncated += p.data.size() < p.wire_len;
    if (p.data.size() > 15 && be16(p.data, 12) == 0x0800 && (p.data[14] & 0xf) < 5) ++bad_ihl;
  }
  EXPECT_GT(truncated, 100u);
  EXPECT_GT(bad_ihl, 10u);
}

TEST(Traffic, ChecksumHelpers) {
  // RFC 1071 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
  const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_add(d, sizeof d)), 0xddf2);
}

}  // namespace
}  // namespace bombus::net
