// The AVX2 8-packet filter JIT (filter_vec.h): plan_vec() analyses the classic program (jump
// targets, which instructions park a mask, the caplen every lane reaching an instruction is
// proved to have, which loads read which column), VecEmitter emits the code.
//
// The generated function, SysV: fn(rdi data pointers, rsi caplens, rdx wire lengths, rcx
// groups, r8 out, r9 scratch) -> rax matches. Loop state: r12, r13 and r11 walk the three
// arrays, r14 counts the groups left, r15 walks out, rbx is the scratch base, r10 points at the
// group's data pointers (r12's, or kPtr after a fixup). Per group: header() loads the caplens
// (and wire lengths) and, unless the caller padded the packets, checks that each packet's first
// W bytes are readable (fixup() copies the others into zeroed lane buffers); columns() loads
// each window's 16 bytes of the 8 packets (the 8 pointers held in rcx..r10 unless an LD IND
// still needs r10) and transposes them into 4 columns; the program is emitted twice, without
// the constant-offset bounds checks for groups whose 8 caplens cover them all, and with them.
// Scratch (from rbx): kPtr (pointers after a fixup), kFlags (padded), kMatched, kTmp/kAnc lane
// staging, the columns, the parked masks, M[], the lane buffers. YMM: y0 A, y1 X, y2 the
// current path mask, y3 the results (or the accept mask), y4 caplen ^ 0x80000000 (unsigned
// compares as signed ones), y5 caplen, y10 wire length, y11-y15 parked masks (the column
// transposition's temporaries before the program), y6-y9 temporaries.
#include "net/filter_vec.h"

#include <asmjit/x86.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "net/asm_code.h"
#include "net/cbpf_to_ebpf.h"

