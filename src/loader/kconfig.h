// Kernel configuration text (.config, plain or gzip'ed like /proc/config.gz) as a name -> value
// table, for .kconfig externs. Values keep their text form: "y", "m", "n" (from "# CONFIG_X is
// not set"), numbers, or quoted strings (quotes kept, so strings are told apart from numbers).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bombus::loader {

using KconfigTable = std::map<std::string, std::string, std::less<>>;

// Adds the CONFIG_* lines of `text` to `out` (later lines override). Errors name the line.
Status parse_kconfig_text(std::string_view text, KconfigTable& out);
// Reads a .config file; gzip'ed files are inflated (zlib reads plain files as they are).
Result<KconfigTable> read_kconfig_file(const std::string& path);

}  // namespace bombus::loader
