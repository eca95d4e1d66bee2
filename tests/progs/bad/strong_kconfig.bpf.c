// Invalid on purpose: a strong (non-weak) kconfig extern that no configuration sets.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int CONFIG_BOMBUS_NEVER_SET __kconfig;

SEC("xdp")
int needs_config(struct xdp_md* ctx) { return CONFIG_BOMBUS_NEVER_SET ? XDP_PASS : XDP_DROP; }

char LICENSE[] SEC("license") = "GPL";
