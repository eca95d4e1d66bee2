// Fuzzes the BTF parser: any input either fails with an Error or parses into a Btf whose every
// accessor, size resolution, both dumps and encode() work; encode() must round-trip exactly.
#include <cstdlib>

#include "btf/dump.h"

using namespace bombus::btf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = Btf::parse({data, size});
  if (!r.ok()) {
    if (r.error().message.empty()) std::abort();
    return 0;
  }
  const Btf& btf = *r;
  for (uint32_t id = 1; id < btf.type_count(); ++id) {
    (void)btf.resolve_size(id);
    (void)btf.alignment(id);
    (void)btf.skip_modifiers(id);
    (void)btf.find(btf.name(id), btf.kind(id));
  }
  std::string raw = dump_raw(btf);
  std::string c = dump_c(btf);
  std::vector<uint8_t> enc = btf.encode();
  auto again = Btf::parse(enc);
  if (!again.ok() || again->encode() != enc || dump_raw(*again) != raw) std::abort();
  return 0;
}
