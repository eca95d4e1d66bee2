// Typed .ksyms and kfuncs resolved against vmlinux BTF: a per-CPU kernel variable by type
// (struct rq runqueues, read through bpf_per_cpu_ptr), an int one, kfunc calls, and weak ones
// that the kernel does not have (a variable that reads as zero, a kfunc whose call stays
// unresolved with imm 0 behind an existence check the verifier prunes).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rq {
  int cpu;
} __attribute__((preserve_access_index));

extern const struct rq runqueues __ksym;
extern const int bpf_prog_active __ksym;
extern const struct rq bombus_missing_var __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern int bombus_missing_kfunc(int x) __ksym __weak;

SEC("tc")
int ksyms_typed(struct __sk_buff* skb) {
  int r = 0;
  const struct rq* rq = bpf_per_cpu_ptr(&runqueues, 0);
  if (rq) r += rq->cpu;
  if (bpf_per_cpu_ptr(&bpf_prog_active, 0)) r += 2;
  if (&bombus_missing_var) r += 4;
  bpf_rcu_read_lock();
  bpf_rcu_read_unlock();
  if (&bombus_missing_kfunc) r += bombus_missing_kfunc(r);
  return r & 1;
}

char LICENSE[] SEC("license") = "GPL";
