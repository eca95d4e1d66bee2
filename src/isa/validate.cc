// validate(): one pass to mark lddw second halves and function entries, one pass per instruction
// checking its fields against its OpKind (from opcodes.def), then the per-function checks (jumps
// stay inside their function, each function ends in exit or goto). decode()/encode() too.
#include "isa/validate.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "isa/flow.h"

namespace bombus::isa {
namespace {

class Checker {
 public:
  Checker(std::span<const Insn> prog, const ValidateOptions& opts) : p_(prog), o_(opts) {}
  Status run();

 private:
  Error fail(size_t i, std::string msg) const {
    Location where;
    where.insn = static_cast<int64_t>(i);
    return make_error(Errc::kInvalid, std::move(msg), std::move(where));
  }
  Status reg_read(size_t i, uint8_t r) const {
    if (r > 10) {
      std::string m = "R";  // built by append: g++ 12 warns falsely on "R" + std::string
      m += std::to_string(r);
      m += " is invalid";
      return fail(i, std::move(m));
    }
    return {};
  }
  Status reg_write(size_t i, uint8_t r) const {
    BOMBUS_TRY(reg_read(i, r));
    if (r == kFramePointer) {
      Error e = fail(i, "frame pointer is read only");
      e.code = Errc::kRejected;  // the kernel answers EACCES here, EINVAL elsewhere
      return e;
    }
    return {};
  }
  // A jump/call from i by rel lands on an instruction start inside the program.
  // A jump (is_call false) or call/subprog[] reference from i by rel lands on an instruction
  // start inside the program. Messages follow the kernel's wording.
  Status target(size_t i, int64_t rel, bool is_call) const {
    const int64_t t = static_cast<int64_t>(i) + rel + 1;
    const bool outside = t < 0 || t >= static_cast<int64_t>(p_.size());
    if (!outside && !second_half_[static_cast<size_t>(t)]) return {};
    if (is_call)
      return fail(i, "call to invalid destination (insn " + std::to_string(t) +
                         (outside ? " is outside the program)" : " is the middle of an lddw)"));
    if (outside)
      return fail(i,
                  "jump out of range from insn " + std::to_string(i) + " to " + std::to_string(t));
    return fail(i, "jump into the middle of ldimm64 insn " + std::to_string(t - 1));
  }
  Status check_insn(size_t i);
  Status check_alu(size_t i, const Insn& in, const OpInfo& info);
  Status check_lddw(size_t i);
  Status check_call(size_t i, const Insn& in);
  Status check_functions();

