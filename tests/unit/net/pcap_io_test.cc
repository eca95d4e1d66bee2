// Capture I/O: round trips through pcap files and memory, pcapng input, and damaged captures
// (truncated at every point of a record, corrupt record header) reported with the packet number
// and file offset after every earlier packet was delivered.
#include "net/pcap_io.h"

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "net/traffic.h"
#include "test_util.h"

namespace bombus::net {
namespace {

using testing::TempDir;

std::vector<Packet> sample(size_t n = 20) {
  TrafficOptions o;
  o.seed = 3;
  o.count = n;
  o.max_payload = 200;
  return generate_traffic(o);
}

void expect_same(const std::vector<Packet>& a, const std::vector<Packet>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].data, b[i].data) << i;
    EXPECT_EQ(a[i].wire_len, b[i].wire_len) << i;
    EXPECT_EQ(a[i].ts_ns / 1000, b[i].ts_ns / 1000) << i;  // pcap keeps microseconds
  }
}

TEST(PcapIo, FileRoundTrip) {
  TempDir dir;
  auto pkts = sample();
  ASSERT_TRUE(write_capture(dir.file("a.pcap"), pkts).ok());
  auto c = read_capture(dir.file("a.pcap"));
  ASSERT_TRUE(c.ok()) << c.error().format();
  EXPECT_FALSE(c->error.has_value());
  EXPECT_EQ(c->info.linktype, kLinkEthernet);
  expect_same(pkts, c->packets);
}

TEST(PcapIo, MemoryRoundTrip) {
  auto pkts = sample();
  auto bytes = capture_to_bytes(pkts);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(load_unaligned<uint32_t>(bytes->data()), 0xa1b2c3d4u);
  auto c = read_capture_memory(*bytes);
  ASSERT_TRUE(c.ok()) << c.error().format();
  expect_same(pkts, c->packets);
}

TEST(PcapIo, MissingAndGarbageFiles) {
  auto m = read_capture("/nonexistent/x.pcap");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().where.object, "/nonexistent/x.pcap");
  auto g = read_capture_memory(std::vector<uint8_t>(100, 0x42), "junk");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().format().find("junk"), std::string::npos);
}

// Record n starts at 24 + sum(16 + caplen of earlier records).
std::vector<size_t> record_offsets(const std::vector<Packet>& pkts) {
  std::vector<size_t> off;
  size_t at = 24;
  for (const Packet& p : pkts) {
    off.push_back(at);
    at += 16 + p.data.size();
  }
  off.push_back(at);
  return off;
}

TEST(PcapIo, TruncatedCaptureNamesPacketAndOffset) {
  auto pkts = sample(8);
  auto bytes = *capture_to_bytes(pkts);
  auto offs = record_offsets(pkts);
  ASSERT_EQ(offs.back(), bytes.size());
  // Cut inside record 5's header and inside its data.
  for (size_t cut : {offs[4] + 7, offs[4] + 16 + 3}) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    auto c = read_capture_memory(part, "cut.pcap");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->error.has_value()) << cut;
    EXPECT_EQ(c->packets.size(), 4u);
    std::string msg = c->error->format();
    EXPECT_NE(msg.find("packet 5"), std::string::npos) << msg;
    EXPECT_EQ(c->error->where.byte_offset, static_cast<int64_t>(offs[4])) << msg;
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;  // libpcap's own words
    expect_same(std::vector<Packet>(pkts.begin(), pkts.begin() + 4), c->packets);
  }
  // Cut exactly at a record boundary: a clean, shorter capture.
  std::vector<uint8_t> clean(bytes.begin(), bytes.begin() + static_cast<long>(offs[6]));
  auto c = read_capture_memory(clean);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->error.has_value());
  EXPECT_EQ(c->packets.size(), 6u);
}

