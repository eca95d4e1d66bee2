// Redirecting programs for the redirect tests (engines, kernel differential, CLI, live veth):
//  - xdp_redirect_pkt: bpf_redirect_map driven by the packet itself, so one program covers every
//    case: byte 14 picks the map (0: `ports`, a DEVMAP with 4-byte values; 1: `ports_hash`, a
//    DEVMAP_HASH of struct bpf_devmap_val; 2: `cpus`, a CPUMAP of struct bpf_cpumap_val; 3:
//    `xsks`, an XSKMAP), bytes 15..18 are the key, 19..26 the flags (little-endian); shorter
//    frames pass;
//  - xdp_redirect_ifindex: bpf_redirect(ifindex, flags) with the ifindex in bytes 15..18 and the
//    flags in 19..26;
//  - xdp_redirect_twice: bpf_redirect(77) then bpf_redirect_map(ports, key, flags), returning
//    XDP_REDIRECT whatever the second call said (a miss leaves no target, as in the kernel);
//  - xdp_redirect_dst: IPv4 frames go to ifindex 10 + (last byte of the destination & 3) through
//    bpf_redirect, the rest passes (the CLI's per-target outputs are checked from the bytes);
//  - xdp_broadcast: every device of `ports` except the ingress one (BPF_F_BROADCAST |
//    BPF_F_EXCLUDE_INGRESS);
//  - xdp_forward: the device `ports_hash` holds for the ingress ifindex, else XDP_PASS (the live
//    test's devmap bridge between two veths);
//  - xdp_cpu_spread: IPv4 frames go to CPU (last byte of the destination & 1) through `cpus`
//    (XDP_PASS when that CPU has no entry), the rest passes;
//  - xdp_sock_queue: an AF_XDP program as libxdp writes it: the socket `xsks` holds for the
//    packet's rx queue, if its queue_id matches, else XDP_PASS; ingress ifindex 9 drops (the CLI's
//    `ifindex N` is checked with it);
//  - tc_ifindex: tc's view of the same: skb->ifindex 9 is shot, the rest passes;
//  - tc_redirect: tc's bpf_redirect with the ifindex and flags read like xdp_redirect_ifindex.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, struct bpf_devmap_val);
} ports_hash SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_CPUMAP);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} xsks SEC(".maps");

struct args {
  __u8 map;
  __u32 key;
  __u64 flags;
} __attribute__((packed));

static __always_inline struct args* args_of(void* data, void* end) {
  struct args* a = data + sizeof(struct ethhdr);
  if ((void*)(a + 1) > end) return 0;
  return a;
}

SEC("xdp")
int xdp_redirect_pkt(struct xdp_md* ctx) {
  struct args* a = args_of((void*)(long)ctx->data, (void*)(long)ctx->data_end);
  if (!a) return XDP_PASS;
  if (a->map == 0) return bpf_redirect_map(&ports, a->key, a->flags);
  if (a->map == 2) return bpf_redirect_map(&cpus, a->key, a->flags);
  if (a->map == 3) return bpf_redirect_map(&xsks, a->key, a->flags);
  return bpf_redirect_map(&ports_hash, a->key, a->flags);
}

SEC("xdp")
int xdp_redirect_ifindex(struct xdp_md* ctx) {
  struct args* a = args_of((void*)(long)ctx->data, (void*)(long)ctx->data_end);
  if (!a) return XDP_PASS;
  return bpf_redirect(a->key, a->flags);
}

SEC("xdp")
int xdp_redirect_twice(struct xdp_md* ctx) {
  struct args* a = args_of((void*)(long)ctx->data, (void*)(long)ctx->data_end);
  if (!a) return XDP_PASS;
  bpf_redirect(77, 0);
  bpf_redirect_map(&ports, a->key, a->flags);  // the last call decides the target
  return XDP_REDIRECT;
}

// The IPv4 header of a frame, or null.
static __always_inline struct iphdr* ipv4_of(struct xdp_md* ctx) {
  void* end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = (void*)(long)ctx->data;
  if ((void*)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr* ip = (void*)(eth + 1);
  if ((void*)(ip + 1) > end) return 0;
  return ip;
}

SEC("xdp")
int xdp_redirect_dst(struct xdp_md* ctx) {
  struct iphdr* ip = ipv4_of(ctx);
  if (!ip) return XDP_PASS;
  return bpf_redirect(10 + (bpf_ntohl(ip->daddr) & 3), 0);
}

SEC("xdp")
int xdp_broadcast(struct xdp_md* ctx) {
  return bpf_redirect_map(&ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

SEC("xdp")
int xdp_forward(struct xdp_md* ctx) {
  return bpf_redirect_map(&ports_hash, ctx->ingress_ifindex, XDP_PASS);
}

SEC("xdp")
int xdp_cpu_spread(struct xdp_md* ctx) {
  struct iphdr* ip = ipv4_of(ctx);
  if (!ip) return XDP_PASS;
  return bpf_redirect_map(&cpus, bpf_ntohl(ip->daddr) & 1, XDP_PASS);
}

SEC("xdp")
int xdp_sock_queue(struct xdp_md* ctx) {
  __u32 q = ctx->rx_queue_index;
  if (ctx->ingress_ifindex == 9) return XDP_DROP;
  struct bpf_xdp_sock* xs = bpf_map_lookup_elem(&xsks, &q);
  if (xs && xs->queue_id == q) return bpf_redirect_map(&xsks, q, XDP_PASS);
  return XDP_PASS;
}

SEC("tc")
int tc_ifindex(struct __sk_buff* skb) {
  return skb->ifindex == 9 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int tc_redirect(struct __sk_buff* skb) {
  struct args* a = args_of((void*)(long)skb->data, (void*)(long)skb->data_end);
  if (!a) return TC_ACT_OK;
  return bpf_redirect(a->key, a->flags);
}

char LICENSE[] SEC("license") = "GPL";
