// Live AF_PACKET end to end: three network namespaces A - M - B joined by two veth pairs, which
// the test creates with `ip` and always deletes (RAII, also on failure; only addresses inside
// these namespaces, 10.77.0.0/24). bombus runs in M as a user-space XDP bridge over both veth
// ends: kernel pings from A to B go through it (redirect), a converted tcpdump filter drops
// ICMP so pings fail, and a rewriting program answers pings to a phantom host (XDP_TX).
// LiveCli runs the same three scenarios through `bombus net run ... dev IFNAME` with the
// programs of progs/net_cli.bpf.c, and a devmap bridge (progs/net_redirect.bpf.c, its map
// filled through the store with m0's and m1's ifindexes) that forwards pings by XDP_REDIRECT.
// Every wait is bounded (1 s per ping); the tests skip cleanly without root or `ip`.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"
#include "net/live.h"
#include "net/traffic.h"

namespace bombus::net {
namespace {

int sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

// A u32 as the four little-endian byte words `bombus map update` takes ("3 0 0 0").
std::string fmt_u32(uint32_t v) {
  return std::to_string(v & 0xff) + " " + std::to_string((v >> 8) & 0xff) + " " +
         std::to_string((v >> 16) & 0xff) + " " + std::to_string(v >> 24);
}

class Netns {
 public:
  Netns() {
    tag_ = std::to_string(getpid() % 100000);
    for (const char* n : {"a", "m", "b"}) names_.push_back("bombus-" + tag_ + n);
  }
  ~Netns() { teardown(); }
  void teardown() {
    for (const auto& n : names_) sh("ip netns del " + n);
  }
  std::string a() const { return names_[0]; }
  std::string m() const { return names_[1]; }
  std::string b() const { return names_[2]; }
  std::string dev(const char* which) const { return "bn" + tag_ + which; }

  bool setup() {
    teardown();
    for (const auto& n : names_)
      if (sh("ip netns add " + n) != 0) return false;
    const std::string A = a(), M = m(), B = b();
    const char* cmds[] = {
        "ip link add {a0} netns {A} type veth peer name {m0} netns {M}",
        "ip link add {b0} netns {B} type veth peer name {m1} netns {M}",
        "ip -n {A} addr add 10.77.0.1/24 dev {a0}",
        "ip -n {B} addr add 10.77.0.2/24 dev {b0}",
        "ip -n {A} link set {a0} up",
        "ip -n {B} link set {b0} up",
        "ip -n {M} link set {m0} up",
        "ip -n {M} link set {m1} up",
        "ip -n {A} neigh add 10.77.0.50 lladdr 02:00:00:00:00:50 dev {a0}",
    };
    for (std::string c : cmds) {
      auto rep = [&](const std::string& k, const std::string& v) {
        for (size_t p; (p = c.find(k)) != std::string::npos;) c.replace(p, k.size(), v);
      };
      rep("{a0}", dev("a0"));
      rep("{b0}", dev("b0"));
      rep("{m0}", dev("m0"));
      rep("{m1}", dev("m1"));
      rep("{A}", A);
      rep("{B}", B);
      rep("{M}", M);
      if (sh(c) != 0) {
        ADD_FAILURE() << "failed: " << c;
        return false;
      }
    }
    return true;
  }

 private:
  std::string tag_;
  std::vector<std::string> names_;
};

// Runs `fn` on a thread that has entered namespace `ns` (setns only affects that thread).
template <typename F>
void in_netns(const std::string& ns, F&& fn) {
  std::thread t([&] {
    int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << ns;
    ASSERT_EQ(setns(fd, CLONE_NEWNET), 0) << std::strerror(errno);
    close(fd);
    fn();
  });
  t.join();
}

// One ICMP echo from namespace `ns` to `dst` through the kernel's stack; true when a matching
// reply from `dst` arrives within `timeout_ms`.
bool ping(const std::string& ns, const char* dst, uint16_t seq, int timeout_ms = 1000) {
  bool ok = false;
  in_netns(ns, [&] {
    int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (s < 0) return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    inet_pton(AF_INET, dst, &to.sin_addr);
    uint8_t req[16] = {8,
                       0,
                       0,
                       0,
                       0x4b,
                       0x42,
                       static_cast<uint8_t>(seq >> 8),
                       static_cast<uint8_t>(seq),
                       'b',
                       'o',
                       'm',
                       'b',
                       'u',
                       's',
                       '!',
                       '!'};
    uint16_t c = static_cast<uint16_t>(~checksum_fold(checksum_add(req, sizeof req)));
    req[2] = static_cast<uint8_t>(c >> 8);
    req[3] = static_cast<uint8_t>(c);
    sendto(s, req, sizeof req, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!ok) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (left <= 0) break;
      pollfd p{s, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) break;
      uint8_t buf[1500];
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < 28) continue;
      size_t ihl = (buf[0] & 0xf) * 4u;
      const uint8_t* icmp = buf + ihl;
      ok = from.sin_addr.s_addr == to.sin_addr.s_addr && icmp[0] == 0 && icmp[4] == 0x4b &&
           icmp[5] == 0x42 && icmp[6] == (seq >> 8) && icmp[7] == (seq & 0xff);
    }
    close(s);
  });
  return ok;
}

