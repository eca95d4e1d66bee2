// XDP firewall: drops IPv4 packets whose source address is in a hash map, counts verdicts in a
// per-action array. Corpus: BTF hash map, array map, packet parsing, bpf_map_lookup/update.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} blocklist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} verdicts SEC(".maps");

static __always_inline void count(__u32 action) {
  __u64* v = bpf_map_lookup_elem(&verdicts, &action);
  if (v) __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_fw(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end) {
    count(XDP_ABORTED);
    return XDP_ABORTED;
  }
  if (eth->h_proto != bpf_htons(ETH_P_IP)) {
    count(XDP_PASS);
    return XDP_PASS;
  }
  struct iphdr* ip = (void*)(eth + 1);
  if ((void*)(ip + 1) > data_end) {
    count(XDP_ABORTED);
    return XDP_ABORTED;
  }
  __u32 src = ip->saddr;
  __u64* hits = bpf_map_lookup_elem(&blocklist, &src);
  if (hits) {
    __sync_fetch_and_add(hits, 1);
    count(XDP_DROP);
    return XDP_DROP;
  }
  count(XDP_PASS);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
