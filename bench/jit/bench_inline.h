// Helper-inlining benchmarks of bombus-bench-jit (bench_inline.cc).
#pragma once

namespace bombus::bench {
// Registers jit/array16_lookups/{interp,jit_call,jit_inline}.
void register_inline_benchmarks();
}  // namespace bombus::bench
