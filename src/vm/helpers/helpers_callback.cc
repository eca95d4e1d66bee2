// Helpers that call back into the program: bpf_loop, bpf_for_each_map_elem and
// bpf_user_ringbuf_drain (whose callback gets each sample as a struct bpf_dynptr, read with
// bpf_dynptr_read/write/data, also here). The callback is a
// function of the running program (an lddw BPF_PSEUDO_FUNC value); the engine runs it through
// RunState::hooks.call_function on a fresh frame.
#include <cstring>

#include "vm/helpers/helpers.h"
#include "vm/maps/map.h"
#include "vm/maps/ringbuf.h"

namespace bombus::vm::helper_impl {
namespace {

using u64 = uint64_t;
u64 R(long v) {
  return static_cast<u64>(static_cast<int64_t>(v));
}

u64 loop(u64 nr, u64 fn, u64 ctx, u64 flags, u64) {
  if (flags) return R(-22);
  if (nr > (1u << 23)) return R(-7);
  RunState* s = current_run_state();
  if (!s || !s->hooks.call_function) return R(-95);
  CallFunctionFn call = s->hooks.call_function;
  const void* prog = s->program;
  u64 i = 0;
  while (i < nr) {
    u64 r = call(prog, fn, i, ctx, 0, 0, 0);
    ++i;
    if (r) break;  // the callback returned 1: stop
  }
  return i;
}

u64 for_each_map_elem(u64 map, u64 fn, u64 ctx, u64 flags, u64) {
  if (flags) return R(-22);
  RunState* s = current_run_state();
  if (!s || !s->hooks.call_function) return R(-95);
  CallFunctionFn call = s->hooks.call_function;
  const void* prog = s->program;
  return R(reinterpret_cast<Map*>(map)->for_each([&](const void* key, void* value) -> long {
    return static_cast<long>(
        call(prog, fn, map, reinterpret_cast<u64>(key), reinterpret_cast<u64>(value), ctx, 0));
  }));
}

// struct bpf_dynptr as the kernel lays it out (bpf_dynptr_kern): data, size with the type in
// bits 28-30 and read-only in bit 31, offset.
struct Dynptr {
  uint8_t* data;
  uint32_t size;
  uint32_t offset;
};
constexpr uint32_t kDynptrSizeMask = (1u << 28) - 1, kDynptrRdonly = 1u << 31;
constexpr uint32_t kDynptrLocal = 1u << 28;  // BPF_DYNPTR_TYPE_LOCAL

u64 user_ringbuf_drain(u64 map, u64 fn, u64 ctx, u64 flags, u64) {
  if (flags & ~(platform::kRbNoWakeup | platform::kRbForceWakeup)) return R(-22);
  auto* m = reinterpret_cast<Map*>(map);
  if (m->type() != platform::MapType::kUserRingbuf) return R(-22);
  RunState* s = current_run_state();
  if (!s || !s->hooks.call_function) return R(-95);
  CallFunctionFn call = s->hooks.call_function;
  const void* prog = s->program;
  return R(static_cast<RingBuf*>(m)->drain_user([&](void* data, uint32_t len) -> long {
    Dynptr d{static_cast<uint8_t*>(data), len | kDynptrLocal, 0};
    return static_cast<long>(call(prog, fn, reinterpret_cast<u64>(&d), ctx, 0, 0, 0));
  }));
}

// bpf_dynptr_read(dst, len, src, offset, flags)
u64 dynptr_read(u64 dst, u64 len, u64 src, u64 offset, u64 flags) {
  auto* d = reinterpret_cast<const Dynptr*>(src);
  if (flags || !d || !d->data) return R(-22);
  uint32_t size = d->size & kDynptrSizeMask;
  if (offset > size || len > size - offset) return R(-7);
  std::memmove(reinterpret_cast<void*>(dst), d->data + d->offset + offset, len);
  return 0;
}
// bpf_dynptr_write(dst, offset, src, len, flags)
u64 dynptr_write(u64 dst, u64 offset, u64 src, u64 len, u64 flags) {
  auto* d = reinterpret_cast<const Dynptr*>(dst);
  if (flags || !d || !d->data || (d->size & kDynptrRdonly)) return R(-22);
  uint32_t size = d->size & kDynptrSizeMask;
  if (offset > size || len > size - offset) return R(-7);
  std::memmove(d->data + d->offset + offset, reinterpret_cast<const void*>(src), len);
  return 0;
}
// bpf_dynptr_data(ptr, offset, len): a pointer into the dynptr's memory, or NULL.
u64 dynptr_data(u64 ptr, u64 offset, u64 len, u64, u64) {
  auto* d = reinterpret_cast<const Dynptr*>(ptr);
  if (!d || !d->data || (d->size & kDynptrRdonly)) return 0;
  uint32_t size = d->size & kDynptrSizeMask;
  if (offset > size || len > size - offset) return 0;
  return reinterpret_cast<u64>(d->data + d->offset + offset);
}

}  // namespace

void add_callbacks(Table& t) {
  t[164] = for_each_map_elem;
  t[181] = loop;
  t[201] = dynptr_read;
  t[202] = dynptr_write;
  t[203] = dynptr_data;
  t[209] = user_ringbuf_drain;
}

}  // namespace bombus::vm::helper_impl
