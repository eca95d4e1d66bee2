// CO-RE instruction patching: writes a computed relocation into ALU/ALU64 (imm), LDX/ST/STX
// (off, and memory size when a field changed size safely) or lddw (64-bit imm), or poisons the
// instruction as libbpf does when the relocation cannot be satisfied.
#include <climits>

#include "btf/core.h"

namespace bombus::btf {
namespace {

Error apply_error(int relo_idx, uint32_t insn_idx, std::string msg) {
  Location loc;
  loc.relo = relo_idx;
  loc.insn = insn_idx;
  return make_error(Errc::kInvalid, std::move(msg), std::move(loc));
}

void poison(isa::Insn& insn) {
  insn = isa::Insn{};
  insn.opcode = isa::kClassJmp | 0x80;  // BPF_JMP | BPF_CALL
  insn.imm = kCorePoisonHelper;
}

int size_code(uint32_t bytes) {
  switch (bytes) {
    case 1:
      return isa::kSizeB;
    case 2:
      return isa::kSizeH;
    case 4:
      return isa::kSizeW;
    case 8:
      return isa::kSizeDW;
    default:
      return -1;
  }
}

}  // namespace

Status core_apply(std::span<isa::Insn> insns, uint32_t insn_idx, const CoreRelo& relo,
                  const CoreResult& res, int relo_idx) {
  if (insn_idx >= insns.size())
    return apply_error(
        relo_idx, insn_idx,
        "instruction index beyond program (" + std::to_string(insns.size()) + " insns)");
  isa::Insn* insn = &insns[insn_idx];
  bool lddw = isa::is_lddw(*insn);
  auto do_poison = [&]() -> Status {
    if (lddw && insn_idx + 1 < insns.size()) poison(insns[insn_idx + 1]);
    poison(*insn);
    return {};
  };
  if (res.poison) return do_poison();
  uint64_t orig = res.orig_val, nv = res.new_val;
  uint8_t cls = isa::insn_class(insn->opcode);
  switch (cls) {
    case isa::kClassAlu:
    case isa::kClassAlu64:
      if ((insn->opcode & 0x08) != isa::kSrcK)
        return apply_error(relo_idx, insn_idx, "ALU instruction with register source");
      if (res.validate && static_cast<uint64_t>(static_cast<int64_t>(insn->imm)) != orig)
        return apply_error(relo_idx, insn_idx,
                           "unexpected insn (ALU/ALU64) value: got " +
                               std::to_string(static_cast<uint32_t>(insn->imm)) + ", exp " +
                               std::to_string(orig) + " -> " + std::to_string(nv));
      insn->imm = static_cast<int32_t>(nv);
      return {};
    case isa::kClassLdx:
    case isa::kClassSt:
    case isa::kClassStx: {
      if (res.validate && static_cast<uint64_t>(static_cast<int64_t>(insn->off)) != orig)
        return apply_error(relo_idx, insn_idx,
                           "unexpected insn (LDX/ST/STX) value: got " + std::to_string(insn->off) +
                               ", exp " + std::to_string(orig) + " -> " + std::to_string(nv));
      if (nv > SHRT_MAX)
        return apply_error(relo_idx, insn_idx,
                           "insn (LDX/ST/STX) value too big: " + std::to_string(nv));
      if (res.fail_memsz_adjust) return do_poison();
      insn->off = static_cast<int16_t>(nv);
      if (res.new_sz != res.orig_sz) {
        int have = isa::size_bytes(insn->opcode);
        if (static_cast<uint32_t>(have) != res.orig_sz)
          return apply_error(relo_idx, insn_idx,
                             "unexpected mem size: got " + std::to_string(have) + ", exp " +
                                 std::to_string(res.orig_sz));
        int code = size_code(res.new_sz);
        if (code < 0)
          return apply_error(relo_idx, insn_idx,
                             "invalid new mem size: " + std::to_string(res.new_sz));
        insn->opcode = static_cast<uint8_t>((insn->opcode & ~0x18) | code);
      }
      return {};
    }
    case isa::kClassLd: {
      if (!lddw || insn_idx + 1 >= insns.size() || insn->src != 0 || insn->off != 0 ||
          insns[insn_idx + 1].opcode != 0 || insns[insn_idx + 1].dst != 0 ||
          insns[insn_idx + 1].src != 0 || insns[insn_idx + 1].off != 0)
        return apply_error(relo_idx, insn_idx, "insn (LDIMM64) has unexpected form");
      uint64_t imm = isa::lddw_imm64(*insn, insns[insn_idx + 1]);
      if (res.validate && imm != orig)
        return apply_error(relo_idx, insn_idx,
                           "unexpected insn (LDIMM64) value: got " + std::to_string(imm) +
                               ", exp " + std::to_string(orig) + " -> " + std::to_string(nv));
      insn->imm = static_cast<int32_t>(static_cast<uint32_t>(nv));
      insns[insn_idx + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(nv >> 32));
      return {};
    }
    default: {
      char buf[128];
      std::snprintf(buf, sizeof buf,
                    "trying to relocate unrecognized insn, code:0x%x, src:0x%x, dst:0x%x, "
                    "off:0x%x, imm:0x%x",
                    insn->opcode, insn->src, insn->dst, static_cast<uint16_t>(insn->off),
                    static_cast<uint32_t>(insn->imm));
      return apply_error(relo_idx, insn_idx, buf);
    }
  }
}

Error core_poison_error(const CoreResult& res, int relo_idx, uint32_t insn_idx) {
  std::string why = res.reason;
  if (why.empty())
    why = res.fail_memsz_adjust
              ? "field size changed from " + std::to_string(res.orig_sz) + " to " +
                    std::to_string(res.new_sz) + " bytes and the access cannot be resized safely"
              : "relocation poisoned";
  return apply_error(relo_idx, insn_idx, std::move(why));
}

Result<CoreResult> core_relocate(std::span<isa::Insn> insns, const Btf& local, const CoreRelo& relo,
                                 const Btf& target, int relo_idx, const ModuleBtfs& modules) {
  BOMBUS_ASSIGN_OR_RETURN(CoreResult res, core_calculate(local, relo, target, relo_idx, modules));
  BOMBUS_TRY(core_apply(insns, relo.insn_off / 8, relo, res, relo_idx));
  return res;
}

}  // namespace bombus::btf
