// .kconfig externs: LINUX_KERNEL_VERSION, LINUX_HAS_SYSCALL_WRAPPER and CONFIG_* values of
// several types (bool, tristate, int, string); weak ones read as zero when not set.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern __u32 LINUX_KERNEL_VERSION __kconfig;
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern __u64 CONFIG_BOMBUS_DOES_NOT_EXIST __kconfig __weak;

SEC("xdp")
int kconfig_prog(struct xdp_md* ctx) {
  __u64 r = LINUX_KERNEL_VERSION;
  if (LINUX_HAS_SYSCALL_WRAPPER) r += 1;
  if (CONFIG_BPF_SYSCALL) r += 2;
  if (CONFIG_BPF_JIT == TRI_YES) r += 4;
  r += CONFIG_HZ + CONFIG_DEFAULT_HOSTNAME[0] + CONFIG_BOMBUS_DOES_NOT_EXIST;
  return r & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
