// Socket fields at run time: reads skb->sk (struct bpf_sock), bpf_sk_fullsock(sk) and
// bpf_tcp_sock(sk) fields, word, half and byte loads, into an array map; and the __sk_buff fields
// the kernel takes from the socket (cgroup_skb). Corpus: SEC("tc") and SEC("cgroup_skb/ingress").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 40);
  __type(key, __u32);
  __type(value, __u64);
} sk_out SEC(".maps");

static __always_inline void put(__u32 k, __u64 v) {
  __u64* p = bpf_map_lookup_elem(&sk_out, &k);
  if (p) *p = v;
}

SEC("tc")
int sk_fields(struct __sk_buff* skb) {
  struct bpf_sock* sk = skb->sk;
  if (!sk) return 1;
  put(0, sk->family);
  put(1, sk->src_ip4);
  put(2, sk->dst_ip4);
  put(3, sk->src_ip6[0]);
  put(4, sk->src_ip6[3]);
  put(5, sk->dst_ip6[0]);
  put(6, sk->dst_ip6[3]);
  put(7, sk->src_port);
  put(8, sk->dst_port);
  put(9, sk->state);
  put(10, (__u64)(__s64)sk->rx_queue_mapping);
  put(11, sk->bound_dev_if);
  put(12, ((volatile __u8*)&sk->dst_ip4)[1]);
  put(13, *(volatile __u16*)&sk->family);
  struct bpf_sock* full = bpf_sk_fullsock(sk);
  if (!full) return 2;
  put(14, full->type);
  put(15, full->protocol);
  put(16, full->mark);
  put(17, full->priority);
  put(18, *(volatile __u8*)&full->state);
  struct bpf_tcp_sock* tp = bpf_tcp_sock(sk);
  put(19, tp != 0);
  if (tp) {
    put(20, tp->snd_cwnd);
    put(21, tp->bytes_acked);
  }
  struct bpf_sock* listener = bpf_get_listener_sock(sk);
  put(22, listener != 0);
  put(23, bpf_get_socket_uid(skb));
  put(24, bpf_get_socket_cookie(skb) != 0);
  return 0;
}

SEC("cgroup_skb/ingress")
int skb_sock_info(struct __sk_buff* skb) {
  put(30, skb->family);
  put(31, skb->remote_ip4);
  put(32, skb->local_ip4);
  put(33, skb->remote_ip6[0]);
  put(34, skb->local_ip6[3]);
  put(35, skb->remote_port);
  put(36, skb->local_port);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
