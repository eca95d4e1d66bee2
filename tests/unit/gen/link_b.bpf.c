// Linker test input B: defines what link_a.bpf.c declares extern (a global function, a map, a
// .data variable), with its own .bss variable and a static subprogram in .text.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u32 scale = 3;
__u64 b_total;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

static __noinline int plus_one(int x) {
  return x + 1;
}

__noinline int add_bias(int x) {
  return x + 10;
}

SEC("xdp")
int prog_b(struct xdp_md* ctx) {
  // The input value is the packet's first byte (bounds-checked packet access).
  __u8* p = (__u8*)(long)ctx->data;
  if ((void*)(p + 1) > (void*)(long)ctx->data_end) return XDP_ABORTED;
  __u32 len = p[0];
  __u32 k = 1;
  __u64* c = bpf_map_lookup_elem(&counts, &k);
  if (c) *c += 1;
  b_total += plus_one(len);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
