// Ring buffer: reserve/submit events from XDP; also bpf_ringbuf_output.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
  __u32 len;
  __u32 ifindex;
  __u64 ts;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int rb_prog(struct xdp_md* ctx) {
  struct event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return XDP_PASS;
  e->len = ctx->data_end - ctx->data;
  e->ifindex = ctx->ingress_ifindex;
  e->ts = bpf_ktime_get_ns();
  bpf_ringbuf_submit(e, 0);
  __u32 small = 1;
  bpf_ringbuf_output(&events, &small, sizeof(small), 0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
