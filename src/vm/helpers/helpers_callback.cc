// Helpers that call back into the program: bpf_loop and bpf_for_each_map_elem. The callback is a
// function of the running program (an lddw BPF_PSEUDO_FUNC value); the engine runs it through
// RunState::hooks.call_function on a fresh frame.
#include "vm/helpers/helpers.h"
#include "vm/maps/map.h"

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

}  // namespace

void add_callbacks(Table& t) {
  t[164] = for_each_map_elem;
  t[181] = loop;
}

}  // namespace bombus::vm::helper_impl
