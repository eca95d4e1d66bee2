// kfunc externs the running kernel loads: calls resolved to vmlinux BTF FUNC ids (call src 2,
// off 0), and a weak kfunc no kernel has, called behind its existence check (libbpf 1.1 leaves
// the call with imm 0; the kernel accepts it because the check prunes it).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern int bombus_missing_kfunc(int x) __ksym __weak;

SEC("tc")
int kfunc_prog(struct __sk_buff* skb) {
  int r = skb->len;
  bpf_rcu_read_lock();
  bpf_rcu_read_unlock();
  if (&bombus_missing_kfunc) r += bombus_missing_kfunc(r);
  return r & 1;
}

char LICENSE[] SEC("license") = "GPL";
