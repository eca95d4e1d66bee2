// Tail calls: a prog array initialised with `.values` naming programs of the same object.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int tail_a(struct xdp_md* ctx);
int tail_b(struct xdp_md* ctx);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int(void*));
} jump_table SEC(".maps") = {
    .values = {[1] = (void*)&tail_a, [3] = (void*)&tail_b},
};

SEC("xdp")
int tail_a(struct xdp_md* ctx) { return XDP_DROP; }

SEC("xdp")
int tail_b(struct xdp_md* ctx) { return XDP_TX; }

SEC("xdp")
int dispatcher(struct xdp_md* ctx) {
  bpf_tail_call(ctx, &jump_table, ctx->rx_queue_index & 3);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
