// Linker test input A: uses an extern function, an extern map and an extern global that
// link_b.bpf.c defines, plus its own .text subprogram and .bss variable.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern __u32 scale;
extern int add_bias(int x);
extern struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

__u64 result;

static __noinline int twice(int x) {
  return x * 2;
}

SEC("xdp")
int prog_a(struct xdp_md* ctx) {
  // The input value is the packet's first byte (bounds-checked packet access).
  __u8* p = (__u8*)(long)ctx->data;
  if ((void*)(p + 1) > (void*)(long)ctx->data_end) return XDP_ABORTED;
  __u32 len = p[0];
  __u32 k = 0;
  __u64* c = bpf_map_lookup_elem(&counts, &k);
  if (c) *c += 1;
  result = (__u64)(add_bias(len) * scale) + twice(len);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
