// A struct_ops map: a TCP congestion control whose ssthresh/undo_cwnd/cong_avoid members point at
// SEC("struct_ops/...") programs, with a data member (name) copied into the kernel's
// struct bpf_struct_ops_tcp_congestion_ops. The local struct lists only the members it sets;
// libbpf (and bombus) match them to the kernel's by name.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct sock;

struct tcp_congestion_ops {
  __u32 (*ssthresh)(struct sock* sk);
  void (*cong_avoid)(struct sock* sk, __u32 ack, __u32 acked);
  __u32 (*undo_cwnd)(struct sock* sk);
  __u32 flags;
  char name[16];
};

SEC("struct_ops/bombus_ssthresh")
__u32 BPF_PROG(bombus_ssthresh, struct sock* sk) { return 2; }

SEC("struct_ops/bombus_cong_avoid")
void BPF_PROG(bombus_cong_avoid, struct sock* sk, __u32 ack, __u32 acked) {}

SEC("struct_ops/bombus_undo_cwnd")
__u32 BPF_PROG(bombus_undo_cwnd, struct sock* sk) { return 10; }

SEC(".struct_ops")
struct tcp_congestion_ops bombus_cc = {
    .ssthresh = (void*)bombus_ssthresh,
    .cong_avoid = (void*)bombus_cong_avoid,
    .undo_cwnd = (void*)bombus_undo_cwnd,
    .flags = 0,
    .name = "bombus_cc",
};

char LICENSE[] SEC("license") = "GPL";
