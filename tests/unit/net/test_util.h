// Helpers shared by the net tests: temporary files and running shell commands.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace bombus::net::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/bombus-net-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline bool have_program(const char* name) {
  std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// tcpdump expressions the filter engines are compared on (libpcap, the lean JIT, FilterVec):
// hosts, nets, ports, protocols, vlan, ip6, tcp flags, byte offsets, lengths, arithmetic and
// indirect loads.
inline const char* const kFilterExprs[] = {
    "",
    "tcp port 80 or tcp port 443",
    "ip6 and udp",
    "vlan and ip and udp dst port 53",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and net 10.0.0.0/16",
    "host 10.0.0.1 or host 192.168.1.2",
    "icmp or icmp6",
    "ip[6:2] & 0x1fff != 0",
    "len > 600 and len < 1200",
    "ip[2:2] / 4 > 100",
    "ip[8] / ip[1] = 0",
    "ip[0] % 3 = 1",
    "tcp[13] >> 1 & 1 = 1",
    "(ip[2:2] * 3) - 7 > 500",
    "(ip[2:2] ^ 5) & 0xff != 0",
    "ip[9] << 2 = 68",
    "ether[0] & 1 = 1",
    "ip6 and ip6[6] = 58",
    "udp and udp[8:4] = 0",
    "tcp",
    "udp port 53",
    "host 10.0.0.1",
    "tcp[tcpflags] & tcp-syn != 0",
    "vlan and ip6",
    "tcp[20:4] = 0x47455420 or udp[8:2] > 1000",
    "ip[ip[0] & 0xf] = 0x45",
    "ip6 and tcp and ip6[53] & 2 != 0",
    "vlan and tcp and port 22",
    "ip and ip[ip[0] & 0xf:2] > 1000 or ip6",
    "ip[14] = 3 or ether[1:2] > 7"};

}  // namespace bombus::net::testing
