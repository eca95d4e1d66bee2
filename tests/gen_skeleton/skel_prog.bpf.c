// Object for the skeleton test: a .rodata constant, .data/.bss variables (including a struct, an
// array and an enum), and a BTF hash map the program updates.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum mode { MODE_OFF = 0, MODE_COUNT = 1, MODE_DROP = 2 };

struct stats {
  __u32 packets;
  __u16 small;
  __u8 flag;
  __u64 bytes;
  __u32 hist[4];
};

const volatile __u32 threshold = 100;   // .rodata: set through the skeleton before load
const volatile enum mode mode = MODE_COUNT;
int bias = 5;                           // .data
struct stats st;                        // .bss
__u64 last_len;                         // .bss

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} lens SEC(".maps");

SEC("xdp")
int skel_xdp(struct xdp_md* ctx) {
  // The input value is the packet's first byte (bounds-checked packet access).
  __u8* p = (__u8*)(long)ctx->data;
  if ((void*)(p + 1) > (void*)(long)ctx->data_end) return XDP_ABORTED;
  __u32 len = p[0];
  if (mode == MODE_OFF) return XDP_PASS;
  st.packets++;
  st.bytes += len;
  st.hist[len & 3]++;
  if (len < threshold) st.small++;
  st.flag = 1;
  last_len = len + bias;
  __u64 v = len * 2;
  bpf_map_update_elem(&lens, &len, &v, BPF_ANY);
  if (mode == MODE_DROP && len >= threshold) return XDP_DROP;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
