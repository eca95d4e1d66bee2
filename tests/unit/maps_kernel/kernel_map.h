// A kernel map created through libbpf for differential tests; fd < 0 when bpf() is unavailable.
#pragma once

#include <bpf/bpf.h>
#include <unistd.h>

#include <cstdint>

namespace bombus::vm::testing {

struct KernelMap {
  int fd = -1;
  KernelMap(bpf_map_type type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags) {
    LIBBPF_OPTS(bpf_map_create_opts, o);
    o.map_flags = flags;
    fd = bpf_map_create(type, "bombus_diff", ks, vs, max, &o);
  }
  ~KernelMap() {
    if (fd >= 0) close(fd);
  }
  KernelMap(const KernelMap&) = delete;
  KernelMap& operator=(const KernelMap&) = delete;
  // libbpf 1.x returns -errno.
  long update(const void* k, const void* v, uint64_t flags) {
    return bpf_map_update_elem(fd, k, v, flags);
  }
  long remove(const void* k) { return bpf_map_delete_elem(fd, k); }
  long lookup(const void* k, void* v) { return bpf_map_lookup_elem(fd, k, v); }
  long next(const void* k, void* n) { return bpf_map_get_next_key(fd, k, n); }
};

}  // namespace bombus::vm::testing
