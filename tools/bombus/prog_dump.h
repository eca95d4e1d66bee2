// `prog dump xlated|jited` and `prog verify`: the commands that show what bombus made of a
// program (its instructions, its machine code, its control flow, the verifier's reasoning).
#pragma once

#include "cli.h"

namespace bombus::cli {

int prog_dump(Args& args, const Globals& g);
int prog_verify(Args& args, const Globals& g);

}  // namespace bombus::cli
