// cgroup and socket-level hooks whose meaning depends on the attach type the section name gives:
// sock_addr (connect4 rewrites the port; bind4 may return 3), cgroup_sock post_bind4 (reads
// src_port), sk_msg, sock_ops, cgroup getsockopt and sysctl. The kernel has no test run for
// most of them; bombus loads and verifies them and refuses their test runs as the kernel does.
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/connect4")
int connect4_port(struct bpf_sock_addr* ctx) {
  if (ctx->user_ip4 == bpf_htonl(0x7f000001) && ctx->user_port == bpf_htons(80))
    ctx->user_port = bpf_htons(8080);
  return 1;
}

SEC("cgroup/bind4")
int bind4_skip_port_check(struct bpf_sock_addr* ctx) {
  return ctx->user_port == bpf_htons(80) ? 3 : 1;
}

SEC("cgroup/post_bind4")
int post_bind4_port(struct bpf_sock* sk) {
  return sk->src_port == 80 ? 0 : 1;
}

SEC("sk_msg")
int msg_first_byte(struct sk_msg_md* msg) {
  __u8* data = msg->data;
  __u8* end = msg->data_end;
  if (data + 1 > end) return SK_PASS;
  return data[0] == 'x' ? SK_DROP : SK_PASS;
}

SEC("sockops")
int sockops_reply(struct bpf_sock_ops* ops) {
  if (ops->op == BPF_SOCK_OPS_TIMEOUT_INIT) ops->reply = 10;
  return 1;
}

SEC("cgroup/getsockopt")
int getsockopt_retval(struct bpf_sockopt* ctx) {
  __u8* v = ctx->optval;
  if (v + 1 <= (__u8*)ctx->optval_end) *v = 1;
  ctx->retval = 0;
  return 1;
}

SEC("cgroup/sysctl")
int sysctl_read_only(struct bpf_sysctl* ctx) {
  return ctx->write ? 0 : 1;
}

char _license[] SEC("license") = "GPL";
