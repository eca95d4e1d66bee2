// bombus API example: load an XDP firewall object, block one source address through its map,
// run two packets through it with BPF_PROG_TEST_RUN semantics, print the verdicts and counters.
//
//   api_example <path/to/xdp_fw.bpf.o>
//
// Exit status 0 when the blocked packet is dropped and the other one passes.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bombus/bombus.h"

static std::vector<uint8_t> ipv4_packet(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  std::vector<uint8_t> p(64, 0);
  p[12] = 0x08;  // EtherType IPv4
  p[14] = 0x45;  // version 4, IHL 5
  p[14 + 9] = 17;
  p[14 + 12] = a, p[14 + 13] = b, p[14 + 14] = c, p[14 + 15] = d;
  return p;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s xdp_fw.bpf.o\n", argv[0]);
    return 2;
  }
  bombus::ObjectOptions opts;
  opts.engine = bombus::Engine::kInterp;
  auto obj = bombus::Object::open_file(argv[1], opts);
  if (!obj.ok()) {
    std::fprintf(stderr, "open: %s\n", obj.error().format().c_str());
    return 1;
  }
  if (auto st = (*obj)->load(); !st.ok()) {
    std::fprintf(stderr, "load: %s\n", st.error().format().c_str());
    return 1;
  }
  bombus::Program* prog = (*obj)->find_program("xdp_fw");
  bombus::Map* blocklist = (*obj)->find_map("blocklist");
  bombus::Map* verdicts = (*obj)->find_map("verdicts");
  if (!prog || !blocklist || !verdicts) {
    std::fprintf(stderr, "object lacks xdp_fw / blocklist / verdicts\n");
    return 1;
  }
  const uint8_t blocked[4] = {192, 168, 1, 7};
  const uint64_t zero = 0;
  if (auto st = blocklist->update(blocked, {reinterpret_cast<const uint8_t*>(&zero), 8});
      !st.ok()) {
    std::fprintf(stderr, "update: %s\n", st.error().format().c_str());
    return 1;
  }
  const char* names[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};
  uint32_t got[2];
  std::vector<uint8_t> pkts[2] = {ipv4_packet(192, 168, 1, 7), ipv4_packet(10, 0, 0, 1)};
  for (int i = 0; i < 2; ++i) {
    bombus::TestRun run;
    run.data_in = pkts[i];
    auto res = prog->test_run(run);
    if (!res.ok()) {
      std::fprintf(stderr, "run: %s\n", res.error().format().c_str());
      return 1;
    }
    got[i] = res->retval;
    std::printf("packet %d: %s (%llu ns)\n", i, res->retval < 5 ? names[res->retval] : "?",
                static_cast<unsigned long long>(res->duration_ns));
  }
  for (uint32_t action = 1; action <= 2; ++action) {
    auto v = verdicts->lookup_u32(action);
    uint64_t n = 0;
    if (v.ok()) std::memcpy(&n, v->data(), 8);
    std::printf("verdicts[%s] = %llu\n", names[action], static_cast<unsigned long long>(n));
  }
  return got[0] == 1 && got[1] == 2 ? 0 : 1;
}
