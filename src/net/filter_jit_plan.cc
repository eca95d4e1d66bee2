// Liveness, dead-instruction removal and fusion patterns for the lean filter JIT (see
// filter_jit_plan.h). Registers are bit sets over r0..r10; liveness is the usual backward
// fixpoint over the control-flow graph (forward jumps converge in one pass, libpcap-mode
// backward jumps in a few). Dead-instruction removal repeats until nothing more dies, so a
// chain whose only reader was itself dead goes too.
#include "net/filter_jit_plan.h"

namespace bombus::net {

namespace {

constexpr uint16_t bit(unsigned r) {
  return static_cast<uint16_t>(1u << r);
}

struct UseDef {
  uint16_t use = 0, def = 0;
};

UseDef use_def(const isa::Insn& i) {
  const uint8_t cls = i.opcode & 0x07, op = i.opcode & 0xf0;
  const bool x = (i.opcode & isa::kSrcX) != 0;
  UseDef u;
  switch (cls) {
    case isa::kClassAlu:
    case isa::kClassAlu64:
      u.def = bit(i.dst);
      if (op == 0xb0)
        u.use = x ? bit(i.src) : 0;
      else if (op == 0x80 || op == 0xd0)
        u.use = bit(i.dst);
      else
        u.use = bit(i.dst) | (x ? bit(i.src) : 0);
      break;
    case isa::kClassLdx:
      u.def = bit(i.dst);
      u.use = bit(i.src);
      break;
    case isa::kClassSt:
      u.use = bit(i.dst);
      break;
    case isa::kClassStx:
      u.use = bit(i.dst) | bit(i.src);
      break;
    case isa::kClassLd:
      u.def = bit(i.dst);
      break;
    default:  // jumps
      if (op == 0x90)
        u.use = bit(0);
      else if (op != 0x00)
        u.use = bit(i.dst) | (x ? bit(i.src) : 0);
  }
  return u;
}

// Instructions whose only effect is their destination register.
bool pure(const isa::Insn& i) {
  const uint8_t cls = i.opcode & 0x07;
  return cls == isa::kClassAlu || cls == isa::kClassAlu64 || cls == isa::kClassLdx ||
         cls == isa::kClassLd;
}

bool is_jump(const isa::Insn& i) {
  const uint8_t cls = i.opcode & 0x07;
  return (cls == isa::kClassJmp || cls == isa::kClassJmp32) && (i.opcode & 0xf0) != 0x90;
}

size_t jump_target(size_t at, const isa::Insn& i) {
  return static_cast<size_t>(static_cast<int64_t>(at) + 1 + i.off);
}

// One liveness pass over the program with `dead` instructions treated as no-ops.
void liveness(std::span<const isa::Insn> prog, FilterJitPlan& p) {
  const size_t n = prog.size();
  std::vector<uint16_t> in(n + 1, 0);
  p.live.assign(n, 0);
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t k = n; k-- > 0;) {
      const isa::Insn& i = prog[k];
      const bool second_half =
          k > 0 && isa::is_lddw(prog[k - 1]) && !(k > 1 && isa::is_lddw(prog[k - 2]));
      uint16_t out = 0;
      const bool jmp = !second_half && is_jump(i);
      const bool ends = !second_half && (i.opcode == 0x95 || i.opcode == 0x05);
      if (!ends && k + 1 < n) out |= in[k + 1];
      if (jmp) out |= in[jump_target(k, i)];
      UseDef u = second_half || p.dead[k] ? UseDef{} : use_def(i);
      const uint16_t now = u.use | static_cast<uint16_t>(out & ~u.def);
      if (now != in[k] || out != p.live[k]) changed = true;
      in[k] = now;
      p.live[k] = out;
    }
  }
  p.live_in = in[0];
}

bool is_swap_of(const isa::Insn& ld, const isa::Insn& sw) {
  const uint8_t size = ld.opcode & 0x18;
  return sw.opcode == 0xdc && sw.dst == ld.dst &&
         ((size == isa::kSizeH && sw.imm == 16) || (size == isa::kSizeW && sw.imm == 32));
}

bool is_ldx_bhw(const isa::Insn& i) {
  return (i.opcode & 0x07) == isa::kClassLdx && (i.opcode & 0xe0) == isa::kModeMem &&
         (i.opcode & 0x18) != isa::kSizeDW;
}