namespace bombus::net {
namespace {

using namespace cbpf;  // NOLINT: the opcode field constants
namespace x86 = asmjit::x86;
using asmjit::Label;

constexpr size_t kLanes = 8;
constexpr size_t kMaxProg = 512;
constexpr uint32_t kMaxEnd = 256;  // constant-offset loads must end at or before this byte
constexpr uint32_t kBias = 0x80000000u;
constexpr int kPtr = 0, kFlags = 64, kMatched = 72, kLoaded = 80, kBase = 88, kTmp = 128,
              kAnc = 160, kSave = 192, kCols = 224;
constexpr size_t kMaxLazy = 8;  // windows loaded on first need (one flag byte each, in a qword)
static_assert(kLoaded + kMaxLazy <= kBase);

int size_of(uint16_t code) {
  return (code & 0x18) == kB ? 1 : (code & 0x18) == kH ? 2 : 4;
}

Error unsupported(size_t pc, const std::string& why) {
  return make_error(Errc::kUnsupported, "vector filter JIT: " + why,
                    Location{.insn = static_cast<int64_t>(pc)});
}

// A column: per lane, the dword at byte `anchor` of the packet, or (base >= 0) at byte
// 4 * (p[base] & 0xf) + anchor: the X of `ldx msh [base]` plus anchor.
struct Column {
  int64_t base = -1;
  uint32_t anchor = 0;
};

constexpr int64_t kXUnset = -3, kXUnknown = -2;
constexpr size_t kMaxBases = 3;  // X-relative columns over at most this many msh bytes
constexpr int kSlotRegs = 5;     // parked masks in ymm11-ymm15, the rest in scratch

struct Plan {
  size_t n = 0;
  std::vector<uint32_t> jt, jf;   // absolute targets of jumps (JA: both)
  std::vector<bool> reach, full;  // reached at all; reached by every live lane
  std::vector<uint32_t> known;    // caplen >= known[i] for every lane reaching i
  std::vector<int64_t> xin;       // X at i is msh(xin[i]) on every path, or kXUnknown
  std::vector<int> slot;          // parked-mask slot of instruction i, or -1
  std::vector<int> slot_reg;      // slot s lives in ymm(11 + slot_reg[s]), or -1: scratch
  std::vector<int> col;           // load i reads column col[i], or -1
  std::vector<Column> cols;       // 4 per window: column 4w + j is dword j of window w
  struct Window {
    int64_t base = -1;  // as Column::base
    uint32_t start = 0;
    unsigned used = 0;  // bit j: column 4w + j is read
    bool lazy = false;  // loaded only when a group first needs it (no use reached by all lanes)
    int flag = 0;       // lazy: its "loaded" byte, kLoaded + flag (< kMaxLazy)
  };
  std::vector<Window> windows;  // 16 bytes of each packet, transposed into 4 columns
  std::vector<uint32_t> bases;  // the msh bytes of X-relative columns
  uint32_t window = 32;         // W: bytes of each packet the columns read
  std::vector<bool> a_live;     // A is read before written from i on (on some path)
  uint32_t max_end = 0;         // the highest end of a constant-offset load
  // Every reachable nonzero return is `ret #accept`: lanes are ORed into a mask, and the
  // results are mask & accept (0: returns differ or return A).
  uint32_t accept = 0;
  bool wire = false, mem = false;
  bool general_indirect = false;  // an LD IND reads through the data pointers (no column)
  int slots = 0;
};

bool is_ret(const CbpfInsn& c) {
  return (c.code & 7) == kRet;
}

Status check_insn(const CbpfInsn& c, size_t pc) {
  const uint16_t cls = c.code & 7, mode = c.code & 0xe0;
  switch (cls) {
    case kLd:
      if (mode == kImm || mode == kLen || mode == kMem) return {};
      if (mode == kAbs || mode == kInd) {
        if ((c.code & 0x18) == 0x18) return unsupported(pc, "load size");
        if (mode == kAbs && c.k >= kLlOff) return unsupported(pc, "ancillary or negative offset");
        if (mode == kAbs && uint64_t{c.k} + size_of(c.code) > kMaxEnd)
          return unsupported(pc, fmt::format("load at byte {} (past {})", c.k, kMaxEnd));
        return {};
      }
      return unsupported(pc, "load mode");
    case kLdx:
      if (mode == kImm || mode == kLen || mode == kMem) return {};
      if (c.code == (kLdx | kB | kMsh)) {
        if (uint64_t{c.k} + 1 > kMaxEnd)
          return unsupported(pc, fmt::format("load at byte {} (past {})", c.k, kMaxEnd));
        return {};
      }
      return unsupported(pc, "ldx mode");
    case kSt:
    case kStx:
      return {};
    case kAlu: {
      const uint16_t op = c.code & 0xf0;
      if (op > kXor) return unsupported(pc, "ALU operation");
      if ((op == kDiv || op == kMod) && !(c.code & kX) && c.k == 0)
        return unsupported(pc, "division by constant zero");
      return {};
    }
    case kJmp:
      if ((c.code & 0xf0) > kJset) return unsupported(pc, "jump kind");
      return {};
    case kRet:
      if ((c.code & 0x18) != kK && (c.code & 0x18) != kA) return unsupported(pc, "return kind");
      return {};
    default:  // kMisc
      if ((c.code & 0xf8) != kTax && (c.code & 0xf8) != kTxa) return unsupported(pc, "misc op");
      return {};
  }
}

// Parked-mask slots live from their first park to their target: linear scan over ymm11-15.
void assign_slot_regs(Plan& p, const std::vector<size_t>& first_park) {
  p.slot_reg.assign(p.slots, -1);
  std::vector<std::pair<size_t, int>> order;  // (first park, slot)
  std::vector<size_t> target(p.slots);
  for (size_t t = 0; t < p.n; ++t)
    if (p.slot[t] >= 0) {
      order.emplace_back(first_park[t], p.slot[t]);
      target[p.slot[t]] = t;
    }
  std::sort(order.begin(), order.end());
  std::array<size_t, kSlotRegs> busy_until{};  // the register is free from this pc on
  for (const auto& [start, s] : order)
    for (int r = 0; r < kSlotRegs; ++r)
      if (busy_until[r] <= start) {
        p.slot_reg[s] = r;
        busy_until[r] = target[s];
        break;
      }
}

// Plan::accept and Plan::a_live (backward over the DAG: every edge goes forward).
void plan_accept_and_liveness(Plan& p, std::span<const CbpfInsn> prog) {
  const size_t n = p.n;
  bool one_accept = true;
  for (size_t i = 0; i < n; ++i) {
    const CbpfInsn& c = prog[i];
    if (!p.reach[i] || !is_ret(c)) continue;
    if ((c.code & 0x18) == kA || (c.k != 0 && p.accept != 0 && c.k != p.accept)) one_accept = false;
    if ((c.code & 0x18) == kK && c.k != 0) p.accept = c.k;
  }
  if (!one_accept) p.accept = 0;
  p.a_live.assign(n, false);
  for (size_t i = n; i-- > 0;) {
    const CbpfInsn& c = prog[i];
    const uint16_t cls = c.code & 7;
    bool out = false;
    if (cls == kJmp)
      out = p.a_live[p.jt[i]] || p.a_live[p.jf[i]];
    else if (cls != kRet)
      out = p.a_live[i + 1];
    const bool uses = (cls == kJmp && (c.code & 0xf0) != kJa) ||
                      (cls == kRet && (c.code & 0x18) == kA) || cls == kAlu || cls == kSt ||
                      (cls == kMisc && (c.code & 0xf8) == kTax);
    const bool defines = cls == kLd || cls == kAlu || (cls == kMisc && (c.code & 0xf8) == kTxa);
    p.a_live[i] = uses || (out && !defines);
  }
}

Result<Plan> plan_vec(std::span<const CbpfInsn> prog) {
  Plan p;
  const size_t n = p.n = prog.size();
  if (n == 0) return unsupported(0, "empty program");
  if (n > kMaxProg) return unsupported(0, fmt::format("{} instructions (max {})", n, kMaxProg));
  p.jt.assign(n, 0);
  p.jf.assign(n, 0);
  p.reach.assign(n, false);
  p.full.assign(n, false);
  p.known.assign(n, UINT32_MAX);
  p.xin.assign(n, kXUnset);
  p.slot.assign(n, -1);
  p.col.assign(n, -1);
  std::vector<int> edges(n, 0);
  std::vector<bool> full_edge(n, false);
  std::vector<size_t> first_park(n, 0);
  p.reach[0] = true;
  p.known[0] = 0;
  p.xin[0] = kXUnknown;  // X starts at 0: not an msh value
  edges[0] = 1;
  full_edge[0] = true;
  struct Field {
    int64_t base;
    uint32_t k, size;
    size_t pc;
  };
  std::vector<Field> fields;
  for (size_t i = 0; i < n; ++i) {
    const CbpfInsn& c = prog[i];
    BOMBUS_TRY(check_insn(c, i));
    const uint16_t cls = c.code & 7, mode = c.code & 0xe0;
    if (cls == kJmp) {
      const uint64_t t = (c.code & 0xf0) == kJa ? i + 1 + uint64_t{c.k} : i + 1 + c.jt;
      const uint64_t f = (c.code & 0xf0) == kJa ? t : i + 1 + c.jf;
      if (t >= n || f >= n) return unsupported(i, "the jump leaves the program");
      p.jt[i] = static_cast<uint32_t>(t);
      p.jf[i] = static_cast<uint32_t>(f);
    } else if (cls != kRet && i + 1 >= n) {
      return unsupported(i, "the program runs off its end");
    }
    if (!p.reach[i]) continue;
    p.full[i] = edges[i] == 1 && full_edge[i];
    uint32_t known = p.known[i];
    int64_t x = p.xin[i];
    const bool load = cls == kLd || cls == kLdx;
    if (load && (mode == kAbs || mode == kMsh)) {
      const uint32_t sz = mode == kMsh ? 1 : size_of(c.code);
      fields.push_back({-1, c.k, sz, i});
      known = std::max(known, c.k + sz);
    }
    if (cls == kLd && mode == kInd && x >= 0 && uint64_t{c.k} + size_of(c.code) <= kMaxEnd - 64) {
      const bool listed = std::find(p.bases.begin(), p.bases.end(), x) != p.bases.end();
      if (listed || p.bases.size() < kMaxBases) {
        if (!listed) p.bases.push_back(static_cast<uint32_t>(x));
        fields.push_back({x, c.k, static_cast<uint32_t>(size_of(c.code)), i});
      }
    }
    if (cls == kLdx) x = mode == kMsh ? int64_t{c.k} : kXUnknown;
    if (cls == kMisc && (c.code & 0xf8) == kTax) x = kXUnknown;
    if (load && mode == kLen) p.wire = true;
    if ((load && mode == kMem) || cls == kSt || cls == kStx) p.mem = true;
    auto edge = [&](uint32_t t, bool all_lanes) {
      p.reach[t] = true;
      p.known[t] = std::min(p.known[t], known);
      p.xin[t] = p.xin[t] == kXUnset || p.xin[t] == x ? x : kXUnknown;
      ++edges[t];
      full_edge[t] = all_lanes && p.full[i];
      if (t != i + 1 && !is_ret(prog[t]) && p.slot[t] < 0) {
        p.slot[t] = p.slots++;
        first_park[t] = i;
      }
    };
    if (cls == kRet) continue;
    if (cls == kJmp) {
      if (p.jt[i] == p.jf[i]) {
        edge(p.jt[i], true);
      } else {
        edge(p.jt[i], false);
        edge(p.jf[i], false);
      }
    } else {
      edge(static_cast<uint32_t>(i + 1), true);
    }
  }
  // Windows: 16 bytes per lane, from the first field (by offset) no earlier window of its
  // base holds inside one of its 4 dwords.
  std::sort(fields.begin(), fields.end(), [](const Field& a, const Field& b) {
    return a.base != b.base ? a.base < b.base : a.k < b.k;
  });
  uint32_t end = 0;  // bytes of the packet the column loads read
  for (const Field& f : fields) {
    auto holds = [&](const Plan::Window& w) {
      return w.base == f.base && f.k >= w.start && f.k + f.size <= w.start + 16 &&
             (f.k - w.start) / 4 == (f.k + f.size - 1 - w.start) / 4;
    };
    auto w = std::find_if(p.windows.begin(), p.windows.end(), holds);
    if (w == p.windows.end()) {
      p.windows.push_back({f.base, f.k, 0});
      w = p.windows.end() - 1;
      end = std::max(end, f.k + 16 + (f.base >= 0 ? 60 : 0));
    }
    const uint32_t j = (f.k - w->start) / 4;
    w->used |= 1u << j;
    p.col[f.pc] = static_cast<int>(4 * (w - p.windows.begin()) + j);
  }
  for (const Plan::Window& w : p.windows)
    for (uint32_t j = 0; j < 4; ++j) p.cols.push_back({w.base, w.start + 4 * j});
  for (uint32_t b : p.bases) end = std::max(end, b + 1);
  p.window = std::max<uint32_t>(32, (end + 31) / 32 * 32);
  static_assert((kMaxEnd + 15 + 31) / 32 * 32 <= FilterVec::kMaxWindow);
  for (const Field& f : fields)
    if (f.base < 0) p.max_end = std::max(p.max_end, f.k + f.size);
  for (size_t i = 0; i < n; ++i)
    if (p.reach[i] && prog[i].code == (kLd | kInd | (prog[i].code & 0x18)) && p.col[i] < 0)
      p.general_indirect = true;
  plan_accept_and_liveness(p, prog);
  assign_slot_regs(p, first_park);
  // A window no group-wide instruction reads waits for its first reader with lanes on it.
  std::vector<bool> wide(p.windows.size(), false);
  for (size_t i = 0; i < n; ++i)
    if (p.reach[i] && p.col[i] >= 0 && p.full[i]) wide[static_cast<size_t>(p.col[i]) / 4] = true;
  size_t lazy = 0;
  for (size_t w = 0; w < p.windows.size() && lazy < kMaxLazy; ++w)
    if (!wide[w]) {
      p.windows[w].lazy = true;
      p.windows[w].flag = static_cast<int>(lazy++);
    }
  return p;
}

using Bytes32 = std::array<uint8_t, 32>;

// vpshufb control taking the big-endian field of `size` bytes that starts `at` bytes into each
// dword, zero-extended.
Bytes32 field_shuffle(uint32_t at, uint32_t size) {
  Bytes32 b;
  for (uint32_t q = 0; q < 32; ++q) {
    const uint32_t base = (q / 4) % 4 * 4, j = q % 4;
    b[q] = j < size ? static_cast<uint8_t>(base + at + size - 1 - j) : 0x80;
  }
  return b;
}

class VecEmitter {
 public:
  VecEmitter(std::span<const CbpfInsn> prog, const Plan& plan, x86::Assembler& a)
      : prog_(prog), p_(plan), a_(a), written_(plan.slots, false) {}