  std::span<const Insn> p_;
  const ValidateOptions& o_;
  std::vector<bool> second_half_;
  std::vector<size_t> func_starts_;
};

Status Checker::run() {
  if (p_.empty()) return fail(0, "program is empty");
  if (p_.size() > o_.max_insns) {
    Error e = fail(0, "program has " + std::to_string(p_.size()) +
                          " insns, more than the limit of " + std::to_string(o_.max_insns));
    e.code = Errc::kTooBig;
    return e;
  }
  second_half_ = lddw_second_halves(p_);
  for (size_t i = 0; i < p_.size(); ++i) {
    if (second_half_[i]) continue;
    if (is_lddw(p_[i]) && i + 1 >= p_.size())
      return fail(i, "lddw at the end of the program is missing its second half");
    BOMBUS_TRY(check_insn(i));
  }
  // Every callee is in range now (check_insn), so these are exactly the call/subprog targets.
  func_starts_ = function_entries(p_);
  BOMBUS_TRY(check_functions());
  if (o_.reject_unreachable) {
    const auto seen = reachable(p_);
    for (size_t i = 0; i < p_.size(); ++i)
      if (!seen[i] && !second_half_[i]) return fail(i, "unreachable insn " + std::to_string(i));
  }
  return {};
}

Status Checker::check_alu(size_t i, const Insn& in, const OpInfo& info) {
  const bool is64 = insn_class(in.opcode) == kClassAlu64;
  const uint8_t op = in.opcode & 0xf0;
  if (info.kind == OpKind::Neg) {
    if (in.src || in.off || in.imm) return fail(i, "BPF_NEG uses reserved fields");
    return reg_write(i, in.dst);
  }
  if (info.kind == OpKind::End || info.kind == OpKind::Bswap) {
    if (in.src || in.off || (in.imm != 16 && in.imm != 32 && in.imm != 64))
      return fail(i, "BPF_END uses reserved fields");
    return reg_write(i, in.dst);
  }
  const bool divmod = op == 0x30 || op == 0x90;
  if (op == 0xb0) {  // mov, movsx, addr_space_cast
    if (info.kind == OpKind::AluX) {
      if (in.opcode == 0xbf && in.off == 1) {
        if (in.imm != 1 && in.imm != (1 << 16))
          return fail(i, "addr_space_cast insn can only convert between address space 1 and 0");
      } else if (in.imm != 0 ||
                 (in.off != 0 && in.off != 8 && in.off != 16 && (in.off != 32 || !is64))) {
        return fail(i, "BPF_MOV uses reserved fields");
      }
      BOMBUS_TRY(reg_read(i, in.src));
    } else if (in.src || in.off) {
      return fail(i, "BPF_MOV uses reserved fields");
    }
    return reg_write(i, in.dst);
  }
  if (info.kind == OpKind::AluX) {
    if (in.imm != 0 || (in.off != 0 && !(divmod && in.off == 1)))
      return fail(i, "BPF_ALU uses reserved fields");
    BOMBUS_TRY(reg_read(i, in.src));
    return reg_write(i, in.dst);
  }
  if (in.src || (in.off != 0 && !(divmod && in.off == 1)))
    return fail(i, "BPF_ALU uses reserved fields");
  if (divmod && in.imm == 0 && !o_.allow_div_by_zero_imm) return fail(i, "div by zero");
  if ((op == 0x60 || op == 0x70 || op == 0xc0) && !o_.allow_large_shift_imm) {
    const int bits = is64 ? 64 : 32;
    if (in.imm < 0 || in.imm >= bits) return fail(i, "invalid shift " + std::to_string(in.imm));
  }
  return reg_write(i, in.dst);
}

Status Checker::check_lddw(size_t i) {
  const Insn& in = p_[i];
  const Insn& hi = p_[i + 1];
  if (in.off != 0 || hi.opcode != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0)
    return fail(i, "invalid bpf_ld_imm64 insn (reserved fields of the pair set)");
  BOMBUS_TRY(reg_write(i, in.dst));
  if (in.src > kPseudoMapIdxValue)
    return fail(i, "unrecognized bpf_ld_imm64 insn (src " + std::to_string(in.src) + ")");
  if (in.src != 0 && !o_.allow_pseudo)
    return fail(i, "lddw with pseudo src " + std::to_string(in.src) +
                       " (unresolved reference) is not allowed here");
  if ((in.src == kPseudoMapFd || in.src == kPseudoMapIdx || in.src == kPseudoFunc) && hi.imm != 0)
    return fail(i, "unrecognized bpf_ld_imm64 insn (second imm must be 0)");
  if (in.src == kPseudoFunc) {
    BOMBUS_TRY(target(i, in.imm, true));
  }
  return {};
}

Status Checker::check_call(size_t i, const Insn& in) {
  if (in.dst != 0) return fail(i, "BPF_CALL uses reserved fields");
  if (in.src == kPseudoCallHelper) {
    if (in.off != 0) return fail(i, "BPF_CALL uses reserved fields");
    if (in.imm < 0 || (o_.helper_exists && !o_.helper_exists(in.imm)))
      return fail(i, "invalid func unknown#" + std::to_string(in.imm));
    return {};
  }
  if (in.src == kPseudoCall) {
    if (in.off != 0) return fail(i, "BPF_CALL uses reserved fields");
    BOMBUS_TRY(target(i, in.imm, true));
    return {};
  }
  if (in.src == kPseudoKfuncCall) {
    if (!o_.allow_pseudo) return fail(i, "kfunc calls are not allowed here");
    if (in.off < 0) return fail(i, "negative BTF fd index in kfunc call");
    return {};
  }
  return fail(i, "BPF_CALL uses reserved fields");
}

Status Checker::check_insn(size_t i) {
  const Insn& in = p_[i];
  const OpInfo& info = op_info(in.opcode);
  switch (info.kind) {
    case OpKind::kInvalid: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02x", in.opcode);
      return fail(i, std::string("unknown opcode ") + buf);
    }
    case OpKind::AluK:
    case OpKind::AluX:
    case OpKind::Neg:
    case OpKind::End:
    case OpKind::Bswap:
      return check_alu(i, in, info);
    case OpKind::Ldx:
    case OpKind::Ldxsx:
      if (in.imm != 0) return fail(i, "BPF_LDX uses reserved fields");
      BOMBUS_TRY(reg_read(i, in.src));
      return reg_write(i, in.dst);
    case OpKind::St:
      if (in.src != 0) return fail(i, "BPF_ST uses reserved fields");
      return reg_read(i, in.dst);
    case OpKind::Stx:
      if (in.imm != 0) return fail(i, "BPF_STX uses reserved fields");
      BOMBUS_TRY(reg_read(i, in.src));
      return reg_read(i, in.dst);
    case OpKind::Atomic: {
      const int32_t base = in.imm & ~kAtomicFetch;
      const bool alu =
          base == kAtomicAdd || base == kAtomicOr || base == kAtomicAnd || base == kAtomicXor;
      if (!alu && in.imm != kAtomicXchg && in.imm != kAtomicCmpxchg) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%02x", static_cast<uint32_t>(in.imm));
        return fail(i, std::string("BPF_ATOMIC uses invalid atomic opcode ") + buf);
      }
      BOMBUS_TRY(reg_read(i, in.dst));
      if (in.imm & kAtomicFetch) {
        if (in.imm != kAtomicCmpxchg) return reg_write(i, in.src);
      }
      return reg_read(i, in.src);
    }
    case OpKind::Lddw:
      return check_lddw(i);
    case OpKind::LdAbs:
    case OpKind::LdInd:
      if (!o_.allow_legacy_packet)
        return fail(i, "BPF_LD_[ABS|IND] instructions are not allowed here");
      if (in.dst != 0 || in.off != 0 || (info.kind == OpKind::LdAbs && in.src != 0))
        return fail(i, "BPF_LD_[ABS|IND] uses reserved fields");
      return reg_read(i, in.src);
    case OpKind::Ja:
      if (in.src || in.dst || in.imm) return fail(i, "BPF_JA uses reserved fields");
      return target(i, in.off, false);
    case OpKind::Jal:
      if (in.src || in.dst || in.off) return fail(i, "BPF_JA uses reserved fields");
      return target(i, in.imm, false);
    case OpKind::JccK:
      if (in.src != 0) return fail(i, "BPF_JMP/JMP32 uses reserved fields");
      BOMBUS_TRY(reg_read(i, in.dst));
      return target(i, in.off, false);
    case OpKind::JccX:
      if (in.imm != 0) return fail(i, "BPF_JMP/JMP32 uses reserved fields");
      BOMBUS_TRY(reg_read(i, in.dst));
      BOMBUS_TRY(reg_read(i, in.src));
      return target(i, in.off, false);
    case OpKind::Call:
      return check_call(i, in);
    case OpKind::Callx:
      if (!o_.allow_callx) return fail(i, "callx is not allowed here");
      if (in.src || in.off || in.imm) return fail(i, "BPF_CALL uses reserved fields");
      return reg_read(i, in.dst);
    case OpKind::Exit:
      if (in.src || in.dst || in.off || in.imm) return fail(i, "BPF_EXIT uses reserved fields");
      return {};
    case OpKind::MayGoto:
      if (in.src || in.dst || in.imm)
        return fail(i, "invalid may_goto imm " + std::to_string(in.imm));
      return target(i, in.off, false);
  }
  return fail(i, "unknown opcode");
}

