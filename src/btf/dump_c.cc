// `format c`: placeholder until the C emitter lands.
#include "btf/dump.h"

namespace bombus::btf {
void dump_c(const Btf& btf, std::string& out) {}
std::string dump_c(const Btf& btf) {
  std::string s;
  dump_c(btf, s);
  return s;
}
}  // namespace bombus::btf
