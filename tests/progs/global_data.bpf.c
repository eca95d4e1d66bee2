// Global data: .data, .rodata (const volatile configuration), .bss, a custom .data.counters
// section and string literals (.rodata.str1.1) each become an array map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int packets = 7;                                      // .data
const volatile __u32 drop_above = 1500;               // .rodata
const volatile char banner[16] = "bombus";            // .rodata
__u64 seen_bytes;                                     // .bss
static __u32 last_len;                                // .bss (static)
__u64 custom_counter SEC(".data.counters") = 42;      // .data.counters
__u32 custom_other SEC(".data.counters") = 1;

SEC("xdp")
int data_prog(struct xdp_md* ctx) {
  __u32 len = ctx->data_end - ctx->data;
  packets++;
  seen_bytes += len;
  last_len = len;
  custom_counter += banner[0];
  custom_other ^= last_len;
  bpf_printk("len %u", len);
  return len > drop_above ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
