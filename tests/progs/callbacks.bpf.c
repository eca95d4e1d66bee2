// Callbacks: bpf_loop and bpf_for_each_map_elem take a static function by address (lddw src=4
// after relocation); the callbacks are subprograms appended to the program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} values SEC(".maps");

struct loop_ctx {
  __u64 sum;
};

static int add_one(__u32 index, struct loop_ctx* c) {
  c->sum += index;
  return 0;
}

static __u64 sum_elem(void* map, __u32* key, __u64* val, struct loop_ctx* c) {
  c->sum += *val;
  return 0;
}

SEC("xdp")
int loop_prog(struct xdp_md* ctx) {
  struct loop_ctx c = {0};
  bpf_loop(10, add_one, &c, 0);
  bpf_for_each_map_elem(&values, sum_elem, &c, 0);
  return c.sum > 100 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
