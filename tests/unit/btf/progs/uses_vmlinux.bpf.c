// Compiled against the vmlinux.h that bombus generates: a CO-RE program touching task_struct.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tp_btf/sched_switch")
int on_switch(u64* ctx) {
  struct task_struct* t = (struct task_struct*)bpf_get_current_task();
  int pid = BPF_CORE_READ(t, pid);
  int tgid = BPF_CORE_READ(t, real_parent, tgid);
  return pid + tgid + (bpf_core_field_exists(t->pid) ? 1 : 0);
}

char LICENSE[] SEC("license") = "GPL";