TEST(PcapIo, CorruptRecordHeader) {
  auto pkts = sample(6);
  auto bytes = *capture_to_bytes(pkts);
  auto offs = record_offsets(pkts);
  // Packet 3: original length smaller than the captured length.
  auto a = bytes;
  store_unaligned<uint32_t>(a.data() + offs[2] + 12, 1);
  auto ca = read_capture_memory(a, "bad.pcap");
  ASSERT_TRUE(ca->error.has_value());
  EXPECT_EQ(ca->packets.size(), 2u);
  EXPECT_EQ(ca->error->where.byte_offset, static_cast<int64_t>(offs[2]));
  EXPECT_NE(ca->error->message.find("packet 3"), std::string::npos) << ca->error->format();
  EXPECT_NE(ca->error->message.find("original length"), std::string::npos);
  // Packet 4: an absurd captured length (libpcap refuses it).
  auto b = bytes;
  store_unaligned<uint32_t>(b.data() + offs[3] + 8, 0x7fffffff);
  auto cb = read_capture_memory(b, "bad.pcap");
  ASSERT_TRUE(cb->error.has_value());
  EXPECT_EQ(cb->packets.size(), 3u);
  EXPECT_EQ(cb->error->where.byte_offset, static_cast<int64_t>(offs[3]));
  EXPECT_NE(cb->error->message.find("packet 4"), std::string::npos) << cb->error->format();
  // Packet 2: microsecond field out of range.
  auto d = bytes;
  store_unaligned<uint32_t>(d.data() + offs[1] + 4, 2000000);
  auto cd = read_capture_memory(d, "bad.pcap");
  ASSERT_TRUE(cd->error.has_value());
  EXPECT_EQ(cd->packets.size(), 1u);
  EXPECT_NE(cd->error->message.find("packet 2"), std::string::npos) << cd->error->format();
}

// A minimal pcapng writer for the test: section header, one interface, enhanced packet blocks.
std::vector<uint8_t> to_pcapng(const std::vector<Packet>& pkts) {
  std::vector<uint8_t> out;
  auto u32 = [&](uint32_t v) {
    out.insert(out.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4);
  };
  auto u16 = [&](uint16_t v) {
    out.insert(out.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 2);
  };
  u32(0x0a0d0d0a);
  u32(28);
  u32(0x1a2b3c4d);
  u16(1);
  u16(0);
  u32(0xffffffff);
  u32(0xffffffff);
  u32(28);
  u32(1);
  u32(20);
  u16(1);
  u16(0);
  u32(0);
  u32(20);
  for (const Packet& p : pkts) {
    uint32_t padded = static_cast<uint32_t>((p.data.size() + 3) / 4 * 4);
    uint32_t len = 32 + padded;
    uint64_t us = p.ts_ns / 1000;
    u32(6);
    u32(len);
    u32(0);
    u32(static_cast<uint32_t>(us >> 32));
    u32(static_cast<uint32_t>(us));
    u32(static_cast<uint32_t>(p.data.size()));
    u32(p.wire_len);
    out.insert(out.end(), p.data.begin(), p.data.end());
    out.resize(out.size() + (padded - p.data.size()), 0);
    u32(len);
  }
  return out;
}

TEST(PcapIo, ReadsPcapng) {
  auto pkts = sample(10);
  TempDir dir;
  testing::write_file(dir.file("a.pcapng"), to_pcapng(pkts));
  auto c = read_capture(dir.file("a.pcapng"));
  ASSERT_TRUE(c.ok()) << c.error().format();
  EXPECT_FALSE(c->error.has_value()) << c->error->format();
  expect_same(pkts, c->packets);
  // Truncated pcapng: the error still names the packet.
  auto bytes = to_pcapng(pkts);
  bytes.resize(bytes.size() - 10);
  auto t = read_capture_memory(bytes, "cut.pcapng");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->error.has_value());
  EXPECT_EQ(t->packets.size(), 9u);
  EXPECT_NE(t->error->message.find("packet 10"), std::string::npos) << t->error->format();
}

}  // namespace
}  // namespace bombus::net