// Functions are the ranges between entry points (0, call targets, subprog[] targets). A jump may
// not leave its function and every function must end in exit or an unconditional jump, so that
// nothing falls through into the next function or off the end.
Status Checker::check_functions() {
  for (size_t f = 0; f < func_starts_.size(); ++f) {
    const size_t start = func_starts_[f];
    const size_t end = f + 1 < func_starts_.size() ? func_starts_[f + 1] : p_.size();
    for (size_t i = start; i < end; ++i) {
      if (second_half_[i]) continue;
      const auto dest = jump_target(p_, i);
      if (!dest) continue;
      const int64_t t = *dest;
      if (t < static_cast<int64_t>(start) || t >= static_cast<int64_t>(end))
        return fail(i, "jump out of range from insn " + std::to_string(i) + " to " +
                           std::to_string(t) + " (outside its function " + std::to_string(start) +
                           ".." + std::to_string(end - 1) + ")");
    }
    const uint8_t last = p_[end - 1].opcode;
    if (second_half_[end - 1] || (last != 0x95 && last != 0x05 && last != 0x06))
      return fail(end - 1, "last insn is not an exit or jmp");
  }
  return {};
}

}  // namespace

Status validate(std::span<const Insn> prog, const ValidateOptions& opts) {
  return Checker(prog, opts).run();
}

Result<std::vector<Insn>> decode(std::span<const uint8_t> bytes) {
  if (bytes.size() % 8 != 0) {
    Location where;
    where.byte_offset = static_cast<int64_t>(bytes.size() - bytes.size() % 8);
    return make_error(Errc::kInvalid,
                      "program length " + std::to_string(bytes.size()) +
                          " is not a multiple of 8 (a partial insn is left at the end)",
                      std::move(where));
  }
  std::vector<Insn> out(bytes.size() / 8);
  for (size_t k = 0; k < out.size(); ++k) {
    const uint8_t* b = bytes.data() + 8 * k;
    Insn& in = out[k];
    in.opcode = b[0];
    in.dst = b[1] & 0x0f;
    in.src = b[1] >> 4;
    in.off = static_cast<int16_t>(static_cast<uint16_t>(b[2] | (b[3] << 8)));
    in.imm =
        static_cast<int32_t>(static_cast<uint32_t>(b[4]) | static_cast<uint32_t>(b[5]) << 8 |
                             static_cast<uint32_t>(b[6]) << 16 | static_cast<uint32_t>(b[7]) << 24);
  }
  return out;
}

std::vector<uint8_t> encode(std::span<const Insn> prog) {
  std::vector<uint8_t> out;
  out.reserve(prog.size() * 8);
  for (const Insn& in : prog) {
    const auto off = static_cast<uint16_t>(in.off);
    const auto imm = static_cast<uint32_t>(in.imm);
    out.push_back(in.opcode);
    out.push_back(static_cast<uint8_t>(in.dst | (in.src << 4)));
    out.push_back(static_cast<uint8_t>(off & 0xff));
    out.push_back(static_cast<uint8_t>(off >> 8));
    for (int s = 0; s < 32; s += 8) out.push_back(static_cast<uint8_t>((imm >> s) & 0xff));
  }
  return out;
}

}  // namespace bombus::isa