  // Scratch layout after the fixed part.
  int col_off(int c) const { return kCols + 32 * c; }
  int slot_off(int s) const { return col_off(static_cast<int>(p_.cols.size())) + 32 * s; }
  int mem_off() const { return slot_off(p_.slots); }
  int buf_off() const { return mem_off() + 32 * static_cast<int>(kMemWords); }
  size_t scratch_size() const { return static_cast<size_t>(buf_off()) + kLanes * p_.window; }

  void emit() {
    const x86::Gp saved[] = {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15};
    for (const x86::Gp& r : saved) a_.push(r);
    a_.mov(x86::r12, x86::rdi);
    a_.mov(x86::r13, x86::rsi);
    a_.mov(x86::r11, x86::rdx);
    a_.mov(x86::r14, x86::rcx);
    a_.mov(x86::r15, x86::r8);
    a_.mov(x86::rbx, x86::r9);
    a_.mov(x86::qword_ptr(x86::rbx, kMatched), 0);
    Label done = a_.newLabel(), loop = a_.newLabel(), fix = a_.newLabel(), back = a_.newLabel();
    a_.test(x86::r14, x86::r14);
    a_.jz(done);
    a_.align(asmjit::AlignMode::kCode, 16);
    a_.bind(loop);
    header(fix, back);
    columns();
    if (p_.max_end > 0) {
      // Groups whose 8 packets all hold every constant-offset load run a copy of the program
      // without those bounds checks.
      Label checked = a_.newLabel(), ran = a_.newLabel();
      a_.vpcmpgtd(x86::ymm6, x86::ymm4, cst((p_.max_end - 1) ^ kBias));
      a_.vmovmskps(x86::eax, x86::ymm6);
      a_.cmp(x86::eax, 0xff);
      a_.jne(checked);
      program(true);
      a_.jmp(ran);
      a_.bind(checked);
      program(false);
      a_.bind(ran);
    } else {
      program(false);
    }
    group_end();
    a_.dec(x86::r14);
    a_.jnz(loop);
    a_.bind(done);
    a_.mov(x86::rax, x86::ptr_64(x86::rbx, kMatched));
    a_.vzeroupper();
    for (int r = 5; r >= 0; --r) a_.pop(saved[r]);
    a_.ret();
    fixup(fix, back);
    a_.align(asmjit::AlignMode::kData, 32);
    for (auto& [bytes, label] : pool_) {
      a_.bind(label);
      a_.embed(bytes.data(), bytes.size());
    }
  }

