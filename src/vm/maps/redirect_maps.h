// BPF_MAP_TYPE_CPUMAP and BPF_MAP_TYPE_XSKMAP: the XDP redirect targets that are not devices.
//
// CPUMAP: key = CPU (an execution slot in bombus), value = struct bpf_cpumap_val {u32 qsize;
// union {int fd; u32 id;} bpf_prog;} (value_size 4 or 8). An update with qsize 0 empties the
// entry, as the kernel's update does; the syscall lookup returns {qsize, program id}. bombus
// does not run a second-stage cpumap program: a program fd > 0 in the value is -EOPNOTSUPP.
//
// XSKMAP: key = an index (libxdp uses the queue id), value = the fd of an AF_XDP socket. A
// user-space update checks the fd as the kernel does (-EBADF, -ENOTSOCK, -EOPNOTSUPP for another
// family; the same socket again is 0 under any flag) and keeps the socket's identity with queue
// 0, as for an unbound socket: bombus never feeds a kernel AF_XDP socket, so redirects to it
// reach only `net run`'s per-target outputs. bombus's own endpoints: xskmap_bind() is what
// `net run ... redirect xsk N FILE` does for queue N (libxdp's xsk_socket__update_xskmap).
// Programs' lookups return a struct bpf_xdp_sock {u32 queue_id;}; the syscall lookup is
// -EOPNOTSUPP, as in the kernel.
#pragma once

#include <cstdint>

#include "vm/maps/map.h"

namespace bombus::vm {

// The most CPUMAP entries (the kernel's NR_CPUS limit; bombus's thread limit): more is -E2BIG.
inline constexpr uint32_t kCpumapMaxEntries = 256;
// A CPUMAP entry's qsize limit (above it: -EOVERFLOW).
inline constexpr uint32_t kCpumapMaxQsize = 16384;

// Puts bombus's endpoint for `queue` at `key` of an XSKMAP (replacing what is there). 0, -EINVAL
// when `m` is not an XSKMAP, -E2BIG when key >= max_entries.
long xskmap_bind(Map& m, uint32_t key, uint32_t queue);

}  // namespace bombus::vm
