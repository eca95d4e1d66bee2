// Benchmark programs: 100 map operations per run on array, hash, lru_hash and lpm_trie maps.
// Each run updates and looks up 100 keys (lpm: 100 longest-prefix lookups).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 100

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} arr SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} hash SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} lru SEC(".maps");

struct lpm_key {
  __u32 prefixlen;
  __u32 addr;
};
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 1024);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct lpm_key);
  __type(value, __u64);
} lpm SEC(".maps");

#define UPDATE_LOOKUP(map)                                  \
  __u64 sum = 0;                                            \
  _Pragma("unroll") for (__u32 i = 0; i < N; i++) {         \
    __u32 k = i * 7;                                        \
    __u64 v = i;                                            \
    bpf_map_update_elem(&map, &k, &v, BPF_ANY);             \
    __u64* p = bpf_map_lookup_elem(&map, &k);               \
    if (p) sum += *p;                                       \
  }                                                         \
  return sum == 4950 ? XDP_PASS : XDP_DROP;

SEC("xdp")
int bench_array(struct xdp_md* ctx) { UPDATE_LOOKUP(arr) }

SEC("xdp")
int bench_hash(struct xdp_md* ctx) { UPDATE_LOOKUP(hash) }

SEC("xdp")
int bench_lru(struct xdp_md* ctx) { UPDATE_LOOKUP(lru) }

SEC("xdp")
int bench_lpm(struct xdp_md* ctx) {
  __u64 sum = 0;
  _Pragma("unroll") for (__u32 i = 0; i < N; i++) {
    struct lpm_key k = {32, 0x0a000000u | (i << 8) | i};  // 0.0.0.10-style, host order bytes
    __u64* p = bpf_map_lookup_elem(&lpm, &k);
    if (p) sum += *p;
  }
  return sum ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
