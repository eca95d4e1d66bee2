// bombus-trafgen: generate a realistic, seeded, deterministic capture (mixed IPv4/IPv6,
// TCP/UDP/ICMP, ARP, VLAN, fragments, malformed and truncated frames; correct checksums) and
// write it as pcap. The same options always produce the same bytes.
//   bombus-trafgen OUT.pcap [count N] [seed S] [ipv6 P] [vlan P] [fragments P] [arp P]
//                  [malformed P] [truncated P] [max-payload N]      (P = percent 0..100)
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include "net/traffic.h"

namespace {

void usage(FILE* f) {
  std::fprintf(f,
               "Usage: bombus-trafgen OUT.pcap [count N] [seed S] [ipv6 P] [vlan P] "
               "[fragments P] [arp P]\n"
               "                      [malformed P] [truncated P] [max-payload N]\n"
               "  Writes N (default 1000) generated Ethernet frames; P are percentages.\n");
}

bool parse_u64(const char* s, uint64_t* out) {
  const char* end = s + std::strlen(s);
  auto r = std::from_chars(s, end, *out);
  return r.ec == std::errc() && r.ptr == end;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  bombus::net::TrafficOptions o;
  const std::string out = argv[1];
  for (int i = 2; i < argc; i += 2) {
    const std::string key = argv[i];
    uint64_t v = 0;
    if (i + 1 >= argc || !parse_u64(argv[i + 1], &v)) {
      std::fprintf(stderr, "bombus-trafgen: '%s' needs a number\n", key.c_str());
      return 2;
    }
    auto pct = [&](unsigned* field) {
      if (v > 100) {
        std::fprintf(stderr, "bombus-trafgen: %s: %llu is not a percentage\n", key.c_str(),
                     static_cast<unsigned long long>(v));
        return false;
      }
      *field = static_cast<unsigned>(v);
      return true;
    };
    bool ok = true;
    if (key == "count")
      o.count = v;
    else if (key == "seed")
      o.seed = v;
    else if (key == "max-payload")
      o.max_payload = v;
    else if (key == "ipv6")
      ok = pct(&o.ipv6_percent);
    else if (key == "vlan")
      ok = pct(&o.vlan_percent);
    else if (key == "fragments")
      ok = pct(&o.fragment_percent);
    else if (key == "arp")
      ok = pct(&o.arp_percent);
    else if (key == "malformed")
      ok = pct(&o.malformed_percent);
    else if (key == "truncated")
      ok = pct(&o.truncated_percent);
    else {
      std::fprintf(stderr, "bombus-trafgen: unknown keyword '%s'\n", key.c_str());
      usage(stderr);
      return 2;
    }
    if (!ok) return 2;
  }
  auto st = bombus::net::write_traffic(out, o);
  if (!st.ok()) {
    std::fprintf(stderr, "bombus-trafgen: %s\n", st.error().format().c_str());
    return 1;
  }
  std::printf("wrote %zu packets to %s\n", o.count, out.c_str());
  return 0;
}
