// The legacy SEC("maps") section with struct bpf_map_def (libbpf 1.x dropped it; older
// objects still use it). Not loadable by libbpf 1.x, so the kernel differential test skips it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counts = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 64,
};

struct bpf_map_def SEC("maps") legacy_hash = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u32),
    .max_entries = 128,
    .map_flags = 1, /* BPF_F_NO_PREALLOC */
};

SEC("socket")
int legacy_prog(struct __sk_buff* skb) {
  __u32 k = skb->len & 63;
  __u64* v = bpf_map_lookup_elem(&legacy_counts, &k);
  if (v) (*v)++;
  __u32 one = 1;
  bpf_map_update_elem(&legacy_hash, &k, &one, BPF_ANY);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
