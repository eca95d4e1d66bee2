// Engines for converted classic programs: vm's interpreter (fast or bounds-checked) wrapped as
// an EbpfEngineFactory. The checked interpreter is told about the packet bytes a CbpfSkbCtx
// points at, so every load the converted code makes is verified against the real capture.
#pragma once

#include "net/cbpf.h"
#include "net/filter.h"

namespace bombus::net {

// Interpreter-backed factory. A run that faults (checked mode) returns 0, like a dropped packet;
// generated code never faults, so a fault is a converter bug that differential tests catch.
EbpfEngineFactory interp_ebpf_engine(CbpfMode mode = CbpfMode::kSocket, bool checked = false);

}  // namespace bombus::net
