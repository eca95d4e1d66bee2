// Fuzzes open_object on arbitrary bytes: every input either fails with a non-empty Error or
// yields an ObjectSpec whose map references and subprogram calls stay inside the program.
// CO-RE runs against a small hand-built target BTF and kconfig comes from the options only,
// so runs do not depend on the machine.
#include <cstdlib>
#include <memory>

#include "btf/btf.h"
#include "loader/object.h"

using namespace bombus;

namespace {

std::shared_ptr<const btf::Btf> target() {
  static std::shared_ptr<const btf::Btf> t = [] {
    btf::BtfBuilder b;
    uint32_t i = b.add_int("int", 4, btf::kIntSigned, 32);
    b.add_struct("task_struct", 16, {{"pid", i, 0, 0}, {"tgid", i, 32, 0}});
    b.add_struct("sk_buff", 8, {{"len", i, 0, 0}, {"mark", i, 32, 0}});
    auto r = btf::Btf::parse(b.build());
    if (!r.ok()) std::abort();
    return std::make_shared<const btf::Btf>(std::move(r).value());
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loader::OpenOptions o;
  o.object_name = "fuzz";
  o.target_btf = target();
  o.kconfig_path = "/dev/null";
  o.kconfig_extra = "CONFIG_HZ=100\nCONFIG_BPF=y\n";
  o.kernel_version = 0x060100;
  o.ksym_resolver = [](std::string_view n, bool) -> std::optional<uint64_t> {
    return n.size() % 2 ? std::optional<uint64_t>(0x1000 + n.size()) : std::nullopt;
  };
  auto r = loader::open_object({data, size}, o);
  if (!r.ok()) {
    if (r.error().message.empty()) std::abort();
    (void)r.error().format();
    return 0;
  }
  for (const loader::ProgramSpec& p : r->programs) {
    if (p.insns.size() < p.main_insn_count) std::abort();
    for (const loader::MapRef& m : p.map_refs)
      if (m.map_index >= r->maps.size() || m.insn + 1 >= p.insns.size()) std::abort();
    for (size_t i = 0; i < p.insns.size(); ++i) {
      const isa::Insn& in = p.insns[i];
      bool call = in.opcode == 0x85 && in.src == isa::kPseudoCall;
      bool addr = in.opcode == 0x18 && in.src == isa::kPseudoFunc;
      if (!call && !addr) continue;
      int64_t t = static_cast<int64_t>(i) + in.imm + 1;
      if (t < 0 || t >= static_cast<int64_t>(p.insns.size())) std::abort();
    }
  }
  return 0;
}
