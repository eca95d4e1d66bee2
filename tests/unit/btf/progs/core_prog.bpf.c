// CO-RE test program: local type definitions that differ from the target BTF the test builds
// (moved, renamed, missing fields, a ___v2 flavour, bitfields, enums).
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct thing {
  int a;
  int b;
  int gone;
  unsigned int flag : 3;
  int sflag : 5;
  struct {
    long inner;
  };
  int arr[4];
} __attribute__((preserve_access_index));

struct thing___v2 {
  long renamed_b;
} __attribute__((preserve_access_index));

enum color { RED = 0, GREEN = 1, BLUE = 2, VIOLET = 7 };
struct only_local { int x; } __attribute__((preserve_access_index));

long out[16];

SEC("tp/test")
int prog(struct thing* t) {
  out[0] = t->a;
  out[1] = t->b;
  out[2] = bpf_core_field_exists(t->gone);
  out[3] = BPF_CORE_READ_BITFIELD(t, flag);
  out[4] = BPF_CORE_READ_BITFIELD(t, sflag);
  out[5] = t->inner;
  out[6] = t->arr[2];
  out[7] = bpf_core_field_exists(((struct thing___v2*)t)->renamed_b);
  out[8] = bpf_core_enum_value_exists(enum color, VIOLET);
  out[9] = bpf_core_enum_value(enum color, BLUE);
  out[10] = bpf_core_type_exists(struct only_local);
  out[11] = bpf_core_type_size(struct thing);
  out[12] = bpf_core_field_size(t->b);
  if (bpf_core_field_exists(t->gone)) out[13] = t->gone;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
