// Fuzzes the capture reader (pcap and pcapng through libpcap plus our record checks): any input
// either reads or fails with an error, never crashes; packets delivered before an error are
// consistent (captured length <= wire length).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/pcap_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = bombus::net::read_capture_memory(std::vector<uint8_t>(data, data + size), "fuzz");
  if (!c.ok()) return 0;
  for (const auto& p : c->packets)
    if (p.data.size() > p.wire_len) std::abort();
  if (c->error && c->error->format().find("packet ") == std::string::npos) std::abort();
  return 0;
}
