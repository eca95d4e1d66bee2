// For the bpftool contract: a program in a section libbpf cannot type, so it only loads with
// `prog load OBJ PATH type xdp`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("contract_untyped")
int untyped(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  return data + 14 <= data_end ? XDP_TX : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
