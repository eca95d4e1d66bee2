// A strong typed ksym and a strong kfunc that no kernel has (libbpf: "not found in kernel BTF" /
// "not found in kernel or module BTFs").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bombus_thing {
  int x;
};
extern const struct bombus_thing bombus_strong_var __ksym;

SEC("tc")
int needs_typed_ksym(struct __sk_buff* skb) {
  return bpf_per_cpu_ptr(&bombus_strong_var, 0) != 0;
}

char LICENSE[] SEC("license") = "GPL";
