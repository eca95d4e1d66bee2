// One entry point per noun of the `bombus` command; each lives in its own file.
#pragma once

#include "cli.h"

namespace bombus::cli {

int do_prog(Args& args, const Globals& g);
int do_map(Args& args, const Globals& g);
int do_btf(Args& args, const Globals& g);
int do_net(Args& args, const Globals& g);
int do_filter(Args& args, const Globals& g);
int do_gen(Args& args, const Globals& g);

}  // namespace bombus::cli
