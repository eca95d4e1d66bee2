// An XDP firewall: drops IPv4 packets from blocked source addresses, TCP and UDP traffic to a
// blocked port (telnet by default, set in .rodata), and counts every verdict. It is built with
// clang -target bpf exactly as for the kernel, and it is what `make demo` runs.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
  __be16 tci;
  __be16 proto;
};

// Source addresses to drop (network byte order) -> packets dropped.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} blocked_v4 SEC(".maps");

// Packets per XDP verdict (index = XDP_ABORTED .. XDP_REDIRECT).
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 5);
  __type(key, __u32);
  __type(value, __u64);
} verdicts SEC(".maps");

const volatile __u16 blocked_port = 23;

static __always_inline int count(int verdict) {
  __u32 key = verdict;
  __u64 *v = bpf_map_lookup_elem(&verdicts, &key);
  if (v) __sync_fetch_and_add(v, 1);
  return verdict;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return count(XDP_DROP);

  __u16 proto = eth->h_proto;
  void *l3 = eth + 1;
  if (proto == bpf_htons(ETH_P_8021Q)) {
    struct vlan_hdr *vh = l3;
    if ((void *)(vh + 1) > data_end) return count(XDP_DROP);
    proto = vh->proto;
    l3 = vh + 1;
  }
  if (proto != bpf_htons(ETH_P_IP)) return count(XDP_PASS);

  struct iphdr *ip = l3;
  if ((void *)(ip + 1) > data_end) return count(XDP_DROP);
  __u64 *hits = bpf_map_lookup_elem(&blocked_v4, &ip->saddr);
  if (hits) {
    __sync_fetch_and_add(hits, 1);
    return count(XDP_DROP);
  }
  if (ip->ihl < 5) return count(XDP_DROP);
  void *l4 = (void *)ip + ip->ihl * 4;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > data_end) return count(XDP_PASS);
    if (tcp->dest == bpf_htons(blocked_port)) return count(XDP_DROP);
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end) return count(XDP_PASS);
    if (udp->dest == bpf_htons(blocked_port)) return count(XDP_DROP);
  }
  return count(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