 private:
  // The group's caplens into ymm5 (ymm4 biased), wire lengths into ymm10, r10 at its 8 data
  // pointers; lanes whose first W bytes may not be readable go to `fix`.
  void header(Label fix, Label back) {
    using namespace x86;  // NOLINT: register names
    a_.mov(r10, r12);
    a_.vmovdqu(ymm5, ptr_256(r13));
    a_.vpxor(ymm4, ymm5, cst(kBias));
    if (p_.wire) a_.vmovdqu(ymm10, ptr_256(r11));
    if (p_.windows.empty() && !p_.general_indirect) {  // no packet byte is read
      a_.bind(back);
      return;
    }
    // The caller vouches for W readable bytes at every data pointer (run_arrays' `padded`).
    a_.cmp(byte_ptr(rbx, kFlags), 0);
    a_.jne(back);
    // Unsafe: (data + W - 1 on another page than data, or caplen 0) and caplen < W.
    a_.vmovdqu(ymm11, ptr_256(r12));
    a_.vshufps(ymm11, ymm11, ptr_256(r12, 32), 0x88);  // low halves: p0 p1 p4 p5 | p2 p3 p6 p7
    a_.vpermq(ymm11, ymm11, 0xd8);
    a_.vpand(ymm11, ymm11, cst(4095));
    a_.vpcmpgtd(ymm11, ymm11, cst(4096 - p_.window));
    a_.vpxor(ymm12, ymm12, ymm12);
    a_.vpcmpeqd(ymm12, ymm12, ymm5);
    a_.vpor(ymm11, ymm11, ymm12);
    a_.vmovdqa(ymm12, cst(p_.window ^ kBias));
    a_.vpcmpgtd(ymm12, ymm12, ymm4);
    a_.vpand(ymm11, ymm11, ymm12);
    a_.vmovmskps(eax, ymm11);
    a_.test(eax, eax);
    a_.jnz(fix);
    a_.bind(back);
  }

  // Out of line: the group's pointers are copied to kPtr (r10 then points there) and each
  // unsafe lane (bits of eax) gets its caplen (< W) bytes copied into its zeroed lane buffer,
  // which becomes its data pointer.
  void fixup(Label fix, Label back) {
    using namespace x86;  // NOLINT: register names
    Label next = a_.newLabel(), copy = a_.newLabel(), copied = a_.newLabel();
    a_.bind(fix);
    for (int l = 0; l < static_cast<int>(kLanes); ++l) {
      a_.mov(rdx, ptr_64(r12, 8 * l));
      a_.mov(ptr_64(rbx, kPtr + 8 * l), rdx);
    }
    a_.lea(r10, ptr(rbx, kPtr));
    a_.vpxor(ymm6, ymm6, ymm6);
    a_.bind(next);
    a_.bsf(ecx, eax);
    a_.mov(rsi, ptr_64(r10, rcx, 3));
    a_.mov(edx, ptr_32(r13, rcx, 2));
    a_.imul(edi, ecx, static_cast<int32_t>(p_.window));
    a_.lea(rdi, ptr(rbx, rdi, 0, buf_off()));
    for (uint32_t o = 0; o < p_.window; o += 32)
      a_.vmovdqu(ptr_256(rdi, static_cast<int32_t>(o)), ymm6);
    a_.test(edx, edx);
    a_.jz(copied);
    a_.bind(copy);  // backwards, edx down to 1
    a_.movzx(r8d, ptr_8(rsi, rdx, 0, -1));
    a_.mov(ptr_8(rdi, rdx, 0, -1), r8b);
    a_.dec(edx);
    a_.jnz(copy);
    a_.bind(copied);
    a_.mov(ptr_64(r10, rcx, 3), rdi);
    a_.lea(edx, ptr(rax, -1));
    a_.and_(eax, edx);
    a_.jnz(next);
    a_.jmp(back);
  }

  // Every eager window's 16 bytes of the 8 lanes, transposed into its columns. With no LD IND
  // outside the columns (which reads the pointers through r10 later), the 8 pointers are loaded
  // once into registers, r10 last; else per window and pair from r10.
  void columns() {
    using namespace x86;  // NOLINT: register names
    const Gp held[kLanes] = {rcx, rdx, rsi, rdi, r8, r9, rbp, r10};
    bool any_lazy = false;
    for (const Plan::Window& w : p_.windows) any_lazy |= w.lazy;
    if (any_lazy) {
      a_.mov(qword_ptr(rbx, kLoaded), 0);
      a_.mov(ptr_64(rbx, kBase), r10);
    }
    if (!p_.general_indirect)
      for (int l = 0; l < static_cast<int>(kLanes); ++l) a_.mov(held[l], ptr_64(r10, 8 * l));
    for (size_t w = 0; w < p_.windows.size(); ++w)
      if (!p_.windows[w].lazy) load_window(w, p_.general_indirect ? &r10 : nullptr, held);
  }

  // Window w's rows (ymm6-9: lanes l | l + 4), from pointers held in registers or read through
  // `base`, transposed with ymm11-13 into its columns.
  void load_window(size_t w, const x86::Gp* base, const x86::Gp (&held)[kLanes]) {
    using namespace x86;  // NOLINT: register names
    const Ymm rows[4] = {ymm6, ymm7, ymm8, ymm9};
    const Plan::Window& win = p_.windows[w];
    const int32_t at = static_cast<int32_t>(win.start);
    for (int l = 0; l < 4; ++l) {
      Gp p0 = held[l], p1 = held[l + 4];
      if (base) {
        p0 = r8;
        p1 = rdi;
        a_.mov(r8, ptr_64(*base, 8 * l));
        a_.mov(rdi, ptr_64(*base, 8 * (l + 4)));
      }
      if (win.base >= 0) {  // rax: X of the lane, then of the other
        const int32_t b = static_cast<int32_t>(win.base);
        a_.movzx(eax, ptr_8(p0, b));
        a_.and_(eax, 0xf);
        a_.vmovdqu(rows[l].xmm(), ptr_128(p0, rax, 2, at));
        a_.movzx(eax, ptr_8(p1, b));
        a_.and_(eax, 0xf);
        a_.vinserti128(rows[l], rows[l], ptr_128(p1, rax, 2, at), 1);
      } else {
        a_.vmovdqu(rows[l].xmm(), ptr_128(p0, at));
        a_.vinserti128(rows[l], rows[l], ptr_128(p1, at), 1);
      }
    }
    const int c0 = static_cast<int>(4 * w);
    for (int half = 0; half < 2; ++half) {
      const unsigned used = win.used >> (2 * half) & 3;
      if (!used) continue;
      if (half == 0) {
        a_.vpunpckldq(ymm11, ymm6, ymm7);  // d0 d0 d1 d1 of lanes 0 1 | 4 5
        a_.vpunpckldq(ymm12, ymm8, ymm9);  // the same of lanes 2 3 | 6 7
      } else {
        a_.vpunpckhdq(ymm11, ymm6, ymm7);
        a_.vpunpckhdq(ymm12, ymm8, ymm9);
      }
      if (used & 1) {
        a_.vpunpcklqdq(ymm13, ymm11, ymm12);
        a_.vmovdqa(ptr_256(rbx, col_off(c0 + 2 * half)), ymm13);
      }
      if (used & 2) {
        a_.vpunpckhqdq(ymm13, ymm11, ymm12);
        a_.vmovdqa(ptr_256(rbx, col_off(c0 + 2 * half + 1)), ymm13);
      }
    }
  }

