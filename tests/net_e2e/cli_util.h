// Running the `bombus` command from the net CLI tests: its exit status and everything it
// printed (stdout and stderr), whole files as strings, and a fixture with a temporary folder
// holding a generated capture.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "net/pcap_io.h"
#include "net/traffic.h"

namespace bombus::net::cli_test {

struct Ran {
  int status = -1;
  std::string out;
};

// Runs `bombus ARGS` through the shell (`env` prefixes variables, e.g. "BOMBUS_ROOT=/x ").
inline Ran run(const std::string& args, const std::string& env = "") {
  Ran r;
  const std::string cmd = env + std::string(BOMBUS_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = pclose(p);
  return r;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A fresh folder under the temp directory (removed after the test) with in.pcap holding
// `count` generated packets (pkts_).
class CaptureDirTest : public ::testing::Test {
 protected:
  void make_capture(const std::string& prefix, uint64_t seed, size_t count) {
    dir_ = std::filesystem::temp_directory_path() / (prefix + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    TrafficOptions o;
    o.seed = seed;
    o.count = count;
    pkts_ = generate_traffic(o);
    ASSERT_TRUE(write_capture((dir_ / "in.pcap").string(), pkts_).ok());
  }
  std::string in() const { return (dir_ / "in.pcap").string(); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  // The packets of capture `name` in the folder (none, with a test failure, if unreadable).
  std::vector<Packet> packets(const std::string& name) const {
    auto c = read_capture(file(name));
    EXPECT_TRUE(c.ok()) << name;
    return c.ok() ? c->packets : std::vector<Packet>{};
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
  std::vector<Packet> pkts_;
};

}  // namespace bombus::net::cli_test
