// CO-RE against a type only a kernel module has (struct bombus_mod_obj): libbpf looks for
// candidates in module BTFs when vmlinux has none. Byte offset of `b`, and existence of `c`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bombus_mod_obj {
  int a;
  int b;
  int c;
} __attribute__((preserve_access_index));

SEC("tc")
int core_module(struct __sk_buff* skb) {
  struct bombus_mod_obj* o = 0;
  int off = __builtin_preserve_field_info(o->b, 0 /* BPF_FIELD_BYTE_OFFSET */);
  int has_c = __builtin_preserve_field_info(o->c, 2 /* BPF_FIELD_EXISTS */);
  return off * 10 + has_c;
}

char LICENSE[] SEC("license") = "GPL";