  // Before a load from column c: a lazy window is loaded the first time a group reaches a
  // reader of it with lanes on the path. ymm11-13 (parked masks) are kept in scratch meanwhile;
  // the pointers are read again through the base header() saved.
  void ensure_window(int c) {
    using namespace x86;  // NOLINT: register names
    const size_t w = static_cast<size_t>(c) / 4;
    if (!p_.windows[w].lazy) return;
    Label skip = a_.newLabel();
    a_.vptest(ymm2, ymm2);
    a_.jz(skip);
    const int flag = kLoaded + p_.windows[w].flag;
    a_.cmp(byte_ptr(rbx, flag), 0);
    a_.jne(skip);
    a_.vmovdqa(ptr_256(rbx, kTmp), ymm11);
    a_.vmovdqa(ptr_256(rbx, kAnc), ymm12);
    a_.vmovdqa(ptr_256(rbx, kSave), ymm13);
    a_.mov(rsi, ptr_64(rbx, kBase));
    const Gp none[kLanes] = {rsi, rsi, rsi, rsi, rsi, rsi, rsi, rsi};
    load_window(w, &rsi, none);
    a_.vmovdqa(ymm11, ptr_256(rbx, kTmp));
    a_.vmovdqa(ymm12, ptr_256(rbx, kAnc));
    a_.vmovdqa(ymm13, ptr_256(rbx, kSave));
    a_.mov(byte_ptr(rbx, flag), 1);
    a_.bind(skip);
  }

  void program(bool long_packets) {
    long_ = long_packets;
    a_.vpcmpeqd(x86::ymm2, x86::ymm2, x86::ymm2);
    a_.vpxor(x86::ymm3, x86::ymm3, x86::ymm3);
    a_.vpxor(x86::ymm0, x86::ymm0, x86::ymm0);
    a_.vpxor(x86::ymm1, x86::ymm1, x86::ymm1);
    live_ = true;
    a_in_ymm6_ = false;
    std::fill(written_.begin(), written_.end(), false);
    for (size_t i = 0; i < p_.n; ++i) insn(i);
    if (p_.accept) a_.vpand(x86::ymm3, x86::ymm3, cst(p_.accept));
  }

  void group_end() {
    a_.vmovdqu(x86::ptr_256(x86::r15), x86::ymm3);
    a_.vpxor(x86::ymm6, x86::ymm6, x86::ymm6);
    a_.vpcmpeqd(x86::ymm6, x86::ymm6, x86::ymm3);
    a_.vmovmskps(x86::eax, x86::ymm6);
    a_.xor_(x86::eax, 0xff);
    a_.popcnt(x86::eax, x86::eax);
    a_.add(x86::ptr_64(x86::rbx, kMatched), x86::rax);
    a_.add(x86::r15, 32);
    a_.add(x86::r12, 64);
    a_.add(x86::r13, 32);
    if (p_.wire) a_.add(x86::r11, 32);
  }

  x86::Mem cst(uint32_t v) {
    Bytes32 b;
    for (size_t q = 0; q < 32; q += 4) std::memcpy(&b[q], &v, 4);
    return cst_bytes(b);
  }
  x86::Mem cst_bytes(const Bytes32& b) {
    auto it = pool_.find(b);
    if (it == pool_.end()) it = pool_.emplace(b, a_.newLabel()).first;
    return x86::ptr_256(it->second);
  }

  // A or X (dst) takes v in the current lanes.
  template <typename Src>  // x86::Ymm or x86::Mem
  void write(const x86::Ymm& dst, const Src& v) {
    if (full_)
      a_.vmovdqa(dst, v);
    else
      a_.vpblendvb(dst, dst, v, x86::ymm2);
  }

  // Lanes whose caplen is below `end` leave the path (cBPF: return 0).
  void need_caplen(size_t i, uint64_t end) {
    if (end <= p_.known[i] || long_) return;
    if (end > UINT32_MAX) {
      a_.vpxor(x86::ymm2, x86::ymm2, x86::ymm2);
      return;
    }
    a_.vpcmpgtd(x86::ymm6, x86::ymm4, cst(static_cast<uint32_t>(end - 1) ^ kBias));
    a_.vpand(x86::ymm2, x86::ymm2, x86::ymm6);
  }

  // The field of load i (size bytes at k, from its column's base) into ymm6.
  void field(size_t i, uint32_t k, uint32_t size) {
    const int c = p_.col[i];
    ensure_window(c);
    a_.vmovdqa(x86::ymm6, x86::ptr_256(x86::rbx, col_off(c)));
    a_.vpshufb(x86::ymm6, x86::ymm6, cst_bytes(field_shuffle(k - p_.cols[c].anchor, size)));
  }

  // LD IND whose X is an msh value (<= 60) on every path: a column load after the check
  // caplen >= X + k + size.
  void indirect_column(size_t i, uint32_t k, uint32_t size) {
    a_.vpaddd(x86::ymm6, x86::ymm1, cst(k + size - 1));
    a_.vpxor(x86::ymm6, x86::ymm6, cst(kBias));
    a_.vpcmpgtd(x86::ymm6, x86::ymm4, x86::ymm6);
    a_.vpand(x86::ymm2, x86::ymm2, x86::ymm6);
    field(i, k, size);
  }