// convert_cbpf's LD IND: w8 = w7; w8 += k; r4 = r8; r4 += size; if r4 > r5 goto fail;
// r8 += r9; ldx r0, [r8 + 0] (+ be16/be32 r0). Returns its length, or 0.
size_t match_load_ind(std::span<const isa::Insn> prog, size_t a, const FilterJitPlan& p) {
  if (a + 7 > prog.size()) return 0;
  const isa::Insn* s = &prog[a];
  const uint8_t t = s[0].dst, x = s[0].src, r4 = s[2].dst, r5 = s[4].src, d = s[5].src,
                dst = s[6].dst;
  if (s[0].opcode != 0xbc || s[1].opcode != 0x04 || s[1].dst != t || s[2].opcode != 0xbf ||
      s[2].src != t || s[3].opcode != 0x07 || s[3].dst != r4 || s[4].opcode != 0x2d ||
      s[4].dst != r4 || s[5].opcode != 0x0f || s[5].dst != t || !is_ldx_bhw(s[6]) ||
      s[6].src != t || s[6].off != 0)
    return 0;
  const uint8_t size = s[6].opcode & 0x18;
  const int want = size == isa::kSizeW ? 4 : size == isa::kSizeH ? 2 : 1;
  if (s[3].imm != want) return 0;
  const uint16_t regs[] = {bit(t), bit(x), bit(r4), bit(r5), bit(d), bit(dst)};
  uint16_t all = 0;
  for (uint16_t r : regs) {
    if (all & r) return 0;  // all six distinct
    all |= r;
  }
  if ((all & bit(10)) != 0) return 0;
  size_t len = 7;
  if (a + 7 < prog.size() && is_swap_of(s[6], s[7]) && !p.target[a + 7]) len = 8;
  for (size_t k = a + 1; k < a + len; ++k)
    if (p.target[k]) return 0;
  for (size_t k = a; k < a + len; ++k)
    if (p.dead[k]) return 0;
  // The fused code leaves t and r4 holding other values: both must be dead afterwards.
  if ((p.live[a + len - 1] & (bit(t) | bit(r4))) != 0) return 0;
  return len;
}

}  // namespace

FilterJitPlan plan_filter_jit(std::span<const isa::Insn> prog) {
  const size_t n = prog.size();
  FilterJitPlan p;
  p.target.assign(n, false);
  p.dead.assign(n, false);
  p.fuse.assign(n, Fuse::kNone);
  p.length.assign(n, 1);
  for (size_t at = 0; at < n; ++at) {
    const isa::Insn& i = prog[at];
    if (isa::is_lddw(i)) {
      if (i.dst == 1) p.writes_r1 = true;
      ++at;
      continue;
    }
    if (is_jump(i)) {
      const size_t to = jump_target(at, i);
      if (to < n) p.target[to] = true;
    } else if ((use_def(i).def & bit(1)) != 0) {
      p.writes_r1 = true;
    }
  }
  // Drop pure instructions whose result nobody reads, until nothing more dies.
  for (bool more = true; more;) {
    more = false;
    liveness(prog, p);
    for (size_t at = 0; at < n; ++at) {
      const isa::Insn& i = prog[at];
      if (p.dead[at] || !pure(i)) continue;
      if (at > 0 && isa::is_lddw(prog[at - 1]) && !(at > 1 && isa::is_lddw(prog[at - 2]))) continue;
      if ((use_def(i).def & p.live[at]) == 0) {
        p.dead[at] = true;
        if (isa::is_lddw(i) && at + 1 < n) p.dead[at + 1] = true;
        more = true;
      }
    }
  }
  if (n > 0 && prog[0].opcode == 0xbf && prog[0].dst == 6 && prog[0].src == 1 && !p.target[0] &&
      !p.writes_r1) {
    bool rewritten = false;
    for (size_t at = 1; at < n; ++at)
      if (!p.dead[at] && !isa::is_lddw(prog[at - 1]) && (use_def(prog[at]).def & bit(6)) != 0)
        rewritten = true;
    p.alias_r6 = !rewritten;
  }
  for (size_t at = 0; at < n; ++at) {
    const isa::Insn& i = prog[at];
    if (p.dead[at]) continue;
    if (size_t len = match_load_ind(prog, at, p)) {
      p.fuse[at] = Fuse::kLoadInd;
      p.length[at] = static_cast<uint8_t>(len);
      at += len - 1;
    } else if (is_ldx_bhw(i) && at + 1 < n && is_swap_of(i, prog[at + 1]) && !p.target[at + 1] &&
               !p.dead[at + 1]) {
      p.fuse[at] = Fuse::kLoadSwap;
      p.length[at] = 2;
      ++at;
    } else if ((i.opcode == 0xb4 || i.opcode == 0xb7) && i.dst == 0 && at + 1 < n &&
               prog[at + 1].opcode == 0x95) {
      p.fuse[at] = Fuse::kConstExit;
      p.length[at] = 1;  // the exit stays: a jump may land on it
    } else if (isa::is_lddw(i)) {
      ++at;
    }
  }
  return p;
}

}  // namespace bombus::net
