// XDP programs the net_e2e tests drive through `bombus net run`:
//  - xdp_mix: counts packets in a per-CPU array, drops IPv4 UDP to port 53, sends UDP to port
//    123 back with the MAC addresses swapped (XDP_TX), trims 4 bytes off IPv4 TCP frames of 100
//    bytes or more (bpf_xdp_adjust_tail) and passes them, passes the rest;
//  - xdp_pass: passes everything; xdp_drop_icmp: drops IPv4 ICMP;
//  - xdp_pong: answers ICMP echo requests to 10.77.0.50 itself (XDP_TX), passes the rest.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

static __always_inline struct iphdr* ipv4(void* data, void* end) {
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr* ip = (void*)(eth + 1);
  if ((void*)(ip + 1) > end || ip->ihl != 5) return 0;
  return ip;
}

SEC("xdp")
int xdp_mix(struct xdp_md* ctx) {
  __u32 zero = 0;
  __u64* n = bpf_map_lookup_elem(&seen, &zero);
  if (n) *n += 1;
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  struct iphdr* ip = ipv4(data, end);
  if (!ip) return XDP_PASS;
  if (ip->protocol == IPPROTO_UDP) {
    __u8* udp = (void*)(ip + 1);
    if ((void*)(udp + 8) > end) return XDP_PASS;
    __u16 dport = (udp[2] << 8) | udp[3];
    if (dport == 53) return XDP_DROP;
    if (dport == 123) {
      struct ethhdr* eth = data;
      __u8 tmp[ETH_ALEN];
      __builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
      __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
      __builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
      return XDP_TX;
    }
    return XDP_PASS;
  }
  if (ip->protocol == IPPROTO_TCP && data + 100 <= end) {
    if (bpf_xdp_adjust_tail(ctx, -4)) return XDP_ABORTED;
  }
  return XDP_PASS;
}

SEC("xdp")
int xdp_pass(struct xdp_md* ctx) {
  return XDP_PASS;
}

SEC("xdp")
int xdp_drop_icmp(struct xdp_md* ctx) {
  struct iphdr* ip = ipv4((void*)(long)ctx->data, (void*)(long)ctx->data_end);
  return ip && ip->protocol == IPPROTO_ICMP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_pong(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  struct iphdr* ip = ipv4(data, end);
  if (!ip || ip->protocol != IPPROTO_ICMP || ip->daddr != bpf_htonl(0x0a4d0032)) return XDP_PASS;
  __u8* icmp = (void*)(ip + 1);
  if ((void*)(icmp + 8) > end || icmp[0] != 8) return XDP_PASS;
  struct ethhdr* eth = data;
  __u8 mac[ETH_ALEN];
  __builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, mac, ETH_ALEN);
  __u32 a = ip->saddr;
  ip->saddr = ip->daddr;
  ip->daddr = a;
  icmp[0] = 0;  // echo reply: the checksum grows by 0x0800 (one's complement)
  __u32 sum = ((icmp[2] << 8) | icmp[3]) + 0x0800;
  sum = (sum & 0xffff) + (sum >> 16);
  icmp[2] = sum >> 8;
  icmp[3] = sum & 0xff;
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
