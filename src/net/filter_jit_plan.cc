// Liveness, dead-instruction removal and fusion patterns for the lean filter JIT (see
// filter_jit_plan.h). Registers are bit sets over r0..r10; liveness is the usual backward
// fixpoint over the control-flow graph (forward jumps converge in one pass, libpcap-mode
// backward jumps in a few). Dead-instruction removal repeats until nothing more dies, so a
// chain whose only reader was itself dead goes too.
#include "net/filter_jit_plan.h"

#include <algorithm>

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

FlatTarget flat_target(std::span<const isa::Insn> prog, const FilterJitPlan& p, size_t t) {
  for (size_t hops = 0; hops <= prog.size(); ++hops) {
    const isa::Insn& i = prog[t];
    if (p.fuse[t] == Fuse::kConstExit && !p.dead[t])
      return {FlatTarget::Kind::kReturnK, t, static_cast<uint32_t>(i.imm)};
    if (i.opcode == 0x95) return {FlatTarget::Kind::kReturnA, t, 0};
    if (i.opcode != 0x05) break;
    t = jump_target(t, i);
  }
  return {FlatTarget::Kind::kBlock, t, 0};
}

namespace {

bool second_half(std::span<const isa::Insn> prog, size_t k) {
  return k > 0 && isa::is_lddw(prog[k - 1]) && !(k > 1 && isa::is_lddw(prog[k - 2]));
}

// Registers defined and used by the live instruction at `at`, a fused run taken as a whole.
UseDef fused_use_def(std::span<const isa::Insn> prog, const FilterJitPlan& p, size_t at) {
  UseDef u;
  for (size_t k = at; k < at + p.length[at]; ++k) {
    const UseDef one = use_def(prog[k]);
    u.use |= static_cast<uint16_t>(one.use & ~u.def);
    u.def |= one.def;
  }
  return u;
}

uint32_t load_size(const isa::Insn& i) {
  const uint8_t s = i.opcode & 0x18;
  return s == isa::kSizeB ? 1 : s == isa::kSizeH ? 2 : s == isa::kSizeW ? 4 : 8;
}

constexpr int kCtxSize = 60;  // sizeof(CbpfSkbCtx); seccomp_data is larger

// Finds the converter's `ldx D, [ctx + off]` (data pointer at 0, caplen at 8) in the entry
// run, before any jump; 0xff when absent.
uint8_t entry_load(std::span<const isa::Insn> prog, const FilterJitPlan& p, uint8_t opcode,
                   int16_t off, size_t* at_out) {
  for (size_t at = 0; at < prog.size(); ++at) {
    const isa::Insn& i = prog[at];
    if ((at > 0 && p.target[at]) || is_jump(i) || i.opcode == 0x95) break;
    if (p.dead[at]) continue;
    if (i.opcode == opcode && i.off == off && (i.src == 1 || (i.src == 6 && p.alias_r6))) {
      *at_out = at;
      return i.dst;
    }
  }
  return 0xff;
}

bool is_packet_load(std::span<const isa::Insn> prog, const FilterJitPlan& p, size_t at,
                    uint8_t data) {
  const isa::Insn& i = prog[at];
  return i.src == data && i.off >= 0 && (i.opcode & 0x07) == isa::kClassLdx &&
         (p.fuse[at] == Fuse::kLoadSwap || (p.fuse[at] == Fuse::kNone && i.opcode == 0x71));
}

// A `jeq/jne/jset reg, K` whose constant fits the width of the load behind reg.
bool foldable_compare(const isa::Insn& j, const isa::Insn& load) {
  const uint8_t cls = j.opcode & 0x07, op = j.opcode & 0xf0;
  if ((cls != isa::kClassJmp && cls != isa::kClassJmp32) || (j.opcode & isa::kSrcX) != 0 ||
      (op != 0x10 && op != 0x50 && op != 0x40))
    return false;
  const uint64_t c = cls == isa::kClassJmp32 ? uint64_t{static_cast<uint32_t>(j.imm)}
                                             : static_cast<uint64_t>(int64_t{j.imm});
  const uint32_t size = load_size(load);
  return size < 8 && c <= (uint64_t{1} << (8 * size)) - 1;
}

struct Reaching {
  bool reached = false;
  uint64_t may[isa::kNumRegs] = {};  // candidate loads whose value the register may hold
  int8_t must[isa::kNumRegs];        // the one it holds on every path, or -1
  Reaching() { std::fill(std::begin(must), std::end(must), int8_t{-1}); }
  void merge(const Reaching& o) {
    if (!reached) {
      *this = o;
      return;
    }
    for (size_t r = 0; r < isa::kNumRegs; ++r) {
      may[r] |= o.may[r];
      if (must[r] != o.must[r]) must[r] = -1;
    }
  }
  void define(uint16_t regs, int8_t load) {
    for (size_t r = 0; r < isa::kNumRegs; ++r)
      if (regs & bit(static_cast<unsigned>(r))) {
        may[r] = load >= 0 ? uint64_t{1} << load : 0;
        must[r] = load;
      }
  }
};

// Fills f.elided and f.mem_cmp: which packet loads (at most 64) only feed foldable compares.
void fold_compares(std::span<const isa::Insn> prog, const FilterJitPlan& p, CompareFold& f,
                   size_t data_at) {
  const size_t n = prog.size();
  f.elided.assign(n, false);
  f.mem_cmp.assign(n, -1);
  std::vector<int8_t> id(n, -1);
  std::vector<size_t> loads;
  for (size_t at = data_at + 1; at < n && loads.size() < 64; at += p.length[at])
    if (!p.dead[at] && !second_half(prog, at) && is_packet_load(prog, p, at, f.data_reg)) {
      id[at] = static_cast<int8_t>(loads.size());
      loads.push_back(at);
    }
  if (loads.empty()) return;
  std::vector<Reaching> st(n + 1);
  st[0].reached = true;
  uint64_t needed = 0;
  for (size_t at = 0; at < n; at += p.length[at]) {
    const size_t next = at + p.length[at];
    if (!st[at].reached) continue;
    if (p.dead[at] || second_half(prog, at)) {
      st[next].merge(st[at]);
      continue;
    }
    const isa::Insn& i = prog[at];
    Reaching s = st[at];
    const UseDef u = fused_use_def(prog, p, at);
    uint16_t use = u.use;
    const int8_t src = is_jump(i) && i.dst < isa::kNumRegs ? s.must[i.dst] : -1;
    if (is_jump(i) && src >= 0 && foldable_compare(i, prog[loads[src]])) {
      f.mem_cmp[at] = static_cast<int32_t>(loads[src]);
      use = static_cast<uint16_t>(use & ~bit(i.dst));
    }
    for (size_t r = 0; r < isa::kNumRegs; ++r)
      if (use & bit(static_cast<unsigned>(r))) needed |= s.may[r];
    if (p.fuse[at] == Fuse::kLoadInd) {
      Reaching at_jump = s;
      at_jump.define(bit(prog[at].dst) | bit(prog[at + 2].dst), -1);
      st[jump_target(at + 4, prog[at + 4])].merge(at_jump);
    } else if (is_jump(i)) {
      st[jump_target(at, i)].merge(s);
    }
    s.define(u.def, id[at]);
    if (i.opcode != 0x95 && i.opcode != 0x05) st[next].merge(s);
  }
  for (size_t k = 0; k < loads.size(); ++k) f.elided[loads[k]] = (needed >> k & 1) == 0;
}

}  // namespace

