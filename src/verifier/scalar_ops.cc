// Scalar transfer functions: ALU operations and conditional-branch refinement over the bounds of
// scalar.h. Each 32/64-bit bound computation is a template over the (unsigned, signed) pair.
#include <algorithm>
#include <bit>

#include "verifier/scalar.h"

namespace bombus::verifier {
namespace {

template <typename U, typename S>
struct B {
  S smin, smax;
  U umin, umax;
};
template <typename U, typename S>
B<U, S> top() {
  return {std::numeric_limits<S>::min(), std::numeric_limits<S>::max(), 0,
          std::numeric_limits<U>::max()};
}

B<uint64_t, int64_t> get64(const Scalar& s) {
  return {s.smin, s.smax, s.umin, s.umax};
}
B<uint32_t, int32_t> get32(const Scalar& s) {
  return {s.s32_min, s.s32_max, s.u32_min, s.u32_max};
}

template <typename U, typename S>
B<U, S> add(B<U, S> a, B<U, S> b) {
  B<U, S> r = top<U, S>();
  S lo, hi;
  if (!__builtin_add_overflow(a.smin, b.smin, &lo) && !__builtin_add_overflow(a.smax, b.smax, &hi))
    r.smin = lo, r.smax = hi;
  U ulo = a.umin + b.umin, uhi = a.umax + b.umax;
  bool olo = ulo < a.umin, ohi = uhi < a.umax;
  U width;
  if (olo == ohi && !__builtin_add_overflow(static_cast<U>(a.umax - a.umin),
                                            static_cast<U>(b.umax - b.umin), &width))
    r.umin = ulo, r.umax = uhi;
  return r;
}

template <typename U, typename S>
B<U, S> sub(B<U, S> a, B<U, S> b) {
  B<U, S> r = top<U, S>();
  S lo, hi;
  if (!__builtin_sub_overflow(a.smin, b.smax, &lo) && !__builtin_sub_overflow(a.smax, b.smin, &hi))
    r.smin = lo, r.smax = hi;
  if (a.umin >= b.umax) r.umin = a.umin - b.umax, r.umax = a.umax - b.umin;
  return r;
}

template <typename U, typename S>
B<U, S> mul(B<U, S> a, B<U, S> b) {
  B<U, S> r = top<U, S>();
  U hi;
  if (!__builtin_mul_overflow(a.umax, b.umax, &hi)) {
    r.umin = a.umin * b.umin, r.umax = hi;
  }
  S p[4];
  bool ov = __builtin_mul_overflow(a.smin, b.smin, &p[0]) |
            __builtin_mul_overflow(a.smin, b.smax, &p[1]) |
            __builtin_mul_overflow(a.smax, b.smin, &p[2]) |
            __builtin_mul_overflow(a.smax, b.smax, &p[3]);
  if (!ov) r.smin = *std::min_element(p, p + 4), r.smax = *std::max_element(p, p + 4);
  return r;
}

template <typename U, typename S>
B<U, S> bitwise(B<U, S> a, B<U, S> b, AluOp op, Tnum t) {
  B<U, S> r = top<U, S>();
  U tv = static_cast<U>(t.value), tm = static_cast<U>(t.mask);
  r.umin = tv, r.umax = static_cast<U>(tv | tm);
  if (op == AluOp::kAnd) r.umax = std::min({r.umax, a.umax, b.umax});
  if (op == AluOp::kOr) r.umin = std::max({r.umin, a.umin, b.umin});
  bool nonneg = a.smin >= 0 && b.smin >= 0;
  if (op == AluOp::kAnd) nonneg = a.smin >= 0 || b.smin >= 0;
  if (nonneg && static_cast<S>(r.umax) >= 0)
    r.smin = static_cast<S>(r.umin), r.smax = static_cast<S>(r.umax);
  return r;
}

// Union over every shift amount in [lo, hi] (at most 64 iterations).
Tnum shift_tnum(Tnum t, uint64_t lo, uint64_t hi, AluOp op, int bits) {
  Tnum acc{};
  bool first = true;
  for (uint64_t k = lo; k <= hi; ++k) {
    Tnum r = op == AluOp::kLsh ? t.lshift(k) : op == AluOp::kRsh ? t.rshift(k) : t.arshift(k, bits);
    acc = first ? r : acc.union_with(r);
    first = false;
  }
  return bits == 32 ? acc.subreg() : acc;
}

uint64_t fold(uint64_t a, uint64_t b, AluOp op, bool is32) {
  if (is32) a = static_cast<uint32_t>(a), b = static_cast<uint32_t>(b);
  int bits = is32 ? 32 : 64;
  switch (op) {
    case AluOp::kDiv:
      return b ? a / b : 0;
    case AluOp::kMod:
      return b ? a % b : a;
    case AluOp::kSdiv:
      if (!b) return 0;
      if (is32) {
        auto x = static_cast<int32_t>(a), y = static_cast<int32_t>(b);
        return (y == -1) ? static_cast<uint32_t>(-static_cast<uint32_t>(x))
                         : static_cast<uint32_t>(x / y);
      } else {
        auto x = static_cast<int64_t>(a), y = static_cast<int64_t>(b);
        return y == -1 ? -static_cast<uint64_t>(x) : static_cast<uint64_t>(x / y);
      }
    case AluOp::kSmod:
      if (!b) return a;
      if (is32) {
        auto x = static_cast<int32_t>(a), y = static_cast<int32_t>(b);
        return y == -1 ? 0 : static_cast<uint32_t>(x % y);
      } else {
        auto x = static_cast<int64_t>(a), y = static_cast<int64_t>(b);
        return y == -1 ? 0 : static_cast<uint64_t>(x % y);
      }
    default:
      (void)bits;
      return 0;
  }
}

}  // namespace

void scalar_alu(Scalar& d, const Scalar& s, AluOp op, bool is32) {
  const int bits = is32 ? 32 : 64;
  Scalar r;
  Tnum dv = is32 ? d.var.subreg() : d.var, sv = is32 ? s.var.subreg() : s.var;
  auto a64 = get64(d), c64 = get64(s);
  auto a32 = get32(d), c32 = get32(s);
  auto put = [&](auto b64v, auto b32v) {
    r.smin = b64v.smin, r.smax = b64v.smax, r.umin = b64v.umin, r.umax = b64v.umax;
    r.s32_min = b32v.smin, r.s32_max = b32v.smax, r.u32_min = b32v.umin, r.u32_max = b32v.umax;
  };
  auto t64 = top<uint64_t, int64_t>();
  auto t32 = top<uint32_t, int32_t>();
  switch (op) {
    case AluOp::kAdd:
      r.var = dv + sv;
      put(is32 ? t64 : add(a64, c64), add(a32, c32));
      break;
    case AluOp::kSub:
      r.var = dv - sv;
      put(is32 ? t64 : sub(a64, c64), sub(a32, c32));
      break;
    case AluOp::kMul:
      r.var = dv * sv;
      put(is32 ? t64 : mul(a64, c64), mul(a32, c32));
      break;
    case AluOp::kAnd:
    case AluOp::kOr:
    case AluOp::kXor: {
      r.var = op == AluOp::kAnd ? (dv & sv) : op == AluOp::kOr ? (dv | sv) : (dv ^ sv);
      put(is32 ? t64 : bitwise(a64, c64, op, r.var), bitwise(a32, c32, op, r.var.subreg()));
      break;
    }
    case AluOp::kLsh:
    case AluOp::kRsh:
    case AluOp::kArsh: {
      // The engines mask the shift amount; the verifier only tracks in-range amounts.
      uint64_t lo = is32 ? s.u32_min : s.umin, hi = is32 ? s.u32_max : s.umax;
      if (hi >= static_cast<uint64_t>(bits)) {
        r.var = Tnum::unknown();
        put(t64, t32);
        break;
      }
      r.var = shift_tnum(dv, lo, hi, op, bits);
      put(t64, t32);
      if (!is32 && op == AluOp::kRsh) r.umin = d.umin >> hi, r.umax = d.umax >> lo;
      if (is32 && op == AluOp::kRsh) r.u32_min = d.u32_min >> hi, r.u32_max = d.u32_max >> lo;
      // An arithmetic shift by a constant is monotone in the signed order (the kernel's
      // scalar_min_max_arsh).
      if (!is32 && op == AluOp::kArsh && lo == hi) r.smin = d.smin >> lo, r.smax = d.smax >> lo;
      if (is32 && op == AluOp::kArsh && lo == hi)
        r.s32_min = d.s32_min >> lo, r.s32_max = d.s32_max >> lo;
      // `<< 32` (the first half of a sign extension, `<<32 s>>32`): the low half's signed
      // bounds become the high half's, exactly (the kernel's __scalar64_min_max_lsh).
      if (!is32 && op == AluOp::kLsh && lo == 32 && hi == 32) {
        r.smin = static_cast<int64_t>(static_cast<uint64_t>(static_cast<int64_t>(d.s32_min)) << 32);
        r.smax = static_cast<int64_t>(static_cast<uint64_t>(static_cast<int64_t>(d.s32_max)) << 32);
      }
      if (!is32 && op == AluOp::kLsh && (hi == 0 || (d.umax >> (64 - hi)) == 0))
        r.umin = d.umin << lo, r.umax = d.umax << hi;
      if (is32 && op == AluOp::kLsh && (hi == 0 || (d.u32_max >> (32 - hi)) == 0))
        r.u32_min = d.u32_min << lo, r.u32_max = d.u32_max << hi;
      break;
    }
    case AluOp::kDiv:
    case AluOp::kMod:
    case AluOp::kSdiv:
    case AluOp::kSmod: {
      put(t64, t32);
      if (d.var.is_const() && s.var.is_const()) {
        r.var = Tnum::constant(fold(d.var.value, s.var.value, op, is32));
      } else if ((is32 ? s.is_const32() : s.is_const()) && op == AluOp::kDiv &&
                 (is32 ? sv.value : s.var.value) != 0) {
        uint64_t c = sv.value;
        r.var = Tnum::unknown();
        if (is32)
          r.u32_min = d.u32_min / c, r.u32_max = d.u32_max / c;
        else
          r.umin = d.umin / c, r.umax = d.umax / c;
      } else if ((is32 ? s.is_const32() : s.is_const()) && op == AluOp::kMod && sv.value != 0) {
        uint64_t c = sv.value;
        r.var = Tnum::unknown();
        if (is32)
          r.u32_max = static_cast<uint32_t>(std::min<uint64_t>(d.u32_max, c - 1));
        else
          r.umax = std::min(d.umax, c - 1);
      } else {
        r.var = Tnum::unknown();
      }
      break;
    }
  }
  if (is32) {
    r.var = r.var.subreg();
    r.smin = t64.smin, r.smax = t64.smax, r.umin = 0, r.umax = t64.umax;
    r.sync();
    r.zext32();
  } else {
    r.sync();
  }
  d = r;
}

Cmp negate(Cmp c) {
  switch (c) {
    case Cmp::kEq:
      return Cmp::kNe;
    case Cmp::kNe:
      return Cmp::kEq;
    case Cmp::kGt:
      return Cmp::kLe;
    case Cmp::kGe:
      return Cmp::kLt;
    case Cmp::kLt:
      return Cmp::kGe;
    case Cmp::kLe:
      return Cmp::kGt;
    case Cmp::kSgt:
      return Cmp::kSle;
    case Cmp::kSge:
      return Cmp::kSlt;
    case Cmp::kSlt:
      return Cmp::kSge;
    case Cmp::kSle:
      return Cmp::kSgt;
    case Cmp::kSet:
      return Cmp::kNset;
    case Cmp::kNset:
      return Cmp::kSet;
  }
  return c;
}

Cmp flip(Cmp c) {
  switch (c) {
    case Cmp::kGt:
      return Cmp::kLt;
    case Cmp::kGe:
      return Cmp::kLe;
    case Cmp::kLt:
      return Cmp::kGt;
    case Cmp::kLe:
      return Cmp::kGe;
    case Cmp::kSgt:
      return Cmp::kSlt;
    case Cmp::kSge:
      return Cmp::kSle;
    case Cmp::kSlt:
      return Cmp::kSgt;
    case Cmp::kSle:
      return Cmp::kSge;
    default:
      return c;
  }
}

namespace {

template <typename U, typename S>
int taken(B<U, S> a, B<U, S> b, Tnum ta, Tnum tb, Cmp op) {
  switch (op) {
    case Cmp::kEq:
    case Cmp::kNe: {
      int eq = -1;
      if (ta.is_const() && tb.is_const())
        eq = ta.value == tb.value;
      else if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin ||
               ((ta.value ^ tb.value) & ~(ta.mask | tb.mask)) != 0)
        eq = 0;
      return eq < 0 ? -1 : (op == Cmp::kEq ? eq : !eq);
    }
    case Cmp::kGt:
      return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1;
    case Cmp::kGe:
      return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1;
    case Cmp::kLt:
      return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1;
    case Cmp::kLe:
      return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1;
    case Cmp::kSgt:
      return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1;
    case Cmp::kSge:
      return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1;
    case Cmp::kSlt:
      return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1;
    case Cmp::kSle:
      return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1;
    case Cmp::kSet:
    case Cmp::kNset: {
      int set = -1;
      if (ta.value & tb.value)
        set = 1;
      else if (((ta.value | ta.mask) & (tb.value | tb.mask)) == 0)
        set = 0;
      return set < 0 ? -1 : (op == Cmp::kSet ? set : !set);
    }
  }
  return -1;
}

template <typename U, typename S>
void narrow(B<U, S>& a, B<U, S>& b, Cmp op) {
  constexpr U umaxv = std::numeric_limits<U>::max();
  constexpr S smaxv = std::numeric_limits<S>::max(), sminv = std::numeric_limits<S>::min();
  switch (op) {
    case Cmp::kEq:
      a.umin = b.umin = std::max(a.umin, b.umin);
      a.umax = b.umax = std::min(a.umax, b.umax);
      a.smin = b.smin = std::max(a.smin, b.smin);
      a.smax = b.smax = std::min(a.smax, b.smax);
      break;
    case Cmp::kNe:
      // Only a constant on one side can shave an endpoint off the other.
      for (int side = 0; side < 2; ++side) {
        B<U, S>& x = side ? b : a;
        B<U, S>& k = side ? a : b;
        if (k.umin != k.umax) continue;
        U c = k.umin;
        if (x.umin == c && x.umin != x.umax)
          ++x.umin;
        else if (x.umax == c && x.umin != x.umax)
          --x.umax;
        else if (x.umin == c && x.umax == c)
          x.umin = 1, x.umax = 0;  // empty
        S sc = static_cast<S>(c);
        if (x.smin == sc && x.smin != x.smax)
          ++x.smin;
        else if (x.smax == sc && x.smin != x.smax)
          --x.smax;
      }
      break;
    case Cmp::kGt:
      if (b.umin == umaxv)
        a.umin = 1, a.umax = 0;
      else
        a.umin = std::max<U>(a.umin, b.umin + 1);
      if (a.umax == 0)
        b.umin = 1, b.umax = 0;
      else
        b.umax = std::min<U>(b.umax, a.umax - 1);
      break;
    case Cmp::kGe:
      a.umin = std::max(a.umin, b.umin);
      b.umax = std::min(b.umax, a.umax);
      break;
    case Cmp::kSgt:
      if (b.smin == smaxv)
        a.smin = 1, a.smax = 0;
      else
        a.smin = std::max<S>(a.smin, b.smin + 1);
      if (a.smax == sminv)
        b.smin = 1, b.smax = 0;
      else
        b.smax = std::min<S>(b.smax, a.smax - 1);
      break;
    case Cmp::kSge:
      a.smin = std::max(a.smin, b.smin);
      b.smax = std::min(b.smax, a.smax);
      break;
    default:
      break;
  }
}

}  // namespace

