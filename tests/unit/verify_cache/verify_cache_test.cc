// The verification cache: entries are trusted only with a good checksum, the caller's key and
// the very instructions about to load; `bombus prog run` of a pinned program verifies once, then
// reuses the verdict in later processes, and verifies again when the entry is damaged; `net run`
// and `prog dump` share the same entries.
#include "store/verify_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bombus_progs.h"

namespace bombus::store {
namespace {

namespace fs = std::filesystem;

struct TempStore {
  std::string root;
  std::optional<Store> st;
  TempStore() {
    char tmpl[] = "/tmp/bombus-vcache.XXXXXX";
    root = ::mkdtemp(tmpl);
    auto s = Store::open(root + "/store");
    EXPECT_TRUE(s.ok()) << s.error().format();
    if (s.ok()) st.emplace(std::move(s).value());
  }
  ~TempStore() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

std::vector<uint8_t> insns(uint8_t seed) {
  std::vector<uint8_t> v(8 * 5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

void flip_byte(const std::string& path, size_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x40));
}

TEST(VerifyCache, HitOnlyForTheSameKeyAndInstructions) {
  TempStore t;
  ASSERT_TRUE(t.st);
  auto id = t.st->create(Kind::kProg);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(check_verified(*t.st, *id, "k1", insns(1)), CacheResult::kMissing);
  ASSERT_TRUE(save_verified(*t.st, *id, "k1", insns(1)).ok());
  EXPECT_EQ(check_verified(*t.st, *id, "k1", insns(1)), CacheResult::kHit);
  EXPECT_EQ(check_verified(*t.st, *id, "k2", insns(1)), CacheResult::kStale);
  EXPECT_EQ(check_verified(*t.st, *id, "k1", insns(2)), CacheResult::kStale);
  auto shorter = insns(1);
  shorter.resize(32);
  EXPECT_EQ(check_verified(*t.st, *id, "k1", shorter), CacheResult::kStale);
  EXPECT_FALSE(save_verified(*t.st, *id, "k1", std::vector<uint8_t>(7)).ok());
}

TEST(VerifyCache, DamagedEntriesAreCorrupt) {
  TempStore t;
  ASSERT_TRUE(t.st);
  auto id = t.st->create(Kind::kProg);
  ASSERT_TRUE(id.ok());
  const std::string path = verify_cache_path(*t.st, *id);
  ASSERT_TRUE(save_verified(*t.st, *id, "key", insns(3)).ok());
  const auto size = fs::file_size(path);
  // Every byte matters: magic, lengths, key, instructions, checksum.
  for (size_t at : {size_t(0), size_t(9), size_t(13), size_t(20), size_t(size - 1)}) {
    flip_byte(path, at);
    EXPECT_EQ(check_verified(*t.st, *id, "key", insns(3)), CacheResult::kCorrupt) << "byte " << at;
    flip_byte(path, at);
    EXPECT_EQ(check_verified(*t.st, *id, "key", insns(3)), CacheResult::kHit) << "byte " << at;
  }
  fs::resize_file(path, size - 9);
  EXPECT_EQ(check_verified(*t.st, *id, "key", insns(3)), CacheResult::kCorrupt);
  fs::resize_file(path, 3);
  EXPECT_EQ(check_verified(*t.st, *id, "key", insns(3)), CacheResult::kCorrupt);
  fs::remove(path);
  fs::create_directory(path);  // not a file at all
  EXPECT_EQ(check_verified(*t.st, *id, "key", insns(3)), CacheResult::kCorrupt);
}

// Runs a command, returns its stdout and stderr.
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

#ifdef BOMBUS_CLI
// A temporary store for the CLI (`cli` is the command with --root) and a 64-byte packet.
struct CliStore : TempStore {
  std::string cli = std::string(BOMBUS_CLI) + " --root " + root + "/store";
  std::string pkt = root + "/pkt";
  CliStore() { std::ofstream(pkt, std::ios::binary) << std::string(64, '\0'); }
};

TEST(VerifyCache, ProgRunReusesTheVerdictAcrossProcesses) {
  const std::string obj = progs::path("xdp_fw");
  if (!fs::exists(obj)) GTEST_SKIP() << "corpus object missing: " << obj;
  CliStore t;
  ASSERT_TRUE(t.st);
  const std::string &cli = t.cli, &pkt = t.pkt, pin = t.root + "/fw";
  ASSERT_EQ(run(cli + " prog load " + obj + " " + pin), "");
  const std::string run_cmd = cli + " -d prog run pinned " + pin + " data_in " + pkt;
  const std::string first = run(run_cmd);
  EXPECT_NE(first.find("verification cache: miss, verifying"), std::string::npos) << first;
  const std::string entry = verify_cache_path(*t.st, 1);
  ASSERT_TRUE(fs::exists(entry));
  const std::string second = run(run_cmd);
  EXPECT_NE(second.find("verification cache: hit, not verifying again"), std::string::npos)
      << second;
  // A damaged entry is ignored: the program is verified again and the entry rewritten.
  flip_byte(entry, fs::file_size(entry) / 2);
  const std::string third = run(run_cmd);
  EXPECT_NE(third.find("verification cache: corrupt entry ignored, verifying again"),
            std::string::npos)
      << third;
  const std::string fourth = run(run_cmd);
  EXPECT_NE(fourth.find("verification cache: hit"), std::string::npos) << fourth;
  // Every run gives the same result.
  auto retval = [](const std::string& s) { return s.substr(s.find("Return value:"), 16); };
  for (const std::string* s : {&first, &second, &third, &fourth})
    ASSERT_NE(s->find("Return value:"), std::string::npos) << *s;
  EXPECT_EQ(retval(second), retval(first));
  EXPECT_EQ(retval(third), retval(first));
  EXPECT_EQ(retval(fourth), retval(first));
}

TEST(VerifyCache, TailCallTargetsAreCachedToo) {
  const std::string obj = progs::path("prog_array");
  if (!fs::exists(obj)) GTEST_SKIP() << "corpus object missing: " << obj;
  CliStore t;
  ASSERT_TRUE(t.st);
  const std::string &cli = t.cli, &pkt = t.pkt;
  ASSERT_EQ(run(cli + " prog loadall " + obj + " " + t.root + "/pins pinmaps " + t.root + "/maps"),
            "");
  // tail_a (1) and tail_b (2) sit in the dispatcher's (3) prog array: its run loads all three.
  const std::string run_cmd =
      cli + " -j prog run pinned " + t.root + "/pins/dispatcher data_in " + pkt;
  const std::string first = run(run_cmd);
  for (uint32_t id : {1u, 2u, 3u})
    EXPECT_TRUE(fs::exists(verify_cache_path(*t.st, id))) << "prog " << id << ": " << first;
  const std::string second = run(run_cmd);
  EXPECT_EQ(second.substr(0, second.find(",")), first.substr(0, first.find(","))) << second;
}
// Removes bombus's debug lines ("bombus: ...") from a command's output.
std::string without_debug(const std::string& out) {
  std::string kept, line;
  for (size_t at = 0; at < out.size();) {
    size_t nl = out.find('\n', at);
    if (nl == std::string::npos) nl = out.size() - 1;
    line = out.substr(at, nl + 1 - at);
    if (line.rfind("bombus: ", 0) != 0) kept += line;
    at = nl + 1;
  }
  return kept;
}

// A one-packet pcap file (a 64-byte frame, IPv4 ethertype).
void write_pcap(const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
  f.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
  const uint32_t rec[4] = {1, 0, 64, 64};
  f.write(reinterpret_cast<const char*>(rec), sizeof rec);
  std::string frame(64, '\0');
  frame[12] = 0x08;
  f.write(frame.data(), static_cast<std::streamsize>(frame.size()));
}

TEST(VerifyCache, NetRunAndProgDumpShareTheEntries) {
  const std::string obj = progs::path("xdp_fw");
  if (!fs::exists(obj)) GTEST_SKIP() << "corpus object missing: " << obj;
  CliStore t;
  ASSERT_TRUE(t.st);
  const std::string &cli = t.cli, pin = t.root + "/fw", pcap = t.root + "/in.pcap";
  write_pcap(pcap);
  ASSERT_EQ(run(cli + " prog load " + obj + " " + pin), "");
  const std::string dump_cmd = cli + " -d prog dump xlated pinned " + pin;
  const std::string net_cmd = cli + " -d -j net run pinned " + pin + " pcap " + pcap;
  const std::string dump1 = run(dump_cmd);
  EXPECT_NE(dump1.find("verification cache: miss, verifying"), std::string::npos) << dump1;
  const std::string entry = verify_cache_path(*t.st, 1);
  ASSERT_TRUE(fs::exists(entry));
  const std::string dump2 = run(dump_cmd);
  EXPECT_NE(dump2.find("verification cache: hit, not verifying again"), std::string::npos) << dump2;
  EXPECT_EQ(without_debug(dump2), without_debug(dump1));
  EXPECT_NE(without_debug(dump1).find("exit"), std::string::npos) << dump1;
  const std::string net1 = run(net_cmd);
  EXPECT_NE(net1.find("verification cache: hit, not verifying again"), std::string::npos) << net1;
  EXPECT_NE(net1.find("\"packets\":1"), std::string::npos) << net1;
  // A damaged entry: both verify again, then the rewritten entry is a hit again.
  flip_byte(entry, fs::file_size(entry) / 2);
  const std::string net2 = run(net_cmd);
  EXPECT_NE(net2.find("verification cache: corrupt entry ignored, verifying again"),
            std::string::npos)
      << net2;
  auto verdicts = [](const std::string& s) { return s.substr(s.find("\"verdicts\""), 80); };
  ASSERT_NE(net2.find("\"verdicts\""), std::string::npos) << net2;
  EXPECT_EQ(verdicts(net2), verdicts(net1));
  flip_byte(entry, fs::file_size(entry) / 3);
  const std::string dump3 = run(dump_cmd);
  EXPECT_NE(dump3.find("verification cache: corrupt entry ignored, verifying again"),
            std::string::npos)
      << dump3;
  EXPECT_EQ(without_debug(dump3), without_debug(dump1));
  const std::string net3 = run(net_cmd);
  EXPECT_NE(net3.find("verification cache: hit"), std::string::npos) << net3;
}
#endif

}  // namespace
}  // namespace bombus::store
