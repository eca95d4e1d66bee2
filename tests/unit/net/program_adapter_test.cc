// program_from_test_run maps return values per hook and takes the program's output bytes;
// run_capture writes each verdict's packets to its own file.
#include "net/program_adapter.h"

#include <gtest/gtest.h>

#include "net/traffic.h"
#include "test_util.h"

namespace bombus::net {
namespace {

TEST(ProgramAdapter, XdpRewriteAndVerdicts) {
  // A fake XDP run: swaps the MACs, grows the frame by 2 bytes, returns byte 20 % 5.
  TestRunFn fake = [](std::span<const uint8_t> in) -> Result<TestRunOutput> {
    if (in.size() < 21) return make_error(Errc::kInvalid, "short");
    TestRunOutput o;
    o.data_out.assign(in.begin(), in.end());
    std::swap_ranges(o.data_out.begin(), o.data_out.begin() + 6, o.data_out.begin() + 6);
    o.data_out.push_back(0xee);
    o.data_out.push_back(0xff);
    o.retval = in[20] % 5;
    return o;
  };
  uint64_t errors = 0;
  PacketProgram p = program_from_test_run(fake, HookKind::kXdp, &errors);
  TrafficOptions o;
  o.count = 50;
  for (const Packet& pk : generate_traffic(o)) {
    PacketBuffer b;
    b.assign(pk.data, pk.wire_len, 0);
    Verdict v = p(b);
    EXPECT_EQ(static_cast<uint64_t>(v), pk.data[20] % 5u);
    ASSERT_EQ(b.size(), pk.data.size() + 2);
    EXPECT_TRUE(std::equal(pk.data.begin(), pk.data.begin() + 6, b.data() + 6));
    EXPECT_EQ(b.data()[b.size() - 1], 0xff);
  }
  PacketBuffer tiny;
  const uint8_t few[4] = {};
  tiny.assign(few, 4, 0);
  EXPECT_EQ(p(tiny), Verdict::kAborted);
  EXPECT_EQ(errors, 1u);
}

TEST(ProgramAdapter, TcAndSocketFilterConventions) {
  auto ret = [](uint64_t v) {
    return TestRunFn([v](std::span<const uint8_t>) -> Result<TestRunOutput> {
      return TestRunOutput{v, {}};
    });
  };
  PacketBuffer b;
  std::vector<uint8_t> frame(100, 1);
  b.assign(frame, 100, 0);
  EXPECT_EQ(program_from_test_run(ret(2), HookKind::kTc)(b), Verdict::kDrop);
  EXPECT_EQ(program_from_test_run(ret(0), HookKind::kTc)(b), Verdict::kPass);
  EXPECT_EQ(program_from_test_run(ret(0xffffffff), HookKind::kTc)(b), Verdict::kPass);  // UNSPEC
  EXPECT_EQ(program_from_test_run(ret(0), HookKind::kSocketFilter)(b), Verdict::kDrop);
  EXPECT_EQ(program_from_test_run(ret(40), HookKind::kSocketFilter)(b), Verdict::kPass);
  EXPECT_EQ(b.size(), 40u);
}

TEST(ProgramAdapter, RunCaptureWritesPerVerdictFiles) {
  testing::TempDir dir;
  TrafficOptions o;
  o.count = 120;
  auto pkts = generate_traffic(o);
  ASSERT_TRUE(write_capture(dir.file("in.pcap"), pkts).ok());
  CaptureRunOptions opts;
  opts.input = dir.file("in.pcap");
  opts.outputs[static_cast<size_t>(Verdict::kDrop)] = dir.file("drop.pcap");
  opts.outputs[static_cast<size_t>(Verdict::kPass)] = dir.file("pass.pcap");
  auto prog = tcpdump_filter_program("tcp");
  ASSERT_TRUE(prog.ok());
  auto st = run_capture(opts, *prog);
  ASSERT_TRUE(st.ok()) << st.error().format();
  auto drop = read_capture(dir.file("drop.pcap"));
  auto pass = read_capture(dir.file("pass.pcap"));
  ASSERT_TRUE(drop.ok() && pass.ok());
  EXPECT_EQ(drop->packets.size(), st->count(Verdict::kDrop));
  EXPECT_EQ(pass->packets.size(), st->count(Verdict::kPass));
  EXPECT_EQ(drop->packets.size() + pass->packets.size(), 120u);
  EXPECT_GT(pass->packets.size(), 0u);
  auto missing = run_capture(CaptureRunOptions{"/nonexistent.pcap", {}, 0}, *prog);
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace bombus::net
