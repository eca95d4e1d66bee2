// Assembles the helper table from the per-area registration functions.
#include <mutex>

#include "vm/helpers/helpers.h"

namespace bombus::vm {

namespace {
const helper_impl::Table& table() {
  static const helper_impl::Table t = [] {
    helper_impl::Table t{};
    helper_impl::add_core(t);
    helper_impl::add_mem(t);
    helper_impl::add_net(t);
    helper_impl::add_callbacks(t);
    helper_impl::add_timers(t);
    helper_impl::add_sock(t);
    helper_impl::add_tracing(t);
    return t;
  }();
  return t;
}
}  // namespace

std::span<const HelperFn> helper_table() {
  return table();
}

bool helper_implemented(int32_t id) {
  return id >= 0 && id < kMaxHelperId && table()[id] != nullptr;
}

HelperEnv* helper_impl::env() {
  RunState* s = current_run_state();
  return s ? static_cast<HelperEnv*>(s->runtime) : nullptr;
}

}  // namespace bombus::vm
