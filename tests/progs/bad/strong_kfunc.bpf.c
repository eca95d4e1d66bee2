// A strong kfunc that no kernel has: libbpf fails with "not found in kernel or module BTFs".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bombus_strong_kfunc(int x) __ksym;

SEC("tc")
int needs_kfunc(struct __sk_buff* skb) {
  return bombus_strong_kfunc(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