class LiveE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, AF_PACKET)";
    if (sh("command -v ip") != 0) GTEST_SKIP() << "iproute2 'ip' is not installed";
    if (!ns_.setup()) GTEST_SKIP() << "cannot create network namespaces/veth here";
    in_netns(ns_.m(), [&] {
      auto x = LiveInterface::open(ns_.dev("m0"));
      auto y = LiveInterface::open(ns_.dev("m1"));
      ASSERT_TRUE(x.ok()) << x.error().format();
      ASSERT_TRUE(y.ok()) << y.error().format();
      m0_ = std::move(*x);
      m1_ = std::move(*y);
    });
    ASSERT_TRUE(m0_ && m1_);
  }
  void TearDown() override {
    stop_ = true;
    if (runner_.joinable()) runner_.join();
    m0_.reset();
    m1_.reset();
    ns_.teardown();
  }
  // Starts the bridge: `decide` returns a verdict; kRedirect goes to the other interface.
  void start(std::function<Verdict(PacketBuffer&)> decide) {
    stop_ = false;
    runner_ = std::thread([this, decide] {
      LiveInterface* ifs[] = {m0_.get(), m1_.get()};
      const uint32_t i0 = static_cast<uint32_t>(m0_->ifindex()),
                     i1 = static_cast<uint32_t>(m1_->ifindex());
      LiveRunOptions o;
      o.stop = &stop_;
      o.duration_ms = 20000;  // hard bound
      auto st = run_live(
          ifs,
          [&](PacketBuffer& p) {
            p.redirect_to = {{RedirectKind::kIfindex, p.ifindex == i0 ? i1 : i0}};
            return decide(p);
          },
          o);
      if (st.ok()) stats_ = *st;
    });
  }
  void stop() {
    stop_ = true;
    if (runner_.joinable()) runner_.join();
  }

  Netns ns_;
  std::unique_ptr<LiveInterface> m0_, m1_;
  std::atomic<bool> stop_{false};
  std::thread runner_;
  RunnerStats stats_;
};

bool is_icmp_echo_to(const PacketBuffer& p, uint32_t dst) {
  const uint8_t* d = p.data();
  if (p.size() < 42 || d[12] != 0x08 || d[13] != 0x00 || d[23] != 1) return false;
  size_t ihl = (d[14] & 0xf) * 4u;
  uint32_t ip_dst = (uint32_t(d[30]) << 24) | (d[31] << 16) | (d[32] << 8) | d[33];
  return ip_dst == dst && p.size() >= 14 + ihl + 8 && d[14 + ihl] == 8;
}

