// .ksyms externs (all weak, so the object opens without a symbol table): kernel variables by
// address (untyped), one that no table has, and kfunc calls. bombus resolves them through
// OpenOptions::ksym_resolver (the platform's table); unresolved weak ones read as zero.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const void bpf_prog_active __ksym __weak;
extern const void bombus_no_such_symbol __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;

SEC("tc")
int ksym_prog(struct __sk_buff* skb) {
  __u64 a = (__u64)&bpf_prog_active;
  __u64 b = (__u64)&bombus_no_such_symbol;
  bpf_rcu_read_lock();
  bpf_rcu_read_unlock();
  return (a + b) & 1;
}

char LICENSE[] SEC("license") = "GPL";
