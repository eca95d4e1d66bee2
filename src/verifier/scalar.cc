// Scalar bounds: synchronisation between the five views, ALU transfer functions and branch
// refinement. The 32- and 64-bit halves share one template over (unsigned, signed) types.
#include "verifier/scalar.h"

#include <algorithm>
#include <cstdio>

namespace bombus::verifier {
namespace {

template <typename U, typename S>
struct Bounds {
  S smin, smax;
  U umin, umax;
};

Bounds<uint64_t, int64_t> b64(const Scalar& s) {
  return {s.smin, s.smax, s.umin, s.umax};
}
Bounds<uint32_t, int32_t> b32(const Scalar& s) {
  return {s.s32_min, s.s32_max, s.u32_min, s.u32_max};
}
void set64(Scalar& s, const Bounds<uint64_t, int64_t>& b) {
  s.smin = b.smin, s.smax = b.smax, s.umin = b.umin, s.umax = b.umax;
}
void set32(Scalar& s, const Bounds<uint32_t, int32_t>& b) {
  s.s32_min = b.smin, s.s32_max = b.smax, s.u32_min = b.umin, s.u32_max = b.umax;
}

template <typename U, typename S>
Bounds<U, S> unbounded() {
  return {std::numeric_limits<S>::min(), std::numeric_limits<S>::max(), 0,
          std::numeric_limits<U>::max()};
}

// Signed and unsigned views agree whenever a range stays within one sign half.
template <typename U, typename S>
void deduce(Bounds<U, S>& b) {
  for (int round = 0; round < 2; ++round) {
    if (static_cast<S>(b.umin) <= static_cast<S>(b.umax) &&
        ((b.umin ^ b.umax) >> (sizeof(U) * 8 - 1)) == 0) {
      b.smin = std::max(b.smin, static_cast<S>(b.umin));
      b.smax = std::min(b.smax, static_cast<S>(b.umax));
    }
    if ((b.smin >= 0) == (b.smax >= 0)) {
      b.umin = std::max(b.umin, static_cast<U>(b.smin));
      b.umax = std::min(b.umax, static_cast<U>(b.smax));
    }
  }
}

template <typename U, typename S>
void from_tnum(Bounds<U, S>& b, const Tnum& t) {
  constexpr U sign = U(1) << (sizeof(U) * 8 - 1);
  U v = static_cast<U>(t.value), m = static_cast<U>(t.mask);
  b.smin = std::max(b.smin, static_cast<S>(v | (m & sign)));
  b.smax = std::min(b.smax, static_cast<S>(v | (m & ~sign)));
  b.umin = std::max(b.umin, v);
  b.umax = std::min(b.umax, static_cast<U>(v | m));
}

}  // namespace

Scalar Scalar::constant(uint64_t v) {
  Scalar s;
  s.var = Tnum::constant(v);
  s.sync();
  return s;
}

Scalar Scalar::unknown_bytes(int bytes) {
  Scalar s;
  s.var = Tnum::unknown().cast(bytes);
  s.sync();
  return s;
}

Scalar Scalar::from_urange(uint64_t lo, uint64_t hi) {
  Scalar s;
  s.umin = lo, s.umax = hi;
  s.sync();
  return s;
}

Scalar Scalar::from_srange(int64_t lo, int64_t hi) {
  Scalar s;
  s.smin = lo, s.smax = hi;
  s.sync();
  return s;
}

bool Scalar::is_empty() const {
  if (smin > smax || umin > umax || s32_min > s32_max || u32_min > u32_max) return true;
  if (umin > var.umax() || umax < var.umin()) return true;
  return false;
}

bool Scalar::contains(const Scalar& b) const {
  return smin <= b.smin && smax >= b.smax && umin <= b.umin && umax >= b.umax &&
         s32_min <= b.s32_min && s32_max >= b.s32_max && u32_min <= b.u32_min &&
         u32_max >= b.u32_max && var.contains(b.var);
}

bool Scalar::contains_value(uint64_t v) const {
  auto sv = static_cast<int64_t>(v);
  auto v32 = static_cast<uint32_t>(v);
  auto sv32 = static_cast<int32_t>(v32);
  return var.contains_value(v) && v >= umin && v <= umax && sv >= smin && sv <= smax &&
         v32 >= u32_min && v32 <= u32_max && sv32 >= s32_min && sv32 <= s32_max;
}

void Scalar::sync() {
  if (is_empty()) return;  // contradictions are kept visible for branch pruning
  auto b = b64(*this);
  auto c = b32(*this);
  for (int round = 0; round < 2; ++round) {
    from_tnum(b, var);
    from_tnum(c, var.subreg());
    // 64 -> 32: when the upper halves agree, the lower halves form an ordered range.
    if ((b.umin >> 32) == (b.umax >> 32)) {
      c.umin = std::max(c.umin, static_cast<uint32_t>(b.umin));
      c.umax = std::min(c.umax, static_cast<uint32_t>(b.umax));
      if (static_cast<int32_t>(b.umin) <= static_cast<int32_t>(b.umax)) {
        c.smin = std::max(c.smin, static_cast<int32_t>(b.umin));
        c.smax = std::min(c.smax, static_cast<int32_t>(b.umax));
      }
    }
    if ((b.smin >> 32) == (b.smax >> 32)) {
      if (static_cast<uint32_t>(b.smin) <= static_cast<uint32_t>(b.smax)) {
        c.umin = std::max(c.umin, static_cast<uint32_t>(b.smin));
        c.umax = std::min(c.umax, static_cast<uint32_t>(b.smax));
      }
      if (static_cast<int32_t>(b.smin) <= static_cast<int32_t>(b.smax)) {
        c.smin = std::max(c.smin, static_cast<int32_t>(b.smin));
        c.smax = std::min(c.smax, static_cast<int32_t>(b.smax));
      }
    }
    deduce(c);
    // 32 -> 64: with fixed upper half, the lower half's bounds carry over.
    if ((b.umin >> 32) == (b.umax >> 32) && c.umin <= c.umax) {
      uint64_t hi = b.umin & ~0xffffffffull;
      b.umin = std::max(b.umin, hi | c.umin);
      b.umax = std::min(b.umax, hi | c.umax);
    }
    if ((b.smin >> 32) == (b.smax >> 32) && c.umin <= c.umax) {
      uint64_t hi = static_cast<uint64_t>(b.smin) & ~0xffffffffull;
      b.smin = std::max(b.smin, static_cast<int64_t>(hi | c.umin));
      b.smax = std::min(b.smax, static_cast<int64_t>(hi | c.umax));
    }
    deduce(b);
    if (b.umin > b.umax || c.umin > c.umax || b.smin > b.smax || c.smin > c.smax) break;
    Tnum v64 = var.intersect(Tnum::range(b.umin, b.umax));
    Tnum v32 = var.subreg().intersect(Tnum::range(c.umin, c.umax));
    var = v64.clear_subreg() | v32;
  }
  from_tnum(b, var);
  from_tnum(c, var.subreg());
  set64(*this, b);
  set32(*this, c);
}

void Scalar::zext32() {
  var = var.subreg();
  umin = u32_min, umax = u32_max;
  smin = u32_min, smax = u32_max;
  sync();
}

void Scalar::sext(int bits) {
  uint64_t sign = 1ull << (bits - 1);
  uint64_t low = bits == 64 ? ~0ull : (1ull << bits) - 1;
  Tnum t = var.cast(bits / 8);
  Scalar r;
  if (t.mask & sign) {
    // Sign unknown: the result spans both extensions of the low bits.
    int64_t lo = -static_cast<int64_t>(sign), hi = static_cast<int64_t>(sign - 1);
    r = from_srange(lo, hi);
  } else if (t.value & sign) {
    r.var = {t.value | ~low, t.mask};
  } else {
    r.var = t;
  }
  r.sync();
  *this = r;
}

void Scalar::truncate(int bytes) {
  if (bytes >= 8) return;
  Scalar r;
  if (bytes == 4) {
    r.var = var.subreg();
    r.u32_min = u32_min, r.u32_max = u32_max, r.s32_min = s32_min, r.s32_max = s32_max;
    r.zext32();
    *this = r;
    return;
  }
  r.var = var.cast(bytes);
  uint64_t lim = (1ull << (bytes * 8)) - 1;
  if (umax <= lim) r.umin = umin, r.umax = umax;
  r.sync();
  *this = r;
}

std::string Scalar::bounds_str() const {
  // The kernel's compact form: fields with equal values share one "=value"
  // ("smin=smin32=0,smax=umax=smax32=umax32=255"); fields at their type's extreme are omitted.
  struct Field {
    const char* name;
    uint64_t val;
    bool omit;
    bool is_signed;
  };
  Field f[] = {
      {"smin", static_cast<uint64_t>(smin), smin == std::numeric_limits<int64_t>::min(), true},
      {"smax", static_cast<uint64_t>(smax), smax == std::numeric_limits<int64_t>::max(), true},
      {"umin", umin, umin == 0, false},
      {"umax", umax, umax == ~0ull, false},
      {"smin32", static_cast<uint64_t>(static_cast<int64_t>(s32_min)),
       s32_min == std::numeric_limits<int32_t>::min(), true},
      {"smax32", static_cast<uint64_t>(static_cast<int64_t>(s32_max)),
       s32_max == std::numeric_limits<int32_t>::max(), true},
      {"umin32", u32_min, u32_min == 0, false},
      {"umax32", u32_max, u32_max == 0xffffffffu, false},
  };
  std::string out;
  for (size_t i = 0; i < std::size(f); ++i) {
    if (f[i].omit) continue;
    if (!out.empty()) out += ',';
    out += f[i].name;
    for (size_t j = i + 1; j < std::size(f); ++j) {
      if (f[j].omit || f[j].val != f[i].val) continue;
      out += '=';
      out += f[j].name;
      f[j].omit = true;
    }
    char buf[32];
    if (f[i].is_signed)
      std::snprintf(buf, sizeof buf, "=%lld", static_cast<long long>(f[i].val));
    else
      std::snprintf(buf, sizeof buf, "=%llu", static_cast<unsigned long long>(f[i].val));
    out += buf;
  }
  if (!var.is_unknown() && !var.is_const()) {
    if (!out.empty()) out += ',';
    out += "var_off=" + var.str();
  }
  return out;
}

}  // namespace bombus::verifier
