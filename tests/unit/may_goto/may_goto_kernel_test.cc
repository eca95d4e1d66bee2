// The may_goto programs of may_goto_progs.h on the running kernel (socket filters through
// BPF_PROG_TEST_RUN): the kernel's answers that may_goto_test.cc expects of bombus's engines.
// The kernel gives every function its own counter (on x86-64 since 6.14 a timed one: the loop
// that spends it runs for about 250 ms). Skips when bpf() is unavailable or the kernel does not
// load may_goto.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "may_goto_progs.h"

namespace bombus::may_goto_test {
namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// BTF func_info for a program whose callback starts at `callback_at` (the kernel wants it for
// callbacks): two static functions of type int(void).
struct FuncInfo {
  btf* b = btf__new_empty();
  bpf_func_info info[2] = {};
  explicit FuncInfo(uint32_t callback_at) {
    int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    int proto = btf__add_func_proto(b, i);
    info[0] = {0, static_cast<__u32>(btf__add_func(b, "main", BTF_FUNC_STATIC, proto))};
    info[1] = {callback_at, static_cast<__u32>(btf__add_func(b, "cb", BTF_FUNC_STATIC, proto))};
    if (btf__load_into_kernel(b) != 0) info[0].type_id = 0;
  }
  ~FuncInfo() { btf__free(b); }
  FuncInfo(const FuncInfo&) = delete;
  FuncInfo& operator=(const FuncInfo&) = delete;
};

// Loads `p` as a socket filter; on failure returns -errno and the verifier log in `log`.
int load(const std::vector<Insn>& p, std::string& log, const FuncInfo* fi = nullptr) {
  static_assert(sizeof(Insn) == sizeof(bpf_insn));
  std::vector<char> buf(1 << 16, 0);
  LIBBPF_OPTS(bpf_prog_load_opts, o, .log_level = 1, .log_size = static_cast<__u32>(buf.size()),
              .log_buf = buf.data());
  if (fi) {
    o.prog_btf_fd = btf__fd(fi->b);
    o.func_info = fi->info;
    o.func_info_cnt = 2;
    o.func_info_rec_size = sizeof(bpf_func_info);
  }
  int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "may_goto", "GPL",
                         reinterpret_cast<const bpf_insn*>(p.data()), p.size(), &o);
  if (fd < 0) {
    int err = -errno;
    log = buf.data();
    return err;
  }
  return fd;
}

// r0 of one test run (the skb's 64 zero bytes as data).
uint32_t test_run(int fd) {
  unsigned char pkt[64] = {};
  LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof pkt, .repeat = 1);
  int r = bpf_prog_test_run_opts(fd, &o);
  EXPECT_EQ(r, 0) << std::strerror(errno);
  return o.retval;
}

class KernelMayGoto : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string log;
    int fd = load(tail_target(), log);
    if (fd == -EPERM || fd == -ENOSYS) GTEST_SKIP() << "bpf() unavailable: " << std::strerror(-fd);
    if (fd < 0) GTEST_SKIP() << "the kernel does not load may_goto: " << log;
    probe_.fd = fd;
  }
  uint32_t load_and_run(const std::vector<Insn>& p, const FuncInfo* fi = nullptr) {
    std::string log;
    Fd f(load(p, log, fi));
    EXPECT_GE(f.fd, 0) << log;
    return f.fd >= 0 ? test_run(f.fd) : 0;
  }
  Fd probe_;
};

TEST_F(KernelMayGoto, TailCalledProgramGetsAFreshBudget) {
  EXPECT_EQ(test_run(probe_.fd), 1u);  // a fresh program: falls through
  Fd map(bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "may_goto_pa", 4, 4, 1, nullptr));
  ASSERT_GE(map.fd, 0) << std::strerror(errno);
  uint32_t key = 0;
  uint32_t value = static_cast<uint32_t>(probe_.fd);
  ASSERT_EQ(bpf_map_update_elem(map.fd, &key, &value, BPF_ANY), 0) << std::strerror(errno);
  EXPECT_EQ(load_and_run(tail_caller(static_cast<uint64_t>(map.fd), true)), 1u);
}

TEST_F(KernelMayGoto, SubprogramGetsAFreshBudgetAndTheCallerKeepsItsOwn) {
  EXPECT_EQ(load_and_run(spent_caller_of_subprogram()), 21u);
  EXPECT_EQ(load_and_run(fresh_caller_of_spending_subprogram()), 1u);
}

TEST_F(KernelMayGoto, CallbackGetsAFreshBudget) {
  FuncInfo fi(kCallbackAt);
  ASSERT_NE(fi.info[0].type_id, 0u) << "loading the BTF failed";
  EXPECT_EQ(load_and_run(spent_caller_of_callback(true), &fi), 1u);
}

}  // namespace
}  // namespace bombus::may_goto_test
