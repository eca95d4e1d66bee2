// CO-RE: field reads through local struct definitions marked preserve_access_index (the kernel's
// real layout differs), field existence, type existence and size, and an enum value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___local {
  int tgid;  // deliberately out of order: the kernel's offsets differ
  int pid;
  struct task_struct___local* real_parent;
  int bombus_no_such_field;
} __attribute__((preserve_access_index));

struct sk_buff___local {
  unsigned int len;
  unsigned int mark;
} __attribute__((preserve_access_index));

enum bpf_map_type___local { BPF_MAP_TYPE_RINGBUF___local = 1 };

SEC("raw_tp/sys_enter")
int core_task(void* ctx) {
  struct task_struct___local* t = (void*)bpf_get_current_task();
  int pid = BPF_CORE_READ(t, pid);
  int ppid = BPF_CORE_READ(t, real_parent, tgid);
  int r = pid + ppid;
  if (bpf_core_field_exists(t->bombus_no_such_field)) r += 1000;
  if (bpf_core_type_exists(struct sk_buff___local)) r += (int)bpf_core_type_size(struct sk_buff___local);
  r += bpf_core_enum_value(enum bpf_map_type___local, BPF_MAP_TYPE_RINGBUF___local);
  return r & 1;
}

char LICENSE[] SEC("license") = "GPL";