  // LD IND: the `size` bytes at X + k of every lane into ymm6; lanes out of bounds leave.
  void indirect(uint32_t k, uint32_t size) {
    const uint64_t end = uint64_t{k} + size;
    if (end > UINT32_MAX) {
      a_.vpxor(x86::ymm2, x86::ymm2, x86::ymm2);
      return;
    }
    const uint32_t e = static_cast<uint32_t>(end);
    // valid = caplen >= e && X <= caplen - e (unsigned), as libpcap checks.
    a_.vpsubd(x86::ymm6, x86::ymm5, cst(e));
    a_.vpxor(x86::ymm6, x86::ymm6, cst(kBias));
    a_.vpxor(x86::ymm7, x86::ymm1, cst(kBias));
    a_.vpcmpgtd(x86::ymm7, x86::ymm7, x86::ymm6);  // X > caplen - e
    a_.vpcmpgtd(x86::ymm6, x86::ymm4, cst((e - 1) ^ kBias));
    a_.vpandn(x86::ymm6, x86::ymm7, x86::ymm6);
    a_.vpand(x86::ymm2, x86::ymm2, x86::ymm6);
    // The dword ending at the field's last byte, or (X + e < 4) the first dword, shifted.
    a_.vpaddd(x86::ymm7, x86::ymm1, cst(e - 4));
    if (e < 4) {
      a_.vpxor(x86::ymm8, x86::ymm8, x86::ymm8);
      a_.vpminsd(x86::ymm9, x86::ymm7, x86::ymm8);
      a_.vpsubd(x86::ymm9, x86::ymm8, x86::ymm9);
      a_.vpslld(x86::ymm9, x86::ymm9, 3);  // 8 * (4 - (X + e)) when positive
      a_.vpmaxsd(x86::ymm7, x86::ymm7, x86::ymm8);
    }
    a_.vpand(x86::ymm7, x86::ymm7, x86::ymm2);  // lanes off the path read the first dword
    a_.vmovdqa(x86::ptr_256(x86::rbx, kAnc), x86::ymm7);
    for (int l = 0; l < static_cast<int>(kLanes); ++l) {
      a_.mov(x86::ecx, x86::ptr_32(x86::rbx, kAnc + 4 * l));
      a_.mov(x86::rdx, x86::ptr_64(x86::r10, 8 * l));
      a_.mov(x86::eax, x86::ptr_32(x86::rdx, x86::rcx));
      a_.mov(x86::ptr_32(x86::rbx, kTmp + 4 * l), x86::eax);
    }
    a_.vmovdqa(x86::ymm6, x86::ptr_256(x86::rbx, kTmp));
    if (e >= 4) {
      a_.vpshufb(x86::ymm6, x86::ymm6, cst_bytes(field_shuffle(4 - size, size)));
    } else {
      a_.vpshufb(x86::ymm6, x86::ymm6, cst_bytes(field_shuffle(0, 4)));
      a_.vpsrlvd(x86::ymm6, x86::ymm6, x86::ymm9);
      if (size < 4) a_.vpand(x86::ymm6, x86::ymm6, cst(size == 1 ? 0xffu : 0xffffu));
    }
  }

  void load(size_t i, const CbpfInsn& c) {
    const bool to_x = (c.code & 7) == kLdx;
    const x86::Ymm dst = to_x ? x86::ymm1 : x86::ymm0;
    switch (c.code & 0xe0) {
      case kImm:
        write(dst, cst(c.k));
        return;
      case kLen:
        write(dst, x86::ymm10);
        return;
      case kMem:
        write(dst, x86::ptr_256(x86::rbx, mem_off() + 32 * static_cast<int>(c.k % kMemWords)));
        return;
      case kAbs: {
        const uint32_t sz = size_of(c.code);
        need_caplen(i, uint64_t{c.k} + sz);
        field(i, c.k, sz);
        break;
      }
      case kInd:
        if (p_.col[i] >= 0)
          indirect_column(i, c.k, size_of(c.code));
        else
          indirect(c.k, size_of(c.code));
        break;
      default:  // kMsh
        need_caplen(i, uint64_t{c.k} + 1);
        field(i, c.k, 1);
        a_.vpand(x86::ymm6, x86::ymm6, cst(0xf));
        a_.vpslld(x86::ymm6, x86::ymm6, 2);
    }
    if (!to_x && feeds_jump_only(i))
      a_in_ymm6_ = true;
    else
      write(dst, x86::ymm6);
  }

  void store(const CbpfInsn& c) {
    const x86::Mem m = x86::ptr_256(x86::rbx, mem_off() + 32 * static_cast<int>(c.k % kMemWords));
    const x86::Ymm src = (c.code & 7) == kStx ? x86::ymm1 : x86::ymm0;
    if (full_) {
      a_.vmovdqa(m, src);
      return;
    }
    a_.vmovdqa(x86::ymm6, m);
    a_.vpblendvb(x86::ymm6, x86::ymm6, src, x86::ymm2);
    a_.vmovdqa(m, x86::ymm6);
  }

  // Division lane by lane; X == 0 lanes leave the path first (cBPF: return 0).
  void divide(const CbpfInsn& c, bool mod) {
    const bool by_x = c.code & kX;
    if (by_x) {
      a_.vpxor(x86::ymm7, x86::ymm7, x86::ymm7);
      a_.vpcmpeqd(x86::ymm7, x86::ymm7, x86::ymm1);
      a_.vpandn(x86::ymm2, x86::ymm7, x86::ymm2);
      a_.vpsubd(x86::ymm7, x86::ymm1, x86::ymm7);  // 0 -> 1: never divide by zero
      a_.vmovdqa(x86::ptr_256(x86::rbx, kAnc), x86::ymm7);
    } else if (std::has_single_bit(c.k)) {
      if (mod)
        a_.vpand(x86::ymm6, x86::ymm0, cst(c.k - 1));
      else
        a_.vpsrld(x86::ymm6, x86::ymm0, std::countr_zero(c.k));
      return;
    }
    a_.vmovdqa(x86::ptr_256(x86::rbx, kTmp), x86::ymm0);
    for (int l = 0; l < static_cast<int>(kLanes); ++l) {
      a_.mov(x86::eax, x86::ptr_32(x86::rbx, kTmp + 4 * l));
      a_.xor_(x86::edx, x86::edx);
      if (by_x)
        a_.mov(x86::ecx, x86::ptr_32(x86::rbx, kAnc + 4 * l));
      else
        a_.mov(x86::ecx, c.k);
      a_.div(x86::edx, x86::eax, x86::ecx);
      a_.mov(x86::ptr_32(x86::rbx, kTmp + 4 * l), mod ? x86::edx : x86::eax);
    }
    a_.vmovdqa(x86::ymm6, x86::ptr_256(x86::rbx, kTmp));
  }

