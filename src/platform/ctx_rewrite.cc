// Data-flow analysis of where the ctx pointer flows, and the 1:1 rewrite of ctx accesses.
#include "platform/ctx_rewrite.h"

#include <deque>
#include <string>

namespace bombus::platform {
namespace {

using isa::Insn;

// "may hold ctx" / "may hold something else" per register and per 8-byte stack slot.
struct State {
  uint16_t reg_ctx = 0, reg_other = 0;
  uint64_t slot_ctx = 0, slot_other = 0;
  bool visited = false;

  bool merge(const State& o) {
    State before = *this;
    reg_ctx |= o.reg_ctx;
    reg_other |= o.reg_other;
    slot_ctx |= o.slot_ctx;
    slot_other |= o.slot_other;
    bool changed = !visited || before.reg_ctx != reg_ctx || before.reg_other != reg_other ||
                   before.slot_ctx != slot_ctx || before.slot_other != slot_other;
    visited = true;
    return changed;
  }
  void set_other(int r) {
    reg_ctx &= ~(1u << r);
    reg_other |= 1u << r;
  }
  void copy_reg(int dst, int src) {
    reg_ctx = (reg_ctx & ~(1u << dst)) | (((reg_ctx >> src) & 1u) << dst);
    reg_other = (reg_other & ~(1u << dst)) | (((reg_other >> src) & 1u) << dst);
  }
  bool is_ctx(int r) const { return (reg_ctx >> r) & 1u; }
  bool is_other(int r) const { return (reg_other >> r) & 1u; }
};

int stack_slot(int16_t off) {  // fp-relative, 8-byte aligned, inside the 512-byte frame
  if (off >= 0 || off < -512 || (-off) % 8 != 0) return -1;
  return (-off) / 8 - 1;
}

bool is_access(const Insn& i, int* base) {
  uint8_t cls = isa::insn_class(i.opcode), mode = i.opcode & 0xe0;
  if (cls == isa::kClassLdx && (mode == isa::kModeMem || mode == isa::kModeMemsx)) {
    *base = i.src;
    return true;
  }
  if ((cls == isa::kClassSt || cls == isa::kClassStx) &&
      (mode == isa::kModeMem || mode == isa::kModeAtomic)) {
    *base = i.dst;
    return true;
  }
  return false;
}

State entry_state() {
  State s;
  s.reg_other = 0x7ff & ~(1u << 1);
  s.reg_ctx = 1u << 1;
  s.slot_other = ~0ULL;
  s.visited = true;
  return s;
}

Error at(size_t pc, std::string msg) {
  Location l;
  l.insn = static_cast<int64_t>(pc);
  return make_error(Errc::kInvalid, std::move(msg), l);
}

}  // namespace

Result<std::vector<bool>> find_ctx_accesses(std::span<const Insn> insns) {
  const size_t n = insns.size();
  std::vector<State> st(n);
  std::vector<bool> result(n, false);
  if (n == 0) return result;
  std::deque<size_t> work;
  st[0] = entry_state();
  work.push_back(0);
  auto flow = [&](size_t to, const State& s) {
    if (to >= n) return;
    if (st[to].merge(s)) work.push_back(to);
  };
  while (!work.empty()) {
    size_t pc = work.front();
    work.pop_front();
    State s = st[pc];
    const Insn& i = insns[pc];
    uint8_t cls = isa::insn_class(i.opcode);
    if (i.dst > 10 || i.src > 10) continue;  // malformed; structure checks report it
    if (isa::is_lddw(i)) {
      s.set_other(i.dst);
      flow(pc + 2, s);
      continue;
    }
    switch (cls) {
      case isa::kClassAlu64:
      case isa::kClassAlu:
        if (cls == isa::kClassAlu64 && i.opcode == 0xbf && i.off == 0)
          s.copy_reg(i.dst, i.src);
        else
          s.set_other(i.dst);
        flow(pc + 1, s);
        break;
      case isa::kClassLdx: {
        int slot = i.src == 10 && isa::insn_size(i.opcode) == isa::kSizeDW ? stack_slot(i.off) : -1;
        if (slot >= 0) {
          uint64_t b = 1ULL << slot;
          s.reg_ctx = (s.reg_ctx & ~(1u << i.dst)) | ((s.slot_ctx & b) ? 1u << i.dst : 0);
          s.reg_other = (s.reg_other & ~(1u << i.dst)) | ((s.slot_other & b) ? 1u << i.dst : 0);
        } else {
          s.set_other(i.dst);
        }
        flow(pc + 1, s);
        break;
      }
      case isa::kClassSt:
      case isa::kClassStx: {
        if (i.dst == 10) {
          int sz = isa::size_bytes(i.opcode);
          int lo = i.off, hi = i.off + sz - 1;
          for (int o = lo & ~7; o <= hi; o += 8) {
            int slot = stack_slot(static_cast<int16_t>(o));
            if (slot < 0) continue;
            uint64_t b = 1ULL << slot;
            bool spill =
                cls == isa::kClassStx && sz == 8 && o == lo && (i.opcode & 0xe0) == isa::kModeMem;
            s.slot_ctx &= ~b;
            s.slot_other &= ~b;
            if (spill && s.is_ctx(i.src)) s.slot_ctx |= b;
            if (!spill || s.is_other(i.src)) s.slot_other |= b;
          }
        }
        if ((i.opcode & 0xe0) == isa::kModeAtomic && (i.imm & isa::kAtomicFetch))
          s.set_other(i.imm == isa::kAtomicCmpxchg ? 0 : i.src);
        flow(pc + 1, s);
        break;
      }
      case isa::kClassJmp:
      case isa::kClassJmp32: {
        uint8_t op = i.opcode & 0xf0;
        if (cls == isa::kClassJmp && op == 0x90) break;  // exit
        if (cls == isa::kClassJmp && op == 0x80) {       // call
          if (i.src == isa::kPseudoCall) {
            State callee = s;
            callee.reg_other |= (1u << 0) | (0xfu << 6);
            callee.reg_ctx &= ~((1u << 0) | (0xfu << 6));
            callee.slot_ctx = 0;
            callee.slot_other = ~0ULL;
            flow(pc + 1 + i.imm, callee);
          }
          for (int r = 0; r <= 5; ++r) s.set_other(r);
          flow(pc + 1, s);
          break;
        }
        if (op == 0x00) {  // ja (gotol uses imm in jmp32)
          flow(pc + 1 + (cls == isa::kClassJmp32 ? i.imm : i.off), s);
          break;
        }
        flow(pc + 1, s);
        flow(pc + 1 + i.off, s);
        break;
      }
      default:
        flow(pc + 1, s);
        break;
    }
  }
  for (size_t pc = 0; pc < n; ++pc) {
    int base = 0;
    if (!st[pc].visited || !is_access(insns[pc], &base) || base > 10) continue;
    if (st[pc].is_ctx(base) && st[pc].is_other(base))
      return at(pc, "same insn cannot be used with different pointers");
    result[pc] = st[pc].is_ctx(base);
  }
  return result;
}

Status rewrite_ctx_accesses(std::span<Insn> insns, const ProgTypeInfo& info,
                            std::span<const bool> ctx_access, AttachType attach) {
  std::vector<bool> found;
  if (ctx_access.empty()) {
    BOMBUS_ASSIGN_OR_RETURN(found, find_ctx_accesses(insns));
  } else {
    if (ctx_access.size() != insns.size())
      return make_error(Errc::kInvalid, "ctx-access annotation length differs from program");
    found.assign(ctx_access.begin(), ctx_access.end());
  }
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    if (!found[pc]) continue;
    Insn& i = insns[pc];
    uint8_t cls = isa::insn_class(i.opcode), mode = i.opcode & 0xe0;
    if (mode == isa::kModeAtomic)
      return at(pc, "BPF_ATOMIC stores into R" + std::to_string(i.dst) + " ctx is not allowed");
    bool write = cls != isa::kClassLdx;
    uint32_t size = static_cast<uint32_t>(isa::size_bytes(i.opcode));
    auto r = check_ctx_access(info, i.off, size, write, attach);
    if (!r.ok()) return at(pc, r.error);
    if (!info.needs_rewrite) continue;
    const CtxAccess& a = *r.access;
    uint8_t sz = a.real_size == 8   ? isa::kSizeDW
                 : a.real_size == 4 ? isa::kSizeW
                 : a.real_size == 2 ? isa::kSizeH
                                    : isa::kSizeB;
    if (mode == isa::kModeMemsx && a.real_size != size) mode = isa::kModeMem;
    i.opcode = static_cast<uint8_t>(cls | mode | sz);
    i.off = static_cast<int16_t>(a.real_off);
  }
  return {};
}

}  // namespace bombus::platform
