// Invalid without a symbol table that has it: a strong .ksyms extern.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const void bombus_strong_symbol __ksym;

SEC("tc")
int needs_ksym(struct __sk_buff* skb) { return (long)&bombus_strong_symbol & 1; }

char LICENSE[] SEC("license") = "GPL";
