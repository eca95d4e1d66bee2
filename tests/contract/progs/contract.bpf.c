// Programs for the bpftool contract (tests/contract/contract.sh): a syscall program (run with
// `repeat 0`), a tc program that changes its __sk_buff (ctx_in/ctx_out), and per-CPU
// maps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} sys_values SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} pcpu_array SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} pcpu_hash SEC(".maps");

SEC("syscall")
int sys_count(void* ctx) {
  __u32 key = 2;
  __u64* v = bpf_map_lookup_elem(&sys_values, &key);
  if (!v) return -1;
  *v += 5;
  return (int)*v;
}

SEC("tc")
int tc_mark(struct __sk_buff* skb) {
  skb->mark = skb->mark * 2 + 1;
  skb->priority = 7;
  skb->cb[0] = skb->len;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
