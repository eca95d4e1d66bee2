// The verifier's view of a program of an opened object: its relocated instructions, type, maps,
// license and BTF line info — exactly what load() verifies, for the CLI's `prog verify` and
// for explaining a rejection.
#pragma once

#include "runtime/object_impl.h"
#include "verifier/verifier.h"

namespace bombus::runtime {

verifier::Program verifier_input(const ObjectImpl& o, const ProgramImpl& p);

// The system's vmlinux BTF (parsed once per process), null when unavailable: what
// verifier::Program::kernel_btf gives BTF-typed loads and tracing programs.
std::shared_ptr<const btf::Btf> system_kernel_btf();

// The license strings the kernel treats as GPL-compatible (license_is_gpl_compatible()).
bool license_is_gpl_compatible(std::string_view license);

}  // namespace bombus::runtime
