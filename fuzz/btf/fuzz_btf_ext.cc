// Fuzzes BTF.ext parsing and CO-RE: input = u32 BTF length, BTF bytes, BTF.ext bytes. When both
// parse, every CO-RE record is calculated against the same BTF as target and applied to a
// synthetic instruction buffer; nothing may crash whatever the records say.
#include <cstring>

#include "btf/btf_ext.h"
#include "btf/core.h"

using namespace bombus::btf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t btf_len;
  std::memcpy(&btf_len, data, 4);
  data += 4;
  size -= 4;
  if (btf_len > size) return 0;
  auto btf = Btf::parse({data, btf_len});
  if (!btf.ok()) return 0;
  auto ext = BtfExt::parse({data + btf_len, size - btf_len}, *btf);
  if (!ext.ok()) return 0;
  std::vector<bombus::isa::Insn> insns(64);
  for (size_t i = 0; i < insns.size(); ++i) insns[i].opcode = static_cast<uint8_t>(i * 37);
  int idx = 0;
  for (const ExtSection& s : ext->sections()) {
    for (const LineInfo& l : s.lines) (void)ext->line_at(s.name, l.insn_off);
    for (const CoreRelo& r : s.relos) {
      CoreRelo rr = r;
      rr.insn_off %= insns.size() * 8;
      (void)core_relocate(insns, *btf, rr, *btf, idx++);
    }
  }
  return 0;
}