  void alu(const CbpfInsn& c) {
    const uint16_t op = c.code & 0xf0;
    const bool by_x = c.code & kX;
    const x86::Ymm a = x86::ymm0, r = x86::ymm6;
    // The operations with one vector instruction: A op= K or X.
    x86::Inst::Id id = x86::Inst::kIdNone;
    switch (op) {
      case kAdd:
        id = x86::Inst::kIdVpaddd;
        break;
      case kSub:
        id = x86::Inst::kIdVpsubd;
        break;
      case kMul:
        id = x86::Inst::kIdVpmulld;
        break;
      case kOr:
        id = x86::Inst::kIdVpor;
        break;
      case kAnd:
        id = x86::Inst::kIdVpand;
        break;
      case kXor:
        id = x86::Inst::kIdVpxor;
        break;
    }
    if (id != x86::Inst::kIdNone) {
      if (by_x)
        a_.emit(id, r, a, x86::ymm1);
      else
        a_.emit(id, r, a, cst(c.k));
      write(x86::ymm0, r);
      return;
    }
    switch (op) {
      case kLsh:
      case kRsh:
        // Counts of 32 or more give 0, as libpcap's bpf_filter computes them.
        if (by_x)
          (op == kLsh ? a_.vpsllvd(r, a, x86::ymm1) : a_.vpsrlvd(r, a, x86::ymm1));
        else if (c.k >= 32)
          a_.vpxor(r, r, r);
        else
          (op == kLsh ? a_.vpslld(r, a, c.k) : a_.vpsrld(r, a, c.k));
        break;
      case kNeg:
        a_.vpxor(r, r, r);
        a_.vpsubd(r, r, a);
        break;
      default:  // kDiv, kMod
        divide(c, op == kMod);
    }
    write(x86::ymm0, r);
  }

  // Where parked mask s lives: one of ymm11-15 or scratch.
  asmjit::Operand slot_of(int s) const {
    if (p_.slot_reg[s] >= 0) return x86::Ymm(11 + p_.slot_reg[s]);
    return x86::ptr_256(x86::rbx, slot_off(s));
  }

  // Lanes in `m` continue at instruction t (the caller knows t != i + 1 or handles it).
  void park(const x86::Ymm& m, uint32_t t) {
    const CbpfInsn& c = prog_[t];
    if (is_ret(c)) {
      if ((c.code & 0x18) == kK && c.k == 0) return;
      if (p_.accept) {
        a_.vpor(x86::ymm3, x86::ymm3, m);
        return;
      }
      if ((c.code & 0x18) == kK)
        a_.vpand(x86::ymm9, m, cst(c.k));
      else
        a_.vpand(x86::ymm9, m, x86::ymm0);
      a_.vpor(x86::ymm3, x86::ymm3, x86::ymm9);
      return;
    }
    const int s = p_.slot[t];
    const asmjit::Operand slot = slot_of(s);
    if (written_[s]) {
      a_.emit(x86::Inst::kIdVpor, x86::ymm9, m, slot);
      a_.emit(x86::Inst::kIdVmovdqa, slot, x86::ymm9);
    } else {
      a_.emit(x86::Inst::kIdVmovdqa, slot, m);
      written_[s] = true;
    }
  }

  // Routes the lanes of `m` to t; those for the next instruction stay in ymm2.
  void route(size_t i, const x86::Ymm& m, uint32_t t) {
    if (t == i + 1 && !is_ret(prog_[t])) {
      if (m != x86::ymm2) a_.vmovdqa(x86::ymm2, m);
      live_ = true;
    } else {
      park(m, t);
    }
  }

  bool drops(uint32_t t) const {  // lanes routed to t return 0: nothing to do for them
    return is_ret(prog_[t]) && (prog_[t].code & 0x18) == kK && prog_[t].k == 0;
  }

  void jump(size_t i, const CbpfInsn& c) {
    const uint32_t t = p_.jt[i], f = p_.jf[i];
    const x86::Ymm a = a_in_ymm6_ ? x86::ymm6 : x86::ymm0;
    a_in_ymm6_ = false;
    live_ = false;
    const uint16_t op = c.code & 0xf0;
    const bool by_x = c.code & kX;
    if (t == f || (op == kJge && !by_x && c.k == 0)) {  // A >= 0 always holds
      route(i, x86::ymm2, t);
      return;
    }
    if (drops(t) && drops(f)) return;
    const x86::Ymm m = x86::ymm6;
    bool inverted = false;  // m holds the lanes where the condition is false
    switch (op) {
      case kJeq:
        if (by_x)
          a_.vpcmpeqd(m, a, x86::ymm1);
        else
          a_.vpcmpeqd(m, a, cst(c.k));
        break;
      case kJgt:  // A > s unsigned
      case kJge:  // A >= s: not s > A; A >= K: A > K - 1
        a_.vpxor(x86::ymm7, a, cst(kBias));
        if (!by_x) {
          a_.vpcmpgtd(m, x86::ymm7, cst((op == kJge ? c.k - 1 : c.k) ^ kBias));
        } else {
          a_.vpxor(x86::ymm8, x86::ymm1, cst(kBias));
          if (op == kJgt) {
            a_.vpcmpgtd(m, x86::ymm7, x86::ymm8);
          } else {
            a_.vpcmpgtd(m, x86::ymm8, x86::ymm7);
            inverted = true;
          }
        }
        break;
      default:  // kJset: m = (A & s) == 0
        if (by_x)
          a_.vpand(m, a, x86::ymm1);
        else
          a_.vpand(m, a, cst(c.k));
        a_.vpxor(x86::ymm7, x86::ymm7, x86::ymm7);
        a_.vpcmpeqd(m, m, x86::ymm7);
        inverted = true;
    }
    const x86::Ymm yes = x86::ymm7, no = x86::ymm8;
    if (!drops(t)) {
      if (inverted)
        a_.vpandn(yes, m, x86::ymm2);
      else
        a_.vpand(yes, m, x86::ymm2);
    }
    if (!drops(f)) {
      if (inverted)
        a_.vpand(no, m, x86::ymm2);
      else
        a_.vpandn(no, m, x86::ymm2);
    }
    // The fall-through share last, so ymm2 is overwritten after both are read.
    if (t == i + 1) {
      if (!drops(f)) route(i, no, f);
      if (!drops(t)) route(i, yes, t);
    } else {
      if (!drops(t)) route(i, yes, t);
      if (!drops(f)) route(i, no, f);
    }
  }

