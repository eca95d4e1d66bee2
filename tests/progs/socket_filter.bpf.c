// Socket filter: accept only UDP/IPv4 packets (whole length), drop the rest. Corpus:
// SEC("socket"), bpf_skb_load_bytes, the "version" section.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int udp_only(struct __sk_buff* skb) {
  __u8 proto = 0;
  if (skb->protocol != __builtin_bswap16(ETH_P_IP)) return 0;
  if (bpf_skb_load_bytes(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, protocol), &proto, 1))
    return 0;
  return proto == IPPROTO_UDP ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060100;
