// The project's traffic generator: realistic Ethernet captures for tests, benchmarks and the
// demo. Mixed IPv4/IPv6, TCP/UDP/ICMP/ICMPv6, ARP, 802.1Q VLAN tags, IPv4 fragments, malformed
// headers and truncated captures. Seeded and deterministic: the same options give the same
// bytes on every machine. Every well-formed packet carries correct IPv4/TCP/UDP/ICMP checksums.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/pcap_io.h"

namespace bombus::net {

struct TrafficOptions {
  uint64_t seed = 1;
  size_t count = 1000;
  // Percentages (0..100) of the mix; the rest is ordinary IPv4/IPv6 traffic.
  unsigned ipv6_percent = 30;     // of the IP packets
  unsigned vlan_percent = 10;     // frames carrying an 802.1Q tag
  unsigned fragment_percent = 4;  // IPv4 UDP datagrams sent as fragments
  unsigned arp_percent = 2;
  unsigned malformed_percent = 3;  // bad IHL/lengths/checksum/TCP offset
  unsigned truncated_percent = 3;  // captured shorter than on the wire
  size_t max_payload = 1200;       // bytes of L4 payload at most
  uint64_t start_ts_ns = 1700000000ull * 1000000000ull;
  uint64_t gap_ns = 10000;  // mean time between packets
};

std::vector<Packet> generate_traffic(const TrafficOptions& opts);
Status write_traffic(const std::string& path, const TrafficOptions& opts);

// Internet checksum (RFC 1071) of `data`, folded, not inverted, starting from `sum`.
uint32_t checksum_add(const uint8_t* data, size_t len, uint32_t sum = 0);
uint16_t checksum_fold(uint32_t sum);

}  // namespace bombus::net
