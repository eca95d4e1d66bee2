// Tracing programs reading kernel objects through BTF-typed pointers: tp_btf/sched_switch reads
// prev/next task fields (pid, comm, a nested pointer, a bit field), the current task through
// bpf_get_current_task_btf, and a pointer that points nowhere (reads give 0, never a fault);
// fentry on a kernel function with a struct pointer argument. Run on synthetic events
// (runtime/tracing_event.h) by tests/unit/tracing/tracing_run_test.
// clang-format off
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
// clang-format on

struct task_struct {
  int pid;
  int tgid;
  char comm[16];
  struct task_struct* real_parent;
  struct task_struct* group_leader;
  unsigned int in_execve : 1;
} __attribute__((preserve_access_index));

struct out {
  __u64 prev_pid, next_pid, parent_pid, wild, cur_pid, comm0, comm1, execve;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, struct out);
} results SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct* prev, struct task_struct* next) {
  __u32 k = 0;
  struct out* o = bpf_map_lookup_elem(&results, &k);
  if (!o) return 0;
  o->prev_pid = prev->pid;
  o->next_pid = next->pid;
  o->parent_pid = next->real_parent->pid;  // a nested synthetic object (or 0 when absent)
  o->wild = prev->group_leader->tgid;      // a garbage pointer: reads 0 instead of faulting
  o->comm0 = next->comm[0];
  o->comm1 = next->comm[1];
  o->execve = BPF_CORE_READ_BITFIELD(prev, in_execve);  // CO-RE shifts for the kernel's bit
  struct task_struct* cur = (struct task_struct*)bpf_get_current_task_btf();
  o->cur_pid = cur->pid;
  return preempt ? 7 : 3;
}

SEC("fentry/wake_up_new_task")
int BPF_PROG(on_wake, struct task_struct* p) {
  __u32 k = 1;
  struct out* o = bpf_map_lookup_elem(&results, &k);
  if (o) o->next_pid = p->pid;
  return 0;
}

char _license[] SEC("license") = "GPL";
