// Invalid on purpose: a non-static global with no initialiser and -fcommon lands in COMMON,
// which libbpf rejects ("forgot to initialize global var?").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((weak)) extern int never_defined;

SEC("xdp")
int reads_undefined(struct xdp_md* ctx) { return never_defined; }

char LICENSE[] SEC("license") = "GPL";
