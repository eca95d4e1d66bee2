// A program the verifier must reject: it reads the packet without checking data_end.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int bad(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  return data[12] == 8 ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
