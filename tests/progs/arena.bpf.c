// Arena maps (BPF_MAP_TYPE_ARENA, 33): max_entries counts pages, BPF_F_MMAPABLE is required and
// map_extra carries the user-space start address. libbpf 1.1 takes map_extra through __uint
// (32 bits); libbpf 1.3+'s __ulong encodes a 64-bit value as an enum member, which bombus also
// reads (arena_ulong.bpf.c). `__arena` globals (address_space(1)) need clang 18+: clang 14 puts
// them in plain .data/.bss, so this corpus has none.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BOMBUS_MAP_TYPE_ARENA 33

struct {
  __uint(type, BOMBUS_MAP_TYPE_ARENA);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 4); /* pages */
  __uint(map_extra, 0x40000000u);
} arena SEC(".maps");

SEC("xdp")
int arena_prog(struct xdp_md* ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
