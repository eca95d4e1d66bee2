// .config parsing for .kconfig externs.
#include "loader/kconfig.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace bombus::loader {

Status parse_kconfig_text(std::string_view text, KconfigTable& out) {
  int64_t lineno = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.starts_with("# CONFIG_") && line.ends_with(" is not set")) {
      std::string_view name = line.substr(2, line.size() - 2 - std::strlen(" is not set"));
      out[std::string(name)] = "n";
      continue;
    }
    if (line.starts_with('#')) continue;
    size_t eq = line.find('=');
    if (!line.starts_with("CONFIG_") || eq == std::string_view::npos || eq + 1 == line.size()) {
      Location at;
      at.line = lineno;
      return make_error(Errc::kInvalid,
                        "kconfig: expected CONFIG_NAME=value, got '" + std::string(line) + "'", at);
    }
    out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return Status{};
}

Result<KconfigTable> read_kconfig_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    return make_error(Errc::kNotFound,
                      "kconfig: cannot open '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  bool bad = n < 0;
  gzclose(f);
  if (bad) return make_error(Errc::kIo, "kconfig: cannot read '" + path + "'");
  KconfigTable t;
  auto st = parse_kconfig_text(text, t);
  if (!st.ok()) {
    Error e = st.error();
    e.where.object = path;
    return e;
  }
  return t;
}

}  // namespace bombus::loader
