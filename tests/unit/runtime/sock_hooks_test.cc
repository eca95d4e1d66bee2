// The attach type through the runtime (tests/progs/sock_hooks.bpf.c): the section name gives the
// loader the attach type, verification uses it (bind4 may return 3, post_bind4 reads src_port),
// and test runs follow the kernel: cgroup_sock runs on ctx_in bytes (a bombus extension), the
// types the kernel cannot test-run are refused with that reason.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "bombus/bombus.h"
#include "bombus_progs.h"

namespace bombus {
namespace {

std::unique_ptr<Object> load_hooks() {
  auto obj = Object::open_file(progs::path("sock_hooks"));
  EXPECT_TRUE(obj.ok()) << (obj.ok() ? "" : obj.error().format());
  if (!obj.ok()) return nullptr;
  auto st = (*obj)->load();  // verifies every program with its attach type
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().format());
  if (!st.ok()) return nullptr;
  return std::move(obj).value();
}

TEST(SockHooks, VerifiedWithTheirAttachTypes) {
  auto obj = load_hooks();
  ASSERT_TRUE(obj);
  for (const char* name :
       {"connect4_port", "bind4_skip_port_check", "post_bind4_port", "msg_first_byte",
        "sockops_reply", "getsockopt_retval", "sysctl_read_only"}) {
    Program* p = obj->find_program(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_TRUE(p->loaded()) << name;
  }
}

TEST(SockHooks, PostBind4RunsOnCtxBytes) {
  auto obj = load_hooks();
  ASSERT_TRUE(obj);
  Program* p = obj->find_program("post_bind4_port");
  ASSERT_NE(p, nullptr);
  uint8_t sock[80] = {};
  uint32_t port = 80;
  std::memcpy(sock + 44, &port, 4);  // struct bpf_sock.src_port
  TestRun in;
  in.ctx_in = sock;
  auto r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 0u);
  port = 81;
  std::memcpy(sock + 44, &port, 4);
  r = p->test_run(in);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->retval, 1u);
}

TEST(SockHooks, TestRunRefusedWhereTheKernelRefuses) {
  auto obj = load_hooks();
  ASSERT_TRUE(obj);
  const struct {
    const char* prog;
    const char* type;
  } cases[] = {{"connect4_port", "cgroup_sock_addr"},
               {"msg_first_byte", "sk_msg"},
               {"sockops_reply", "sock_ops"},
               {"getsockopt_retval", "cgroup_sockopt"},
               {"sysctl_read_only", "cgroup_sysctl"}};
  for (const auto& c : cases) {
    Program* p = obj->find_program(c.prog);
    ASSERT_NE(p, nullptr) << c.prog;
    uint8_t ctx[256] = {};
    TestRun in;
    in.ctx_in = ctx;
    auto r = p->test_run(in);
    ASSERT_FALSE(r.ok()) << c.prog;
    EXPECT_EQ(r.error().code, Errc::kUnsupported) << c.prog;
    EXPECT_NE(r.error().message.find(std::string("no BPF_PROG_TEST_RUN for ") + c.type),
              std::string::npos)
        << r.error().format();
  }
}

}  // namespace
}  // namespace bombus
