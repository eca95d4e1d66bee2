// Thread-local run state shared by engines and helpers.
#include "vm/abi.h"

namespace bombus::vm::detail {

[[gnu::tls_model("initial-exec")]] constinit thread_local RunState* t_run_state = nullptr;

}  // namespace bombus::vm::detail
