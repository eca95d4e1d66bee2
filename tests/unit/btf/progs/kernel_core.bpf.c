// CO-RE against the running kernel's BTF, for the differential test with libbpf: no maps, no
// globals, no subprograms, so every relocated instruction keeps its index after libbpf loads it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___local {
  int pid;
  int tgid;
  int no_such_field___x;
  struct task_struct___local* real_parent;
} __attribute__((preserve_access_index));

SEC("kprobe/do_nanosleep")
int probe(struct pt_regs* ctx) {
  struct task_struct* t = (struct task_struct*)bpf_get_current_task();
  long acc = 0;
  acc += BPF_CORE_READ(t, pid);
  acc += BPF_CORE_READ(t, real_parent, tgid);
  acc += BPF_CORE_READ(t, mm, total_vm);
  acc += bpf_core_field_size(t->comm);
  acc += bpf_core_field_offset(t->se.vruntime);
  acc += bpf_core_type_size(struct task_struct);
  acc += bpf_core_type_exists(struct sk_buff);
  acc += bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_ARRAY);
  acc += bpf_core_enum_value_exists(enum bpf_prog_type, BPF_PROG_TYPE_XDP);
  acc += bpf_core_field_exists(((struct task_struct___local*)t)->no_such_field___x);
  acc += BPF_CORE_READ((struct task_struct___local*)t, real_parent, pid);
  acc += BPF_CORE_READ(t, thread_info.flags);
  acc += BPF_CORE_READ(t, signal, rlim[1].rlim_cur);
  return (int)acc;
}

char LICENSE[] SEC("license") = "GPL";
