// An arena map whose map_extra is a 64-bit address given libbpf 1.3's way: __ulong(name, v)
// declares `enum { ... = v } name`, so the value is the member's enumerator (ENUM, or ENUM64 when
// it does not fit in 32 bits — clang 15+; clang 14 truncates such values to 32 bits, so this
// corpus stays below 2^32). libbpf 1.1 cannot open this object.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BOMBUS_CAT2(a, b) a##b
#define BOMBUS_CAT(a, b) BOMBUS_CAT2(a, b)
#ifndef __ulong
#define __ulong(name, val) enum { BOMBUS_CAT(__unique_value, __COUNTER__) = val } name
#endif

struct {
  __uint(type, 33 /* BPF_MAP_TYPE_ARENA */);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 100);
  __ulong(map_extra, 0x7ff00000);
} big_arena SEC(".maps");

struct {
  __uint(type, 33 /* BPF_MAP_TYPE_ARENA */);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 1);
  __ulong(map_extra, 0x80000000u);
} high_arena SEC(".maps");

SEC("xdp")
int arena_ulong_prog(struct xdp_md* ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
