// Placing asmjit output for the net layer's JITs: AsmErrors keeps the assembler's first error,
// place_code() lays the code out, copies it into a fresh private mapping at its final address
// and seals it read+execute (PlacedCode). `who` names the JIT in error messages.
#pragma once

#include <asmjit/x86.h>

#include <string>

#include "base/result.h"
#include "net/placed_code.h"

namespace bombus::net {

struct AsmErrors : asmjit::ErrorHandler {
  asmjit::Error err = asmjit::kErrorOk;
  std::string msg;
  void handleError(asmjit::Error e, const char* m, asmjit::BaseEmitter*) override {
    if (err == asmjit::kErrorOk) {
      err = e;
      msg = m;
    }
  }
};

Result<PlacedCode> place_code(asmjit::CodeHolder& code, const AsmErrors& errors, const char* who);

}  // namespace bombus::net
