// vm::Interpreter as an engine for converted classic programs.
#include "net/engines.h"

#include <memory>

#include "net/cbpf_to_ebpf.h"
#include "vm/interp.h"

namespace bombus::net {

EbpfEngineFactory interp_ebpf_engine(CbpfMode mode, bool checked) {
  return [mode, checked](std::vector<isa::Insn> prog) -> Result<EbpfRunner> {
    vm::InterpOptions o;
    o.checked = checked;
    o.budget = checked ? 1u << 20 : 0;
    BOMBUS_ASSIGN_OR_RETURN(auto interp, vm::Interpreter::create(prog, o));
    auto shared = std::make_shared<vm::Interpreter>(std::move(interp));
    const size_t ctx_len = mode != CbpfMode::kSeccomp ? sizeof(CbpfSkbCtx) : 64;
    return EbpfRunner([shared, mode, ctx_len](const void* ctx) -> uint64_t {
      vm::RunArgs args;
      vm::MemRegion region;
      if (mode != CbpfMode::kSeccomp) {
        const auto* skb = static_cast<const CbpfSkbCtx*>(ctx);
        region.start = reinterpret_cast<uintptr_t>(skb->data);
        region.len = skb->caplen;
        args.regions = std::span<const vm::MemRegion>(&region, 1);
      }
      auto r = shared->run(const_cast<void*>(ctx), ctx_len, args);
      return r.ok() ? *r : 0;
    });
  };
}

}  // namespace bombus::net