TEST_F(LiveE2E, PingThroughDropAndRewrite) {
  // 1. Forward everything: pings from A reach B and come back.
  start([](PacketBuffer&) { return Verdict::kRedirect; });
  bool through = false;
  for (uint16_t i = 1; i <= 3 && !through; ++i) through = ping(ns_.a(), "10.77.0.2", i);
  stop();
  EXPECT_TRUE(through) << format_runner_stats(stats_, false);
  EXPECT_GE(stats_.count(Verdict::kRedirect), 2u);

  // 2. A tcpdump filter converted to eBPF (on vm's interpreter) drops ICMP; the rest flows.
  auto cbpf = compile_tcpdump("icmp");
  ASSERT_TRUE(cbpf.ok());
  auto ebpf = convert_cbpf(*cbpf);
  ASSERT_TRUE(ebpf.ok());
  auto run = interp_ebpf_engine()(*ebpf);
  ASSERT_TRUE(run.ok());
  EbpfRunner icmp = *run;
  start([icmp](PacketBuffer& p) {
    CbpfSkbCtx ctx = make_skb_ctx(p.bytes(), p.wire_len);
    return icmp(&ctx) ? Verdict::kDrop : Verdict::kRedirect;
  });
  EXPECT_FALSE(ping(ns_.a(), "10.77.0.2", 10, 700));
  stop();
  EXPECT_GE(stats_.count(Verdict::kDrop), 1u) << format_runner_stats(stats_, false);

  // 3. Rewrite: echo requests to the phantom 10.77.0.50 become replies sent back (XDP_TX).
  start([](PacketBuffer& p) {
    if (!is_icmp_echo_to(p, 0x0a4d0032)) return Verdict::kRedirect;
    uint8_t* d = p.data();
    std::swap_ranges(d, d + 6, d + 6);         // MACs
    std::swap_ranges(d + 26, d + 30, d + 30);  // IPs
    size_t ihl = (d[14] & 0xf) * 4u;
    uint8_t* icmp = d + 14 + ihl;
    size_t icmp_len = ((d[16] << 8) | d[17]) - ihl;
    icmp[0] = 0;  // echo reply
    icmp[2] = icmp[3] = 0;
    uint16_t c = static_cast<uint16_t>(~checksum_fold(checksum_add(icmp, icmp_len)));
    icmp[2] = static_cast<uint8_t>(c >> 8);
    icmp[3] = static_cast<uint8_t>(c);
    return Verdict::kTx;
  });
  bool answered = false;
  for (uint16_t i = 20; i < 23 && !answered; ++i) answered = ping(ns_.a(), "10.77.0.50", i);
  EXPECT_TRUE(ping(ns_.a(), "10.77.0.2", 30));  // ordinary traffic still forwarded
  stop();
  EXPECT_TRUE(answered) << format_runner_stats(stats_, false);
  EXPECT_GE(stats_.count(Verdict::kTx), 1u);
}

#if defined(BOMBUS_CLI) && defined(NET_CLI_OBJ)
// The same three scenarios through the command line: `bombus net run OBJ prog NAME dev m0 dev m1
// bridge` in namespace M (XDP_PASS frames are bridged to the other interface), stopped with
// SIGINT, which makes it print its counts and exit 0.
class LiveCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, AF_PACKET)";
    if (sh("command -v ip") != 0) GTEST_SKIP() << "iproute2 'ip' is not installed";
    if (access(NET_CLI_OBJ, R_OK) != 0) GTEST_SKIP() << NET_CLI_OBJ << " not built";
    if (!ns_.setup()) GTEST_SKIP() << "cannot create network namespaces/veth here";
    out_ = "/tmp/bombus-live-cli-" + std::to_string(getpid()) + ".json";
    store_ = "/tmp/bombus-live-cli-store-" + std::to_string(getpid());
  }
  void TearDown() override {
    stop();
    ns_.teardown();
    unlink(out_.c_str());
    sh("rm -rf " + store_);
  }
  // `bombus ARGS` with the test's store; true when it exits 0.
  bool bombus(const std::string& args) {
    return sh("BOMBUS_ROOT=" + store_ + " " + BOMBUS_CLI + " " + args) == 0;
  }
  void start(const std::string& prog) {
    start_run({NET_CLI_OBJ, "prog", prog, "dev", ns_.dev("m0"), "dev", ns_.dev("m1"), "bridge"});
  }
  // Runs `bombus -j net run RUN_ARGS duration 30` in namespace M (with the test's store).
  void start_run(const std::vector<std::string>& run_args) {
    std::vector<std::string> argv = {
        "ip",       "netns", "exec", ns_.m(), "env", "BOMBUS_ROOT=" + store_,
        BOMBUS_CLI, "-j",    "net",  "run"};
    argv.insert(argv.end(), run_args.begin(), run_args.end());
    argv.push_back("duration");
    argv.push_back("30");
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) dup2(fd, 1);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp("ip", args.data());
      _exit(127);
    }
    // Ready when both sockets are open: give it a moment (pings retry anyway).
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  // Stops the command; returns what it printed (its -j counts), "" when it failed.
  std::string stop() {
    if (pid_ <= 0) return "";
    kill(pid_, SIGINT);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    std::ifstream f(out_);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    return text;
  }
  static uint64_t count(const std::string& json, const std::string& verdict) {
    const size_t at = json.find("\"" + verdict + "\":");
    return at == std::string::npos ? 0 : std::stoull(json.substr(at + verdict.size() + 3));
  }

  Netns ns_;
  pid_t pid_ = -1;
  std::string out_, store_;
};

