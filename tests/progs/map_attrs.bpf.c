// Map attributes a BTF map definition can carry: sizes instead of types, map_flags, numa_node,
// pinning by name, map_extra (bloom filter hash count), LRU and LPM types. Not in the kernel
// differential test: libbpf would pin maps under /sys/fs/bpf as a side effect.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct lpm_key {
  __u32 prefixlen;
  __u32 addr;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 32);
  __uint(key_size, 8);
  __uint(value_size, 16);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(numa_node, 0);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_sizes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 100);
  __type(value, __u64);
  __uint(map_extra, 3);
} bloom SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 16);
  __type(key, struct lpm_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

SEC("xdp")
int attrs_prog(struct xdp_md* ctx) {
  __u64 k = 1;
  struct lpm_key lk = {32, 0x0100000a};
  __u32* r = bpf_map_lookup_elem(&routes, &lk);
  if (bpf_map_peek_elem(&bloom, &k) == 0) return XDP_DROP;
  if (bpf_map_lookup_elem(&pinned_sizes, &k)) return XDP_TX;
  return r ? XDP_PASS : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