CompareFold fold_packet_compares(std::span<const isa::Insn> prog, const FilterJitPlan& p) {
  CompareFold c;
  c.elided.assign(prog.size(), false);
  c.mem_cmp.assign(prog.size(), -1);
  size_t data_at = 0;
  const uint8_t data = entry_load(prog, p, 0x79, 0, &data_at);
  if (p.writes_r1 || data == 0xff) return c;
  for (size_t at = 0; at < prog.size(); at += p.length[at]) {
    if (p.dead[at] || second_half(prog, at)) continue;
    if (is_jump(prog[at]) && prog[at].off < 0) return c;
    if ((fused_use_def(prog, p, at).def & bit(data)) != 0 && at != data_at) return c;
  }
  c.data_reg = data;
  fold_compares(prog, p, c, data_at);
  return c;
}

FlatPlan plan_flat(std::span<const isa::Insn> prog, const FilterJitPlan& p) {
  const size_t n = prog.size();
  FlatPlan f;
  auto fail = [&f](const char* why) {
    f.why = why;
    return f;
  };
  if (p.writes_r1) return fail("the program writes r1");
  size_t data_at = 0, caplen_at = 0, live_count = 0;
  const uint8_t data = entry_load(prog, p, 0x79, 0, &data_at);
  const uint8_t caplen = entry_load(prog, p, 0x61, 8, &caplen_at);
  // Pass 1: what each live instruction touches, and the length every constant load needs.
  for (size_t at = 0; at < n; at += p.length[at]) {
    if (p.dead[at] || second_half(prog, at) || (at == 0 && p.alias_r6)) continue;
    const isa::Insn& i = prog[at];
    ++live_count;
    const UseDef u = fused_use_def(prog, p, at);
    const uint16_t touched = u.use | u.def;
    if ((touched & (bit(2) | bit(3))) != 0) return fail("uses r2 or r3");
    if ((touched & bit(6)) != 0 && !p.alias_r6) return fail("uses r6 as a register of its own");
    if ((u.def & bit(10)) != 0) return fail("writes r10");
    if (data != 0xff && (u.def & bit(data)) != 0 && at != data_at)
      return fail("rewrites the data pointer");
    if (caplen != 0xff && (u.def & bit(caplen)) != 0 && at != caplen_at)
      return fail("rewrites the captured length");
    const uint8_t cls = i.opcode & 0x07;
    if (is_jump(i) && i.off < 0) return fail("backward jump");
    if (p.fuse[at] == Fuse::kLoadInd) {
      if (prog[at + 4].src != caplen || prog[at + 5].src != data || data == 0xff)
        return fail("indirect load not against the captured length");
      continue;
    }
    if (cls == isa::kClassSt || cls == isa::kClassStx) {
      const uint32_t size = load_size(i);
      if (i.dst != 10 || (size != 4 && size != 8) || i.off < -512 || i.off + int(size) > 0)
        return fail("store other than a 32/64-bit stack slot");
      continue;
    }
    if (cls != isa::kClassLdx) continue;
    const int64_t end = int64_t{i.off} + load_size(i);
    if (i.src == 10) {
      if (i.off < -512 || end > 0) return fail("stack load out of the frame");
    } else if (i.src == 1 || (i.src == 6 && p.alias_r6)) {
      if (i.off < 0 || end > kCtxSize) return fail("context load out of the context");
    } else if (i.src == data && data != 0xff && at > data_at && i.off >= 0) {
      f.min_caplen = std::max(f.min_caplen, static_cast<uint32_t>(end));
    } else {
      return fail("load through a pointer the plan does not know");
    }
  }
  if (live_count > kFlatMaxInsns) return fail("too many instructions");
  // Pass 2: bounds checks known to pass, jump edges, slots and the writes that need predication.
  f.folded.assign(n, false);
  f.pred.assign(n, false);
  f.slot.assign(n, -1);
  f.data_reg = data;
  fold_compares(prog, p, f, data_at);
  // Registers live into each instruction, with elided loads gone and folded compares reading
  // memory (one backward pass: every jump goes forward).
  std::vector<uint16_t> in(n + 1, 0), span(n, 0);
  std::vector<size_t> starts;
  for (size_t at = 0; at < n; at += p.length[at]) starts.push_back(at);
  for (size_t k = starts.size(); k-- > 0;) {
    const size_t at = starts[k], next = at + p.length[at];
    const isa::Insn& i = prog[at];
    if (p.dead[at] || second_half(prog, at) || f.elided[at]) {
      for (size_t q = at; q < next; ++q) in[q] = in[next];
      continue;
    }
    UseDef u = fused_use_def(prog, p, at);
    if (f.mem_cmp[at] >= 0) u.use = static_cast<uint16_t>(u.use & ~bit(i.dst));
    uint16_t out = i.opcode == 0x95 || i.opcode == 0x05 ? 0 : in[next];
    if (p.fuse[at] == Fuse::kLoadInd)
      out |= in[jump_target(at + 4, prog[at + 4])];
    else if (is_jump(i))
      out |= in[jump_target(at, i)];
    for (size_t q = at; q < next; ++q) in[q] = u.use | static_cast<uint16_t>(out & ~u.def);
  }
  for (size_t at = 0; at < n; at += p.length[at]) {
    if (p.dead[at] || second_half(prog, at)) continue;
    const isa::Insn& i = prog[at];
    size_t j = at;  // the jump instruction of this (possibly fused) run
    if (p.fuse[at] == Fuse::kLoadInd) {
      j = at + 4;
    } else if (!is_jump(i)) {
      if (i.opcode == 0x95 && !(at > 0 && p.fuse[at - 1] == Fuse::kConstExit && !p.dead[at - 1]))
        f.one_accept = false;
      if (p.fuse[at] == Fuse::kConstExit && i.imm != 0) {
        if (f.accept_k != 0 && f.accept_k != static_cast<uint32_t>(i.imm)) f.one_accept = false;
        f.accept_k = static_cast<uint32_t>(i.imm);
      }
      continue;
    }
    const isa::Insn& ji = prog[j];
    if (caplen != 0xff && ji.opcode == 0xa5 && ji.dst == caplen && ji.imm >= 0 &&
        static_cast<uint32_t>(ji.imm) <= f.min_caplen) {
      f.folded[j] = true;
      continue;
    }
    const FlatTarget t = flat_target(prog, p, jump_target(j, ji));
    if (t.kind == FlatTarget::Kind::kReturnA) f.one_accept = false;
    if (t.kind != FlatTarget::Kind::kBlock) continue;
    if (t.at <= j) return fail("backward jump");
    if (f.slot[t.at] < 0) {
      if (f.slots == kFlatMaxSlots) return fail("too many jump targets");
      f.slot[t.at] = static_cast<int16_t>(f.slots++);
    }
    for (size_t w = j + 1; w < t.at; ++w) span[w] |= in[t.at];
  }
  for (size_t at = 0; at < n; at += p.length[at]) {
    if (p.dead[at] || second_half(prog, at) || f.elided[at]) continue;
    const UseDef u = fused_use_def(prog, p, at);
    if (p.fuse[at] == Fuse::kLoadInd) {
      const uint16_t temps = bit(prog[at].dst) | bit(prog[at + 2].dst);
      // The fused run clobbers its temporaries after its own edge (at + 4).
      if ((span[at + p.length[at] - 1] & temps) != 0) return fail("indirect-load temporary live");
      f.pred[at] = (span[at + p.length[at] - 1] & bit(prog[at + 6].dst)) != 0;
      continue;
    }
    f.pred[at] = (u.def & span[at]) != 0;
  }
  f.ok = true;
  return f;
}

}  // namespace bombus::net
