// The verifier's view of a program of an opened object: its relocated instructions, type, maps,
// license and BTF line info — exactly what load() verifies, for the CLI's `prog verify` and
// for explaining a rejection.
#pragma once

#include "runtime/object_impl.h"
#include "verifier/verifier.h"

namespace bombus::runtime {

verifier::Program verifier_input(const ObjectImpl& o, const ProgramImpl& p);

// The license strings the kernel treats as GPL-compatible (license_is_gpl_compatible()).
bool license_is_gpl_compatible(std::string_view license);

}  // namespace bombus::runtime
