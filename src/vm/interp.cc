// Interpreter::create (pre-decode: wire instructions -> internal ops, structural checks, linking
// slots to the fast loop's handlers) and Interpreter::run (per-run setup and fault reporting).
// The dispatch loop itself is in interp_exec.cc.
#include "vm/interp.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <string>

#include "vm/interp_ops.h"
#include "vm/probe_mem.h"

namespace bombus::vm {

using interp_detail::Fault;
using interp_detail::IOp;
using interp_detail::kStackBytes;
using interp_detail::Machine;
using interp_detail::Slot;

namespace {

constexpr size_t kMaxInsns = size_t{1} << 20;  // about the kernel's 1M-instruction limit
constexpr bool kLittle = std::endian::native == std::endian::little;

IOp op_plus(IOp base, int n) {
  return static_cast<IOp>(static_cast<int>(base) + n);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Error insn_error(size_t pc, std::string msg) {
  Location where;
  where.insn = static_cast<int64_t>(pc);
  return make_error(Errc::kInvalid, std::move(msg), std::move(where));
}

// Index of a conditional jump's condition in the IOp list (JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE,
// JLT, JLE, JSLT, JSLE), or -1.
int jcc_index(uint8_t code) {
  switch (code) {
    case 0x10:
      return 0;
    case 0x20:
      return 1;
    case 0x30:
      return 2;
    case 0x40:
      return 3;
    case 0x50:
      return 4;
    case 0x60:
      return 5;
    case 0x70:
      return 6;
    case 0xa0:
      return 7;
    case 0xb0:
      return 8;
    case 0xc0:
      return 9;
    case 0xd0:
      return 10;
    default:
      return -1;
  }
}

// Decodes one ALU instruction (class ALU or ALU64) into an op, folding the constant cases RFC
// 9669 defines (division by an immediate 0 or -1) into simpler ops so the handlers never test.
Result<IOp> decode_alu(size_t pc, const isa::Insn& in, Slot& s) {
  const bool is64 = isa::insn_class(in.opcode) == isa::kClassAlu64;
  const bool x = (in.opcode & isa::kSrcX) != 0;
  const uint8_t code = in.opcode & 0xf0;
  auto pick = [&](IOp k64, IOp k32) { return op_plus(is64 ? k64 : k32, x ? 1 : 0); };
  auto bad_off = [&]() -> Error {
    return insn_error(pc, "invalid offset " + std::to_string(in.off) + " for " +
                              std::string(isa::op_info(in.opcode).mnemonic));
  };
  switch (code) {
    case 0x00:
      return pick(IOp::ADD64K, IOp::ADD32K);
    case 0x10:
      return pick(IOp::SUB64K, IOp::SUB32K);
    case 0x20:
      return pick(IOp::MUL64K, IOp::MUL32K);
    case 0x40:
      return pick(IOp::OR64K, IOp::OR32K);
    case 0x50:
      return pick(IOp::AND64K, IOp::AND32K);
    case 0x60:
      return pick(IOp::LSH64K, IOp::LSH32K);
    case 0x70:
      return pick(IOp::RSH64K, IOp::RSH32K);
    case 0xa0:
      return pick(IOp::XOR64K, IOp::XOR32K);
    case 0xc0:
      return pick(IOp::ARSH64K, IOp::ARSH32K);
    case 0x80:
      return is64 ? IOp::NEG64 : IOp::NEG32;
    case 0x30:
    case 0x90: {
      const bool div = code == 0x30;
      if (in.off != 0 && in.off != 1) return bad_off();
      const bool sgn = in.off == 1;
      if (!x && in.imm == 0) {  // div -> 0, mod -> dividend (zero-extended for 32 bits)
        s.imm = 0;
        if (div) return is64 ? IOp::MOV64K : IOp::MOV32K;
        return is64 ? IOp::NOP : IOp::ZEXT32;
      }
      if (!x && sgn && in.imm == -1) {  // sdiv -> neg (INT_MIN wraps), smod -> 0
        if (div) return is64 ? IOp::NEG64 : IOp::NEG32;
        s.imm = 0;
        return is64 ? IOp::MOV64K : IOp::MOV32K;
      }
      if (div) return sgn ? pick(IOp::SDIV64K, IOp::SDIV32K) : pick(IOp::DIV64K, IOp::DIV32K);
      return sgn ? pick(IOp::SMOD64K, IOp::SMOD32K) : pick(IOp::MOD64K, IOp::MOD32K);
    }
    case 0xb0:
      if (in.off == 0) return pick(IOp::MOV64K, IOp::MOV32K);
      if (!x) return bad_off();
      switch (in.off) {
        case 8:
          return is64 ? IOp::MOVSX64B : IOp::MOVSX32B;
        case 16:
          return is64 ? IOp::MOVSX64H : IOp::MOVSX32H;
        case 32:
          if (is64) return IOp::MOVSX64W;
          return bad_off();
        default:
          return bad_off();
      }
    case 0xd0: {
      const int w = in.imm;
      if (w != 16 && w != 32 && w != 64) {
        return insn_error(
            pc, "invalid byte-swap width " + std::to_string(w) + " (expected 16, 32 or 64)");
      }
      // bswap (ALU64) always swaps; le/be swap when the host order differs.
      const bool swap = is64 || (x ? kLittle : !kLittle);
      if (swap) return w == 16 ? IOp::BSWAP16 : w == 32 ? IOp::BSWAP32 : IOp::BSWAP64;
      return w == 16 ? IOp::ZEXT16 : w == 32 ? IOp::ZEXT32 : IOp::NOP;
    }
    default:
      break;
  }
  return insn_error(pc, "unknown ALU opcode " + hex(in.opcode));
}

IOp sized(uint8_t opcode, IOp b, IOp h, IOp w, IOp dw) {
  switch (isa::insn_size(opcode)) {
    case isa::kSizeB:
      return b;
    case isa::kSizeH:
      return h;
    case isa::kSizeW:
      return w;
    default:
      return dw;
  }
}

Result<IOp> decode_atomic(size_t pc, const isa::Insn& in) {
  const bool is64 = isa::insn_size(in.opcode) == isa::kSizeDW;
  const IOp base = is64 ? IOp::AADD64 : IOp::AADD32;
  switch (in.imm) {
    case isa::kAtomicAdd:
      return op_plus(base, 0);
    case isa::kAtomicOr:
      return op_plus(base, 1);
    case isa::kAtomicAnd:
      return op_plus(base, 2);
    case isa::kAtomicXor:
      return op_plus(base, 3);
    case isa::kAtomicAdd | isa::kAtomicFetch:
      return op_plus(base, 4);
    case isa::kAtomicOr | isa::kAtomicFetch:
      return op_plus(base, 5);
    case isa::kAtomicAnd | isa::kAtomicFetch:
      return op_plus(base, 6);
    case isa::kAtomicXor | isa::kAtomicFetch:
      return op_plus(base, 7);
    case isa::kAtomicXchg:
      return op_plus(base, 8);
    case isa::kAtomicCmpxchg:
      return op_plus(base, 9);
    default:
      break;
  }
  return insn_error(pc, "unknown atomic operation " + hex(static_cast<uint32_t>(in.imm)));
}

}  // namespace

Result<Interpreter> Interpreter::create(std::span<const isa::Insn> insns, InterpOptions options) {
  const size_t n = insns.size();
  if (n == 0) return make_error(Errc::kInvalid, "program has no instructions");
  if (n > kMaxInsns) {
    return make_error(Errc::kTooBig, "program has " + std::to_string(n) +
                                         " instructions, more than the limit of " +
                                         std::to_string(kMaxInsns));
  }
  Interpreter ip;
  ip.options_ = options;
  ip.code_.resize(n + 1);
  ip.ops_.resize(n + 1);
  std::vector<bool> lddw_hi(n + 1, false);
  // Jump/call targets to check once every lddw is known: (pc, target, is_call).
  std::vector<std::pair<size_t, int64_t>> targets;

  for (size_t pc = 0; pc < n; ++pc) {
    const isa::Insn& in = insns[pc];
    Slot& s = ip.code_[pc];
    s.dst = in.dst;
    s.src = in.src;
    s.off = in.off;
    s.imm = in.imm;
    if (in.dst > 10 || in.src > 10) {
      return insn_error(pc, "invalid register r" + std::to_string(in.dst > 10 ? in.dst : in.src));
    }
    const isa::OpInfo& info = isa::op_info(in.opcode);
    Result<IOp> op = IOp::END;
    switch (info.kind) {
      case isa::OpKind::AluK:
      case isa::OpKind::AluX:
      case isa::OpKind::Neg:
      case isa::OpKind::End:
      case isa::OpKind::Bswap:
        op = decode_alu(pc, in, s);
        break;
      case isa::OpKind::Ldx:
        op = in.imm == kLdxProbeMemImm
                 ? sized(in.opcode, IOp::PLDXB, IOp::PLDXH, IOp::PLDXW, IOp::PLDXDW)
                 : sized(in.opcode, IOp::LDXB, IOp::LDXH, IOp::LDXW, IOp::LDXDW);
        break;
      case isa::OpKind::Ldxsx:
        op = in.imm == kLdxProbeMemImm
                 ? sized(in.opcode, IOp::PLDXSB, IOp::PLDXSH, IOp::PLDXSW, IOp::END)
                 : sized(in.opcode, IOp::LDXSB, IOp::LDXSH, IOp::LDXSW, IOp::END);
        break;
      case isa::OpKind::St:
        op = sized(in.opcode, IOp::STB, IOp::STH, IOp::STW, IOp::STDW);
        break;
      case isa::OpKind::Stx:
        op = sized(in.opcode, IOp::STXB, IOp::STXH, IOp::STXW, IOp::STXDW);
        break;
      case isa::OpKind::Atomic:
        op = decode_atomic(pc, in);
        break;
      case isa::OpKind::Lddw:
        if (pc + 1 >= n) return insn_error(pc, "lddw is missing its second half");
        if (in.src != 0) {
          return insn_error(pc, "unresolved lddw pseudo source " + std::to_string(in.src) +
                                    " (engines take resolved instructions)");
        }
        if (insns[pc + 1].opcode != 0) {
          return insn_error(pc + 1, "second half of lddw has opcode " + hex(insns[pc + 1].opcode) +
                                        ", expected 0");
        }
        op = IOp::LDDW;
        ip.code_[pc + 1].imm = insns[pc + 1].imm;
        ip.ops_[pc + 1] = static_cast<uint8_t>(IOp::LDDWHI);
        lddw_hi[pc + 1] = true;
        break;
      case isa::OpKind::LdAbs:
        op = sized(in.opcode, IOp::LDABSB, IOp::LDABSH, IOp::LDABSW, IOp::END);
        break;
      case isa::OpKind::LdInd:
        op = sized(in.opcode, IOp::LDINDB, IOp::LDINDH, IOp::LDINDW, IOp::END);
        break;
      case isa::OpKind::Ja:
      case isa::OpKind::Jal: {
        const int64_t delta = info.kind == isa::OpKind::Ja ? in.off : in.imm;
        s.imm = static_cast<int32_t>(delta);
        targets.emplace_back(pc, static_cast<int64_t>(pc) + 1 + delta);
        op = IOp::JA;
        break;
      }
      case isa::OpKind::MayGoto:
        if (in.src != 0 || in.dst != 0 || in.imm != 0) {
          return insn_error(pc, "invalid may_goto imm " + std::to_string(in.imm));
        }
        s.imm = in.off;
        targets.emplace_back(pc, static_cast<int64_t>(pc) + 1 + in.off);
        op = IOp::MAYGOTO;
        break;
      case isa::OpKind::JccK:
      case isa::OpKind::JccX: {
        const int idx = jcc_index(in.opcode & 0xf0);
        if (idx < 0) return insn_error(pc, "unknown jump opcode " + hex(in.opcode));
        const bool j32 = isa::insn_class(in.opcode) == isa::kClassJmp32;
        const bool x = info.kind == isa::OpKind::JccX;
        op = op_plus(j32 ? IOp::JEQ32K : IOp::JEQK, idx * 2 + (x ? 1 : 0));
        targets.emplace_back(pc, static_cast<int64_t>(pc) + 1 + in.off);
        break;
      }
      case isa::OpKind::Call:
        if (in.src == isa::kPseudoCall) {
          op = IOp::CALLLOCAL;
          targets.emplace_back(pc, static_cast<int64_t>(pc) + 1 + in.imm);
        } else if (in.src == isa::kPseudoCallHelper) {
          if (in.imm == kHelperTailCall) {
            op = IOp::TAILCALL;
          } else if (in.imm < 0 || static_cast<size_t>(in.imm) >= options.helpers.size() ||
                     options.helpers[static_cast<size_t>(in.imm)] == nullptr) {
            return insn_error(pc, "call to unknown helper " + std::to_string(in.imm));
          } else {
            op = IOp::CALL;
          }
        } else {
          return insn_error(pc, "unsupported call kind (src=" + std::to_string(in.src) +
                                    "): kfunc calls are not supported by the interpreter");
        }
        break;
      case isa::OpKind::Callx:
        op = IOp::CALLX;
        break;
      case isa::OpKind::Exit:
        op = IOp::EXIT;
        break;
      case isa::OpKind::kInvalid:
        return insn_error(pc, "unknown opcode " + hex(in.opcode));
    }
    if (!op.ok()) return op.error();
    if (*op == IOp::END) return insn_error(pc, "unknown opcode " + hex(in.opcode));
    ip.ops_[pc] = static_cast<uint8_t>(*op);
    if (*op == IOp::LDDW) ++pc;  // the second half was filled in above
  }
  ip.ops_[n] = static_cast<uint8_t>(IOp::END);

  for (const auto& [pc, target] : targets) {
    if (target < 0 || target >= static_cast<int64_t>(n)) {
      return insn_error(pc, "jump target " + std::to_string(target) + " is outside the program (" +
                                std::to_string(n) + " instructions)");
    }
    if (lddw_hi[static_cast<size_t>(target)]) {
      return insn_error(pc,
                        "jump target " + std::to_string(target) + " is the second half of an lddw");
    }
  }

  const void* const* labels = interp_detail::fast_labels();
  for (size_t pc = 0; pc <= n; ++pc) ip.code_[pc].handler = labels[ip.ops_[pc]];
  return ip;
}

Result<uint64_t> Interpreter::run(void* ctx, size_t ctx_len, const RunArgs& args) const {
  alignas(16) uint8_t stack[interp_detail::kStackBytes];
  RunState rs;
  rs.ctx = ctx;
  rs.program = this;
  rs.runtime = args.runtime;
  rs.cpu = args.cpu;
  rs.hooks = options_.hooks;
  rs.hooks.call_function = interp_detail::call_function;
  RunScope scope(rs);

  interp_detail::Machine m;
  m.entry = this;
  m.rs = &rs;
  m.stack = stack;
  m.ctx = reinterpret_cast<uintptr_t>(ctx);
  m.ctx_len = ctx_len;
  m.regions = args.regions;
  m.checked = options_.checked;
  rs.engine = &m;
  uint64_t r0;
  if (options_.checked) {
    std::memset(stack, 0, sizeof stack);  // deterministic reads of unwritten stack
    m.budget = options_.budget;
    r0 = interp_exec<true>(m);
    if (args.executed != nullptr) *args.executed = m.executed;
  } else {
    r0 = interp_exec<false>(m);
  }
  if (m.fault == Fault::kNone) return r0;

  std::string msg;
  const std::string size = std::to_string(m.fault_size) + " byte" + (m.fault_size == 1 ? "" : "s");
  switch (m.fault) {
    case Fault::kBadRead:
      msg = "out-of-bounds read of " + size + " at " + hex(m.fault_addr) +
            " (not in the stack, the context or a registered region)";
      break;
    case Fault::kBadWrite:
      msg = "out-of-bounds write of " + size + " at " + hex(m.fault_addr) +
            " (not in the stack, the context or a writable registered region)";
      break;
    case Fault::kMisaligned:
      msg = "misaligned atomic access of " + size + " at " + hex(m.fault_addr);
      break;
    case Fault::kBudget:
      msg = "instruction budget of " + std::to_string(options_.budget) + " exhausted";
      break;
    case Fault::kCallDepth:
      msg = "bpf-to-bpf calls nest deeper than " + std::to_string(isa::kMaxCallFrames) + " frames";
      break;
    case Fault::kBadCallx:
      msg = "callx target " + hex(m.fault_addr) + " is not a known helper id";
      break;
    case Fault::kFellOff:
      msg = "execution ran past the last instruction";
      break;
    case Fault::kBadTailTarget:
      msg = "tail call target is not an interpreter image";
      break;
    case Fault::kLddwHalf:
      msg = "executed the second half of an lddw";
      break;
    case Fault::kBadCallback:
      msg = "callback target " + hex(m.fault_addr) + " is not an instruction of the program";
      break;
    case Fault::kNone:
      break;
  }
  if (m.fault_in_callback) msg = "in a callback: " + msg;
  if (m.fault_prog != this) msg = "in a tail-called program: " + msg;
  Location where;
  where.insn = static_cast<int64_t>(m.fault_pc);
  return make_error(Errc::kRuntime, std::move(msg), std::move(where));
}

namespace interp_detail {

uint64_t call_function(const void* program, uint64_t target, uint64_t r1, uint64_t r2, uint64_t r3,
                       uint64_t r4, uint64_t r5) {
  RunState* rs = current_run_state();
  auto* outer = rs != nullptr ? static_cast<Machine*>(rs->engine) : nullptr;
  // Not inside an interpreter run, or the run is already stopping: make callers (bpf_loop,
  // for_each) stop iterating.
  if (outer == nullptr || rs->stop) return 1;
  const auto* prog = static_cast<const Interpreter*>(program);
  auto fail = [&](Fault f, uint64_t addr) -> uint64_t {
    outer->fault = f;  // the caller's loop records its pc (the helper call)
    outer->fault_addr = addr;
    rs->stop = true;
    rs->stop_value = 0;
    return 1;
  };
  if (prog == nullptr || prog->magic_ != Interpreter::kMagic || target >= prog->insn_count() ||
      prog->ops_[target] == static_cast<uint8_t>(IOp::LDDWHI)) {
    return fail(Fault::kBadCallback, target);
  }
  if (outer->nesting + 1 >= static_cast<unsigned>(isa::kMaxCallFrames)) {
    return fail(Fault::kCallDepth, 0);
  }
  alignas(16) uint8_t stack[kStackBytes];
  const uint64_t args[5] = {r1, r2, r3, r4, r5};
  Machine m;
  m.entry = prog;
  m.rs = rs;
  m.stack = stack;
  m.ctx = outer->ctx;
  m.ctx_len = outer->ctx_len;
  m.regions = outer->regions;
  m.checked = outer->checked;
  m.entry_pc = static_cast<size_t>(target);
  m.args = args;
  m.parent = outer;
  m.nesting = outer->nesting + 1;
  // m.loops: a budget of its own (loops_left), as every function call has in the kernel
  rs->engine = &m;
  uint64_t r0;
  if (m.checked) {
    std::memset(stack, 0, sizeof stack);
    m.budget = prog->options_.budget;
    r0 = interp_exec<true>(m);
  } else {
    r0 = interp_exec<false>(m);
  }
  rs->engine = outer;
  if (m.fault != Fault::kNone) {
    outer->fault = m.fault;
    outer->fault_prog = m.fault_prog;
    outer->fault_pc = m.fault_pc;
    outer->fault_addr = m.fault_addr;
    outer->fault_size = m.fault_size;
    outer->fault_in_callback = true;
    rs->stop = true;
    rs->stop_value = 0;
    return 1;
  }
  return r0;
}

}  // namespace interp_detail

}  // namespace bombus::vm
