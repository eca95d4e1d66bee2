// tc classifier: marks packets by length class and counts bytes per protocol.
// Corpus: SEC("tc"), __sk_buff fields, percpu array.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u64);
} bytes_by_proto SEC(".maps");

SEC("tc")
int tc_mark(struct __sk_buff* skb) {
  __u32 proto = skb->protocol & 0xff;
  __u64* b = bpf_map_lookup_elem(&bytes_by_proto, &proto);
  if (b) *b += skb->len;
  skb->mark = skb->len > 1000 ? 2 : 1;
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