  // A load into A whose only reader is the next instruction, a jump against K that nothing
  // else reaches, after which A is dead: the jump reads the field from ymm6.
  bool feeds_jump_only(size_t i) const {
    if (i + 1 >= p_.n || p_.slot[i + 1] >= 0) return false;
    const CbpfInsn& j = prog_[i + 1];
    if ((j.code & 7) != kJmp || (j.code & 0xf0) == kJa || (j.code & kX)) return false;
    return !p_.a_live[p_.jt[i + 1]] && !p_.a_live[p_.jf[i + 1]];
  }

  void insn(size_t i) {
    const CbpfInsn& c = prog_[i];
    if (!p_.reach[i]) {
      live_ = false;
      return;
    }
    const int s = p_.slot[i];
    if (s >= 0 && written_[s]) {
      const asmjit::Operand slot = slot_of(s);
      if (live_)
        a_.emit(x86::Inst::kIdVpor, x86::ymm2, x86::ymm2, slot);
      else
        a_.emit(x86::Inst::kIdVmovdqa, x86::ymm2, slot);
      live_ = true;
    }
    if (!live_) return;
    full_ = p_.full[i];
    switch (c.code & 7) {
      case kLd:
      case kLdx:
        load(i, c);
        break;
      case kSt:
      case kStx:
        store(c);
        break;
      case kAlu:
        alu(c);
        break;
      case kJmp:
        jump(i, c);
        break;
      case kRet:
        park(x86::ymm2, static_cast<uint32_t>(i));
        live_ = false;
        break;
      default:  // kMisc
        if ((c.code & 0xf8) == kTax)
          write(x86::ymm1, x86::ymm0);
        else
          write(x86::ymm0, x86::ymm1);
    }
  }

  std::span<const CbpfInsn> prog_;
  const Plan& p_;
  x86::Assembler& a_;
  std::vector<bool> written_;  // parked-mask slots stored to so far in this group
  std::map<Bytes32, Label> pool_;
  bool live_ = false;       // ymm2 holds lanes for the instruction being emitted
  bool long_ = false;       // this copy runs only groups that hold every constant-offset load
  bool a_in_ymm6_ = false;  // the next jump reads A from ymm6 (the load did not write ymm0)
  bool full_ = false;
};

}  // namespace

bool FilterVec::cpu_supported() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}

Result<std::unique_ptr<FilterVec>> FilterVec::compile(std::span<const CbpfInsn> prog,
                                                      const FilterVecOptions& opts) {
  if (!cpu_supported()) return make_error(Errc::kUnsupported, "vector filter JIT: no AVX2");
  BOMBUS_ASSIGN_OR_RETURN(Plan plan, plan_vec(prog));
  if (!opts.lazy_windows)
    for (Plan::Window& w : plan.windows) w.lazy = false;
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  AsmErrors errors;
  code.setErrorHandler(&errors);
  x86::Assembler a(&code);
  VecEmitter e(prog, plan, a);
  e.emit();
  BOMBUS_ASSIGN_OR_RETURN(PlacedCode placed, place_code(code, errors, "vector filter JIT"));
  std::unique_ptr<FilterVec> f(new FilterVec());
  f->scratch_ = (e.scratch_size() + 31) / 32 * 32;
  f->mem_off_ = static_cast<size_t>(e.mem_off());
  f->window_ = plan.window;
  f->uses_mem_ = plan.mem;
  for (const Plan::Window& w : plan.windows) f->lazy_ |= w.lazy;
  f->fn_ = reinterpret_cast<Fn>(const_cast<void*>(placed.entry()));
  f->code_ = std::move(placed);
  return f;
}

uint64_t FilterVec::run_arrays(const uint8_t* const* data, const uint32_t* caplen,
                               const uint32_t* wire_len, size_t n, uint32_t* out,
                               bool padded) const {
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < scratch_ + 32) buf.resize(scratch_ + 32);
  uint8_t* scratch =
      reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(buf.data()) + 31) & ~uintptr_t{31});
  if (uses_mem_) std::memset(scratch + mem_off_, 0, 32 * kMemWords);
  scratch[kFlags] = padded ? 1 : 0;
  const size_t groups = n / kLanes, done = groups * kLanes;
  uint64_t matched = fn_(data, caplen, wire_len, groups, out, scratch);
  const size_t rest = n - done;
  if (rest == 0) return matched;
  // The last packets with idle lanes (no captured bytes) after them; results kept for the
  // real ones only.
  std::array<const uint8_t*, kLanes> d{};
  std::array<uint32_t, kLanes> c{}, w{};
  std::copy_n(data + done, rest, d.begin());
  std::copy_n(caplen + done, rest, c.begin());
  std::copy_n(wire_len + done, rest, w.begin());
  std::array<uint32_t, kLanes> res{};
  scratch[kFlags] = 0;  // idle lanes point nowhere
  fn_(d.data(), c.data(), w.data(), 1, res.data(), scratch);
  for (size_t l = 0; l < rest; ++l) {
    out[done + l] = res[l];
    matched += res[l] != 0;
  }
  return matched;
}

uint64_t FilterVec::run_batch(const void* first, size_t stride, size_t n, uint32_t* out) const {
  constexpr size_t kChunk = 512;
  thread_local std::vector<const uint8_t*> d(kChunk);
  thread_local std::vector<uint32_t> c(kChunk), w(kChunk);
  uint64_t matched = 0;
  for (size_t at = 0; at < n; at += kChunk) {
    const size_t m = std::min(kChunk, n - at);
    for (size_t i = 0; i < m; ++i) {
      CbpfSkbCtx x;
      std::memcpy(&x, static_cast<const uint8_t*>(first) + (at + i) * stride, sizeof x);
      d[i] = x.data;
      c[i] = x.caplen;
      w[i] = x.wire_len;
    }
    matched += run_arrays(d.data(), c.data(), w.data(), m, out + at);
  }
  return matched;
}

}  // namespace bombus::net
