// Thread-local run state shared by engines and helpers.
#include "vm/abi.h"

namespace bombus::vm::detail {

[[gnu::tls_model("initial-exec")]] constinit thread_local RunState* t_run_state = nullptr;
[[gnu::tls_model("initial-exec")]] constinit thread_local RunEndFn t_run_end = nullptr;

void call_run_end() {
  const RunEndFn f = t_run_end;
  t_run_end = nullptr;
  if (f != nullptr) f();
}

}  // namespace bombus::vm::detail
