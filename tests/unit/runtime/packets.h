// Test packets: Ethernet + IPv4 + UDP with chosen addresses and payload length.
#pragma once

#include <cstdint>
#include <vector>

namespace bombus::testing {

inline std::vector<uint8_t> udp4(uint32_t src_be_bytes_a, uint8_t b, uint8_t c, uint8_t d,
                                 size_t payload = 18, uint8_t proto = 17) {
  std::vector<uint8_t> p(14 + 20 + 8 + payload, 0);
  for (int i = 0; i < 6; ++i) p[i] = 0x02, p[6 + i] = 0x04;
  p[12] = 0x08, p[13] = 0x00;
  uint8_t* ip = p.data() + 14;
  ip[0] = 0x45;
  uint16_t tot = static_cast<uint16_t>(20 + 8 + payload);
  ip[2] = tot >> 8, ip[3] = tot & 0xff;
  ip[8] = 64, ip[9] = proto;
  ip[12] = static_cast<uint8_t>(src_be_bytes_a), ip[13] = b, ip[14] = c, ip[15] = d;
  ip[16] = 10, ip[19] = 1;
  return p;
}

}  // namespace bombus::testing
