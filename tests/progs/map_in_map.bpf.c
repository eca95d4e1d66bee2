// Map-in-map: an array of maps and a hash of maps whose inner template is given with
// __array(values, ...), one of them with a `.values` initialiser naming inner maps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_map {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, struct inner_map);
} outer_arr SEC(".maps") = {
    .values = {[0] = &inner_a, [2] = &inner_b},
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, __u32);
  __array(values, struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u64);
    __type(value, __u64);
  });
} outer_hash SEC(".maps");

SEC("xdp")
int mim_prog(struct xdp_md* ctx) {
  __u32 k = 0;
  void* inner = bpf_map_lookup_elem(&outer_arr, &k);
  if (!inner) return XDP_PASS;
  __u32* v = bpf_map_lookup_elem(inner, &k);
  if (v) *v += 1;
  void* h = bpf_map_lookup_elem(&outer_hash, &k);
  if (h) {
    __u64 hk = 1;
    bpf_map_lookup_elem(h, &hk);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
