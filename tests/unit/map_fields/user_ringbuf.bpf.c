// Drains a user ring buffer: sums the 8-byte samples (bpf_dynptr_read), stops after a 99, and
// accumulates {samples, sum, last read result} in `out`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_USER_RINGBUF);
  __uint(max_entries, 4096);
} urb SEC(".maps");

struct result {
  __u64 samples, sum;
  __s64 last;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct result);
} out SEC(".maps");

struct cb_ctx {
  __u64 sum;
  __s64 last;
};

static long on_sample(struct bpf_dynptr* d, void* ctx) {
  struct cb_ctx* c = ctx;
  __u64 v = 0;
  c->last = bpf_dynptr_read(&v, sizeof(v), d, 0, 0);
  c->sum += v;
  return v == 99;
}

SEC("xdp")
int drain(struct xdp_md* ctx) {
  struct cb_ctx c = {};
  long n = bpf_user_ringbuf_drain(&urb, on_sample, &c, 0);
  __u32 k = 0;
  struct result* r = bpf_map_lookup_elem(&out, &k);
  if (!r) return XDP_ABORTED;
  r->samples += n;
  r->sum += c.sum;
  r->last = c.last;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
