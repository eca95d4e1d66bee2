// A map value with a bpf_spin_lock and a bpf_timer: the program counts under the lock and arms
// the timer once (bpf_timer_init succeeds only the first time); the callback counts firings.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
  struct bpf_spin_lock lock;
  __u64 locked_count;
  struct bpf_timer t;
  __u64 fired;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct elem);
} timers SEC(".maps");

static int on_timer(void* map, __u32* key, struct elem* e) {
  __sync_fetch_and_add(&e->fired, 1);
  return 0;
}

SEC("xdp")
int arm(struct xdp_md* ctx) {
  __u32 k = 0;
  struct elem* e = bpf_map_lookup_elem(&timers, &k);
  if (!e) return XDP_ABORTED;
  bpf_spin_lock(&e->lock);
  e->locked_count++;
  bpf_spin_unlock(&e->lock);
  long r = bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);
  if (r == 0) {
    bpf_timer_set_callback(&e->t, on_timer);
    bpf_timer_start(&e->t, 1000, 0);
    return XDP_PASS;
  }
  return r == -16 ? XDP_DROP : XDP_ABORTED;  // EBUSY on the second run
}

char LICENSE[] SEC("license") = "GPL";
