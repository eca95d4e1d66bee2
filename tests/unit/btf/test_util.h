// Helpers for the BTF tests: compile a .bpf.c from tests/unit/btf/progs with clang at test time.
#pragma once

#include <cstdlib>
#include <string>

namespace bombus::btf::testing {

inline bool have_clang() {
  return std::system("clang --version >/dev/null 2>&1") == 0;
}

// Returns the object path, or "" when compilation failed (the message goes to stderr).
inline std::string compile_bpf(const std::string& name, const std::string& extra = "") {
  std::string src = std::string(BOMBUS_SOURCE_DIR) + "/tests/unit/btf/progs/" + name + ".bpf.c";
  std::string out = std::string(BOMBUS_BINARY_DIR) + "/tests/unit/btf/" + name + ".o";
  std::string cmd =
      "clang -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu "
      "-I/usr/include/aarch64-linux-gnu " +
      extra + " -c '" + src + "' -o '" + out + "'";
  if (std::system(cmd.c_str()) != 0) return "";
  return out;
}

}  // namespace bombus::btf::testing
