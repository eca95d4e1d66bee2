// Traffic generator implementation. A Gen object owns the seeded PRNG (std::mt19937_64, whose
// output sequence the standard fixes, used through our own modulo helpers rather than the
// implementation-defined distributions) and builds frames layer by layer into byte vectors.
#include "net/traffic.h"

#include <random>

namespace bombus::net {

uint32_t checksum_add(const uint8_t* data, size_t len, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += (static_cast<uint32_t>(data[i]) << 8) | data[i + 1];
  if (i < len) sum += static_cast<uint32_t>(data[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}
void append(Bytes& b, const Bytes& more) {
  b.insert(b.end(), more.begin(), more.end());
}

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmp6 = 58;

class Gen {
 public:
  explicit Gen(const TrafficOptions& o) : o_(o), rng_(o.seed) {}

  std::vector<Packet> run() {
    std::vector<Packet> out;
    ts_ = o_.start_ts_ns;
    while (out.size() < o_.count) {
      std::vector<Bytes> frames = one();
      for (Bytes& f : frames) {
        if (out.size() >= o_.count) break;
        Packet p;
        ts_ += 1 + below(2 * o_.gap_ns + 1);
        p.ts_ns = ts_;
        p.wire_len = static_cast<uint32_t>(f.size());
        if (percent(o_.truncated_percent) && f.size() > 14)
          f.resize(14 + below(f.size() - 14));  // capture cut short (snaplen-like)
        p.data = std::move(f);
        out.push_back(std::move(p));
      }
    }
    return out;
  }

 private:
  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool percent(unsigned p) { return below(100) < p; }
  template <typename T, size_t N>
  T pick(const T (&a)[N]) {
    return a[below(N)];
  }
  Bytes random_bytes(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng_());
    return b;
  }

  // One "event": usually one frame, several for a fragmented datagram.
  std::vector<Bytes> one() {
    if (percent(o_.arp_percent)) return {ether(0x0806, arp())};
    bool v6 = percent(o_.ipv6_percent);
    bool malformed = percent(o_.malformed_percent);
    if (!v6 && percent(o_.fragment_percent)) return fragments();
    if (v6) return {ether(0x86dd, ipv6(malformed))};
    return {ether(0x0800, ipv4(malformed))};
  }

  Bytes ether(uint16_t type, const Bytes& payload) {
    static const uint8_t kMacs[][6] = {{0x02, 0, 0, 0, 0, 1},
                                       {0x02, 0, 0, 0, 0, 2},
                                       {0x52, 0x54, 0, 0x12, 0x34, 0x56},
                                       {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc},
                                       {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    Bytes b;
    const uint8_t* dst = type == 0x0806 ? kMacs[4] : kMacs[below(4)];
    const uint8_t* src = kMacs[below(4)];
    b.insert(b.end(), dst, dst + 6);
    b.insert(b.end(), src, src + 6);
    if (percent(o_.vlan_percent)) {
      static const uint16_t kVids[] = {10, 20, 100, 4094};
      uint16_t tci = static_cast<uint16_t>((below(8) << 13) | pick(kVids));
      b.push_back(0x81);
      b.push_back(0x00);
      b.push_back(static_cast<uint8_t>(tci >> 8));
      b.push_back(static_cast<uint8_t>(tci));
    }
    b.push_back(static_cast<uint8_t>(type >> 8));
    b.push_back(static_cast<uint8_t>(type));
    append(b, payload);
    if (b.size() < 60) b.resize(60, 0);  // Ethernet minimum frame (without FCS)
    return b;
  }

  uint32_t v4_addr() {
    static const uint32_t kAddrs[] = {0x0a000001, 0x0a000002, 0x0a000105, 0x0a0001fe, 0xc0a80101,
                                      0xc0a80164, 0xac100a0a, 0x08080808, 0x01010101, 0x5db8d822};
    return pick(kAddrs);
  }
  Bytes v6_addr() {
    static const uint8_t kPrefixes[][8] = {{0xfd, 0, 0, 0, 0, 0, 0, 1},
                                           {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0},
                                           {0xfe, 0x80, 0, 0, 0, 0, 0, 0}};
    const uint8_t* p = kPrefixes[below(3)];
    Bytes a(p, p + 8);
    a.resize(16, 0);
    a[15] = static_cast<uint8_t>(1 + below(4));
    return a;
  }

  uint16_t port() {
    static const uint16_t kPorts[] = {80, 443, 22, 53, 123, 25, 8080, 5353};
    return below(3) == 0 ? static_cast<uint16_t>(32768 + below(28000)) : pick(kPorts);
  }

  // L4 segment with checksum over `pseudo` (pseudo header sum already computed).
  Bytes l4(uint8_t proto, uint32_t pseudo, bool v6, bool malformed) {
    Bytes payload = random_bytes(below(o_.max_payload + 1));
    Bytes h;
    size_t csum_at = 0;
    if (proto == kTcp) {
      static const uint8_t kFlags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x29};
      uint8_t flags = pick(kFlags);
      bool mss = (flags & 0x02) != 0;
      size_t hl = mss ? 24 : 20;
      h.assign(hl, 0);
      put16(h, 0, port());
      put16(h, 2, port());
      put32(h, 4, static_cast<uint32_t>(rng_()));
      put32(h, 8, (flags & 0x10) ? static_cast<uint32_t>(rng_()) : 0);
      h[12] = static_cast<uint8_t>((hl / 4) << 4);
      if (malformed) h[12] = 0x30;  // data offset 3 (< 5): invalid
      h[13] = flags;
      put16(h, 14, static_cast<uint16_t>(1024 + below(64512)));
      if (mss) {
        h[20] = 2;
        h[21] = 4;
        put16(h, 22, 1460);
      }
      if (flags & 0x06) payload.clear();  // SYN / RST carry no data here
      csum_at = 16;
    } else if (proto == kUdp) {
      h.assign(8, 0);
      put16(h, 0, port());
      put16(h, 2, port());
      put16(h, 4, static_cast<uint16_t>(8 + payload.size()));
      csum_at = 6;
    } else {  // ICMP / ICMPv6: echo request/reply, unreachable
      h.assign(8, 0);
      static const uint8_t kV4[] = {8, 0, 3};
      static const uint8_t kV6[] = {128, 129, 1};
      h[0] = v6 ? pick(kV6) : pick(kV4);
      put16(h, 4, static_cast<uint16_t>(rng_()));
      put16(h, 6, static_cast<uint16_t>(below(1000)));
      csum_at = 2;
    }
    append(h, payload);
    uint32_t sum = (proto == kIcmp) ? 0 : pseudo + static_cast<uint32_t>(h.size());
    uint16_t c = static_cast<uint16_t>(~checksum_fold(checksum_add(h.data(), h.size(), sum)));
    if (proto == kUdp && c == 0) c = 0xffff;
    put16(h, csum_at, c);
    return h;
  }

  uint8_t l4_proto(bool v6) {
    uint64_t r = below(10);
    return r < 5 ? kTcp : r < 8 ? kUdp : (v6 ? kIcmp6 : kIcmp);
  }

  Bytes ip4_header(uint32_t src, uint32_t dst, uint8_t proto, size_t payload_len, uint16_t id,
                   uint16_t frag) {
    Bytes h(20, 0);
    h[0] = 0x45;
    h[1] = static_cast<uint8_t>(below(4) << 2);  // a few DSCP values
    put16(h, 2, static_cast<uint16_t>(20 + payload_len));
    put16(h, 4, id);
    put16(h, 6, frag);
    static const uint8_t kTtls[] = {64, 128, 255, 1, 63};
    h[8] = pick(kTtls);
    h[9] = proto;
    put32(h, 12, src);
    put32(h, 16, dst);
    put16(h, 10, static_cast<uint16_t>(~checksum_fold(checksum_add(h.data(), 20))));
    return h;
  }

  static uint32_t pseudo4(uint32_t src, uint32_t dst, uint8_t proto) {
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto;
  }

  Bytes ipv4(bool malformed) {
    uint32_t src = v4_addr(), dst = v4_addr();
    uint8_t proto = l4_proto(false);
    int kind = malformed ? static_cast<int>(below(4)) : -1;
    Bytes seg = l4(proto, pseudo4(src, dst, proto), false, kind == 3);
    uint16_t flags = percent(50) ? 0x4000 : 0;  // DF
    Bytes h = ip4_header(src, dst, proto, seg.size(), static_cast<uint16_t>(rng_()), flags);
    if (kind == 0) h[0] = 0x43;                                                      // IHL 3
    if (kind == 1) put16(h, 2, static_cast<uint16_t>(h.size() + seg.size() + 200));  // too long
    if (kind == 2) h[10] ^= 0x5a;  // bad header checksum
    if (kind == 0 || kind == 1) {
      put16(h, 10, 0);
      put16(h, 10, static_cast<uint16_t>(~checksum_fold(checksum_add(h.data(), 20))));
    }
    append(h, seg);
    return h;
  }

  std::vector<Bytes> fragments() {
    uint32_t src = v4_addr(), dst = v4_addr();
    Bytes seg = l4(kUdp, pseudo4(src, dst, kUdp), false, false);
    while (seg.size() < 64) seg.push_back(static_cast<uint8_t>(rng_()));
    // Pad only changed the datagram: recompute UDP length and checksum.
    put16(seg, 4, static_cast<uint16_t>(seg.size()));
    put16(seg, 6, 0);
    uint16_t c = static_cast<uint16_t>(~checksum_fold(checksum_add(
        seg.data(), seg.size(), pseudo4(src, dst, kUdp) + static_cast<uint32_t>(seg.size()))));
    put16(seg, 6, c == 0 ? 0xffff : c);
    uint16_t id = static_cast<uint16_t>(rng_());
    size_t pieces = 2 + below(2);
    size_t chunk = (seg.size() / pieces + 7) / 8 * 8;
    std::vector<Bytes> out;
    for (size_t off = 0; off < seg.size(); off += chunk) {
      size_t n = std::min(chunk, seg.size() - off);
      bool more = off + n < seg.size();
      Bytes part(seg.begin() + static_cast<long>(off), seg.begin() + static_cast<long>(off + n));
      Bytes h = ip4_header(src, dst, kUdp, part.size(), id,
                           static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
      append(h, part);
      out.push_back(ether(0x0800, h));
    }
    return out;
  }

  Bytes ipv6(bool malformed) {
    Bytes src = v6_addr(), dst = v6_addr();
    uint8_t proto = l4_proto(true);
    uint32_t pseudo = checksum_add(src.data(), 16, checksum_add(dst.data(), 16)) + proto;
    Bytes seg = l4(proto, pseudo, true, malformed);
    bool hbh = percent(15);
    Bytes h(40, 0);
    h[0] = 0x60;
    h[1] = static_cast<uint8_t>(below(16));
    put16(h, 4, static_cast<uint16_t>(seg.size() + (hbh ? 8 : 0) + (malformed ? 100 : 0)));
    h[6] = hbh ? 0 : proto;
    h[7] = 64;
    std::copy(src.begin(), src.end(), h.begin() + 8);
    std::copy(dst.begin(), dst.end(), h.begin() + 24);
    if (hbh) {  // hop-by-hop options header: next header, length 0, PadN
      Bytes e = {proto, 0, 1, 4, 0, 0, 0, 0};
      append(h, e);
    }
    append(h, seg);
    return h;
  }

  Bytes arp() {
    Bytes a(28, 0);
    put16(a, 0, 1);
    put16(a, 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a, 6, static_cast<uint16_t>(1 + below(2)));
    a[8] = 0x02;
    a[13] = 1;
    put32(a, 14, v4_addr());
    put32(a, 24, v4_addr());
    return a;
  }

  const TrafficOptions& o_;
  std::mt19937_64 rng_;
  uint64_t ts_ = 0;
};

}  // namespace

std::vector<Packet> generate_traffic(const TrafficOptions& opts) {
  return Gen(opts).run();
}

Status write_traffic(const std::string& path, const TrafficOptions& opts) {
  std::vector<Packet> pkts = generate_traffic(opts);
  return write_capture(path, pkts);
}

}  // namespace bombus::net