int branch_taken(const Scalar& a, const Scalar& b, Cmp op, bool is32) {
  if (is32) return taken(get32(a), get32(b), a.var.subreg(), b.var.subreg(), op);
  return taken(get64(a), get64(b), a.var, b.var, op);
}

void refine(Scalar& a, Scalar& b, Cmp op, bool is32) {
  switch (op) {
    case Cmp::kLt:
    case Cmp::kLe:
    case Cmp::kSlt:
    case Cmp::kSle:
      refine(b, a, flip(op), is32);
      return;
    default:
      break;
  }
  if (is32) {
    auto x = get32(a), y = get32(b);
    narrow(x, y, op);
    a.s32_min = x.smin, a.s32_max = x.smax, a.u32_min = x.umin, a.u32_max = x.umax;
    b.s32_min = y.smin, b.s32_max = y.smax, b.u32_min = y.umin, b.u32_max = y.umax;
  } else {
    auto x = get64(a), y = get64(b);
    narrow(x, y, op);
    a.smin = x.smin, a.smax = x.smax, a.umin = x.umin, a.umax = x.umax;
    b.smin = y.smin, b.smax = y.smax, b.umin = y.umin, b.umax = y.umax;
  }
  auto set_tnum = [&](Scalar& s, Tnum t) { s.var = is32 ? s.var.with_subreg(t) : t; };
  Tnum ta = is32 ? a.var.subreg() : a.var, tb = is32 ? b.var.subreg() : b.var;
  if (op == Cmp::kEq) {
    if (((ta.value ^ tb.value) & ~(ta.mask | tb.mask)) != 0) {
      a.umin = 1, a.umax = 0;  // known bits disagree: infeasible
    } else {
      Tnum t = ta.intersect(tb);
      set_tnum(a, t);
      set_tnum(b, t);
    }
  } else if (op == Cmp::kSet && tb.is_const() && std::has_single_bit(tb.value)) {
    set_tnum(a, ta | tb);
  } else if (op == Cmp::kNset && tb.is_const()) {
    set_tnum(a, Tnum{ta.value & ~tb.value, ta.mask & ~tb.value});
  } else if (op == Cmp::kNset && ta.is_const()) {
    set_tnum(b, Tnum{tb.value & ~ta.value, tb.mask & ~ta.value});
  }
  a.sync();
  b.sync();
}

}  // namespace bombus::verifier
