// Thread-local run state shared by engines and helpers.
#include "vm/abi.h"

namespace bombus::vm {

namespace {
thread_local RunState* t_current = nullptr;
}

RunState* current_run_state() { return t_current; }

RunScope::RunScope(RunState& s) : s_(s) {
  s_.prev = t_current;
  t_current = &s_;
}

RunScope::~RunScope() { t_current = s_.prev; }

}  // namespace bombus::vm
