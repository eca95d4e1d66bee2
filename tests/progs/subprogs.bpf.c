// Subprograms: static and global functions in .text called from several programs (two in the
// same section), nested calls, a subprogram using a map. Each program gets its own copy.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

static __noinline __u64 bump(__u32 slot, __u64 by) {
  __u64* v = bpf_map_lookup_elem(&stats, &slot);
  if (!v) return 0;
  *v += by;
  return *v;
}

static __noinline int square(int x) { return x * x; }

static __noinline int sum_squares(int a, int b) { return square(a) + square(b); }

__noinline int global_add(int a, int b) { return a + b; }

SEC("xdp")
int prog_a(struct xdp_md* ctx) {
  int s = sum_squares(ctx->ingress_ifindex, 3);
  bump(0, s);
  return global_add(s, 1) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int prog_b(struct xdp_md* ctx) {
  bump(1, square(ctx->rx_queue_index));
  return XDP_PASS;
}

SEC("tc")
int prog_c(struct __sk_buff* skb) {
  return global_add(bump(2, skb->len), square(2)) & 1;
}

char LICENSE[] SEC("license") = "GPL";
