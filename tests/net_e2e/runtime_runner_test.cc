// The runner driving real programs through the runtime: tests/progs/xdp_fw.bpf.o (an XDP
// firewall with a blocklist map) and socket_filter.bpf.o run over generated traffic via
// program_from_test_run. The expected verdicts are computed here from the packet bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "bombus/bombus.h"
#include "bombus_progs.h"
#include "net/program_adapter.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

TestRunFn test_run_of(bombus::Program* prog) {
  return [prog](std::span<const uint8_t> in) -> Result<TestRunOutput> {
    bombus::TestRun r;
    r.data_in = in;
    BOMBUS_ASSIGN_OR_RETURN(auto res, prog->test_run(r));
    return TestRunOutput{res.retval, std::move(res.data_out)};
  };
}

std::unique_ptr<bombus::Object> load(const std::string& name) {
  const std::string path = std::string(BOMBUS_PROGS_DIR) + "/" + name + ".bpf.o";
  if (!std::filesystem::exists(path)) return nullptr;
  auto obj = bombus::Object::open_file(path);
  if (!obj.ok()) return nullptr;
  if (!(*obj)->load().ok()) return nullptr;
  return std::move(*obj);
}

TEST(RuntimeRunner, XdpFirewallDropsBlockedSources) {
  auto obj = load("xdp_fw");
  if (!obj) GTEST_SKIP() << "xdp_fw.bpf.o not built or not loadable by the runtime yet";
  bombus::Program* prog = obj->find_program("xdp_fw");
  ASSERT_NE(prog, nullptr);
  bombus::Map* block = obj->find_map("blocklist");
  ASSERT_NE(block, nullptr);
  const uint8_t blocked[4] = {10, 0, 0, 1};
  const uint64_t zero = 0;
  ASSERT_TRUE(block->update({blocked, 4}, {reinterpret_cast<const uint8_t*>(&zero), 8}).ok());

  TrafficOptions o;
  o.count = 500;
  o.truncated_percent = 0;
  o.vlan_percent = 0;
  auto pkts = generate_traffic(o);
  uint64_t want_drop = 0;
  for (const Packet& p : pkts)
    want_drop += p.data[12] == 0x08 && p.data[13] == 0x00 &&
                 std::equal(blocked, blocked + 4, p.data.begin() + 26);
  ASSERT_GT(want_drop, 0u);

  uint64_t errors = 0;
  PacketProgram pp = program_from_test_run(test_run_of(prog), HookKind::kXdp, &errors);
  std::vector<Packet> passed;
  auto pass_sink = vector_sink(&passed);
  RunnerOutputs outs;
  outs[Verdict::kPass] = pass_sink.get();
  auto src = memory_source(pkts);
  auto st = run_packets(*src, pp, outs);
  ASSERT_TRUE(st.ok()) << st.error().format();
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(st->count(Verdict::kDrop), want_drop);
  EXPECT_EQ(st->count(Verdict::kPass), pkts.size() - want_drop);
  EXPECT_EQ(passed.size(), pkts.size() - want_drop);
  auto hits = block->lookup({blocked, 4});
  ASSERT_TRUE(hits.ok());
  uint64_t n = 0;
  std::memcpy(&n, hits->data(), 8);
  EXPECT_EQ(n, want_drop);  // the program's own counter agrees with the runner's
}

}  // namespace
}  // namespace bombus::net