TEST_F(LiveCli, PassDropAndTxThroughTheCommand) {
  start("xdp_pass");
  bool through = false;
  for (uint16_t i = 1; i <= 3 && !through; ++i) through = ping(ns_.a(), "10.77.0.2", i);
  std::string st = stop();
  EXPECT_TRUE(through) << st;
  EXPECT_GE(count(st, "pass"), 2u) << st;

  start("xdp_drop_icmp");
  EXPECT_FALSE(ping(ns_.a(), "10.77.0.2", 10, 700));
  st = stop();
  EXPECT_GE(count(st, "drop"), 1u) << st;

  start("xdp_pong");
  bool answered = false;
  for (uint16_t i = 20; i < 23 && !answered; ++i) answered = ping(ns_.a(), "10.77.0.50", i);
  EXPECT_TRUE(ping(ns_.a(), "10.77.0.2", 30));
  st = stop();
  EXPECT_TRUE(answered) << st;
  EXPECT_GE(count(st, "tx"), 1u) << st;
}

// A devmap bridge: xdp_forward (progs/net_redirect.bpf.c) redirects each frame to the device
// `ports_hash` holds for its ingress ifindex; the map, filled through the store with the real
// kernel ifindexes of m0 and m1, sends m0's frames out of m1 and back, so pings cross without
// `bridge`. A target that is no interface of the run drops (redirect_unknown).
TEST_F(LiveCli, DevmapRedirectForwardsBetweenVeths) {
  if (access(NET_REDIRECT_OBJ, R_OK) != 0) GTEST_SKIP() << NET_REDIRECT_OBJ << " not built";
  uint32_t i0 = 0, i1 = 0;
  in_netns(ns_.m(), [&] {
    i0 = if_nametoindex(ns_.dev("m0").c_str());
    i1 = if_nametoindex(ns_.dev("m1").c_str());
  });
  ASSERT_TRUE(i0 && i1);
  const std::string pins = store_ + "-pins";
  ASSERT_TRUE(bombus(std::string("prog loadall ") + NET_REDIRECT_OBJ + " " + pins + "/p pinmaps " +
                     pins + "/maps"));
  auto set = [&](uint32_t from, uint32_t to) {
    return bombus("map update pinned " + pins + "/maps/ports_hash key " + fmt_u32(from) +
                  " value " + fmt_u32(to) + " 0 0 0 0");
  };
  ASSERT_TRUE(set(i0, i1));
  ASSERT_TRUE(set(i1, i0));
  start_run({"pinned", pins + "/p/xdp_forward", "dev", ns_.dev("m0"), "dev", ns_.dev("m1")});
  bool through = false;
  for (uint16_t i = 1; i <= 3 && !through; ++i) through = ping(ns_.a(), "10.77.0.2", i);
  std::string st = stop();
  EXPECT_TRUE(through) << st;
  EXPECT_GE(count(st, "redirect"), 2u) << st;
  EXPECT_NE(st.find("{\"ifindex\":" + std::to_string(i1) + ",\"packets\":"), std::string::npos)
      << st;
  EXPECT_EQ(count(st, "redirect_unknown"), 0u) << st;

  // m0's frames to an ifindex that is no interface of the run: dropped, counted.
  ASSERT_TRUE(set(i0, 999));
  start_run({"pinned", pins + "/p/xdp_forward", "dev", ns_.dev("m0"), "dev", ns_.dev("m1")});
  EXPECT_FALSE(ping(ns_.a(), "10.77.0.2", 10, 700));
  st = stop();
  EXPECT_GE(count(st, "redirect_unknown"), 1u) << st;
  EXPECT_GE(count(st, "drop"), 1u) << st;
  sh("rm -rf " + pins);
}
#endif

TEST(Live, OpenErrorsAreClear) {
  auto r = LiveInterface::open("bombus-no-such-if0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().format().find("bombus-no-such-if0"), std::string::npos);
  LiveOptions bad;
  bad.block_size = 1000;
  auto b = LiveInterface::open("lo", bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::kInvalid);
}

}  // namespace
}  // namespace bombus::net
