// The AVX2 8-packet classic filter evaluator (filter_simd.h): compile() turns jumps into
// absolute targets; run_batch() walks the op list once per group of 8 packets with path masks.
#include "net/filter_simd.h"

#include <immintrin.h>

#include <array>
#include <bit>
#include <cstring>

#include "net/cbpf_to_ebpf.h"
#include "net/filter.h"

namespace bombus::net {
namespace {
using namespace cbpf;  // NOLINT: the opcode field constants

constexpr size_t kLanes = 8;
#define BOMBUS_AVX2 __attribute__((target("avx2,bmi2")))

// One vector of 8 lanes; a struct so std::vector keeps it 32-byte aligned.
struct alignas(32) Lanes {
  __m256i v;
};

// Masked 64-bit-address gathers (vpgatherqd) or eight scalar loads per packet load.
constexpr bool kGather = false;
// Skip instructions no lane reaches (a data-dependent branch per instruction) or run them all.
constexpr bool kSkipUnreached = false;
// Inactive lanes point at 4 zero bytes, so a clamped scalar load stays inside memory.
const uint8_t kZeros[4] = {};

struct Group {
  std::array<const uint8_t*, kLanes> data;
  __m256i caplen, wire;
  __m256i last;      // caplen - 4: the highest dword anchor inside each packet
  __m256i plo, phi;  // the data pointers (gathers only)
};

BOMBUS_AVX2 inline __m256i bias(__m256i v) {
  return _mm256_xor_si256(v, _mm256_set1_epi32(static_cast<int>(0x80000000u)));
}
// Unsigned a > b per lane.
BOMBUS_AVX2 inline __m256i gtu(__m256i a, __m256i b) {
  return _mm256_cmpgt_epi32(bias(a), bias(b));
}

// The packet bytes [off, off + size) of each lane in `m`, in network order; lanes outside `m`
// read nothing. The dword read ends at the field's last byte (off + size >= 4) or starts at it
// (then the packet has >= 4 bytes), so it never leaves the captured bytes.
BOMBUS_AVX2 inline __m256i load_field(const Group& g, __m256i plo, __m256i phi, __m256i off,
                                      int size, __m256i m) {
  const __m256i end = _mm256_add_epi32(off, _mm256_set1_epi32(size));
  const __m256i tail = _mm256_cmpgt_epi32(end, _mm256_set1_epi32(3));
  const __m256i anchor = _mm256_blendv_epi8(off, _mm256_sub_epi32(end, _mm256_set1_epi32(4)), tail);
  const __m256i shift = _mm256_andnot_si256(tail, _mm256_set1_epi32(8 * (4 - size)));
  __m256i v;
  if (kGather) {
    const __m256i alo =
        _mm256_add_epi64(plo, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(anchor)));
    const __m256i ahi =
        _mm256_add_epi64(phi, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(anchor, 1)));
    const __m128i lo = _mm256_mask_i64gather_epi32(
        _mm_setzero_si128(), static_cast<const int*>(nullptr), alo, _mm256_castsi256_si128(m), 1);
    const __m128i hi =
        _mm256_mask_i64gather_epi32(_mm_setzero_si128(), static_cast<const int*>(nullptr), ahi,
                                    _mm256_extracti128_si256(m, 1), 1);
    v = _mm256_set_m128i(hi, lo);
  } else {
    // Eight scalar loads; the anchor is clamped into the packet (every lane has >= 4 bytes),
    // so lanes outside `m` read harmless bytes that the caller's blend discards.
    alignas(32) uint32_t an[kLanes];
    _mm256_store_si256(reinterpret_cast<__m256i*>(an), _mm256_min_epu32(anchor, g.last));
    auto at = [&](size_t l) {
      uint32_t w;
      std::memcpy(&w, g.data[l] + an[l], 4);
      return static_cast<int>(w);
    };
    v = _mm256_setr_epi32(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7));
  }
  const __m256i swap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2,
                                        1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  v = _mm256_srlv_epi32(_mm256_shuffle_epi8(v, swap), shift);
  if (size == 4) return v;
  return _mm256_and_si256(v, _mm256_set1_epi32(size == 2 ? 0xffff : 0xff));
}

// Lanes of `m` where [off, off + size) is not inside the captured bytes (u32 arithmetic as
// libpcap checks it: off > caplen or size > caplen - off).
BOMBUS_AVX2 inline __m256i out_of_bounds(__m256i off, int size, __m256i caplen, __m256i m) {
  const __m256i room = _mm256_sub_epi32(caplen, off);
  const __m256i bad = _mm256_or_si256(gtu(off, caplen), gtu(_mm256_set1_epi32(size), room));
  return _mm256_and_si256(bad, m);
}

BOMBUS_AVX2 inline __m256i blend(__m256i old, __m256i v, __m256i m) {
  return _mm256_blendv_epi8(old, v, m);
}

// A / K, A % K, A / X, A % X lane by lane (AVX2 has no integer division); lanes whose divisor
// is zero are reported in *zero.
BOMBUS_AVX2 inline __m256i divide(__m256i a, __m256i d, bool mod, __m256i m, __m256i* zero) {
  alignas(32) uint32_t av[kLanes], dv[kLanes], mv[kLanes], zv[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(av), a);
  _mm256_store_si256(reinterpret_cast<__m256i*>(dv), d);
  _mm256_store_si256(reinterpret_cast<__m256i*>(mv), m);
  for (size_t i = 0; i < kLanes; ++i) {
    zv[i] = (mv[i] && dv[i] == 0) ? ~0u : 0u;
    if (mv[i] && dv[i]) av[i] = mod ? av[i] % dv[i] : av[i] / dv[i];
  }
  *zero = _mm256_load_si256(reinterpret_cast<const __m256i*>(zv));
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(av));
}

// Lanes `v` continue at instruction t: the next one directly, a later one through pending[t].
BOMBUS_AVX2 inline void route(Lanes* pending, size_t i, __m256i v, size_t t, __m256i* next) {
  if (t == i + 1)
    *next = _mm256_or_si256(*next, v);
  else
    pending[t].v = _mm256_or_si256(pending[t].v, v);
}

struct State {
  __m256i a, x, cur, res;
};

// One instruction for one group of 8 packets.
BOMBUS_AVX2 __attribute__((always_inline)) inline void step(const FilterSimd::Op& op, size_t i,
                                                            State& st, const Group& g,
                                                            Lanes* pending, __m256i* mem) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i caplen = g.caplen, wire = g.wire, plo = g.plo, phi = g.phi;
  __m256i& a = st.a;
  __m256i& x = st.x;
  __m256i& cur = st.cur;
  __m256i& res = st.res;
  const uint16_t cls = op.code & 7;
  const __m256i kv = _mm256_set1_epi32(static_cast<int>(op.k));
  switch (cls) {
    case kLd:
    case kLdx: {
      const uint16_t mode = op.code & 0xe0;
      const int size = (op.code & 0x18) == kB ? 1 : (op.code & 0x18) == kH ? 2 : 4;
      __m256i v = zero;
      if (mode == kImm) {
        v = kv;
      } else if (mode == kLen) {
        v = wire;
      } else if (mode == kMem) {
        v = mem[op.k & (kMemWords - 1)];
      } else if (mode == kAbs || mode == kInd || mode == kMsh) {
        const int sz = mode == kMsh ? 1 : size;
        __m256i off = kv, bad;
        if (mode == kInd) {
          off = _mm256_add_epi32(x, kv);
          // X + k overflowing 32 bits is out of bounds too.
          bad = _mm256_or_si256(out_of_bounds(kv, 0, caplen, cur),
                                _mm256_and_si256(cur, gtu(x, _mm256_sub_epi32(caplen, kv))));
          bad = _mm256_or_si256(bad, out_of_bounds(off, sz, caplen, cur));
        } else {
          bad = out_of_bounds(off, sz, caplen, cur);
        }
        cur = _mm256_andnot_si256(bad, cur);
        if (kSkipUnreached && _mm256_testz_si256(cur, cur)) return;
        v = load_field(g, plo, phi, off, sz, cur);
        if (mode == kMsh) v = _mm256_slli_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0xf)), 2);
      }
      if (cls == kLd)
        a = blend(a, v, cur);
      else
        x = blend(x, v, cur);
      break;
    }
    case kSt:
      mem[op.k & (kMemWords - 1)] = blend(mem[op.k & (kMemWords - 1)], a, cur);
      break;
    case kStx:
      mem[op.k & (kMemWords - 1)] = blend(mem[op.k & (kMemWords - 1)], x, cur);
      break;
    case kAlu: {
      const __m256i s = (op.code & kX) ? x : kv;
      __m256i v = a;
      switch (op.code & 0xf0) {
        case kAdd:
          v = _mm256_add_epi32(a, s);
          break;
        case kSub:
          v = _mm256_sub_epi32(a, s);
          break;
        case kMul:
          v = _mm256_mullo_epi32(a, s);
          break;
        case kOr:
          v = _mm256_or_si256(a, s);
          break;
        case kAnd:
          v = _mm256_and_si256(a, s);
          break;
        case kXor:
          v = _mm256_xor_si256(a, s);
          break;
        case kLsh:
          v = _mm256_sllv_epi32(a, s);
          break;
        case kRsh:
          v = _mm256_srlv_epi32(a, s);
          break;
        case kNeg:
          v = _mm256_sub_epi32(zero, a);
          break;
        case kDiv:
        case kMod: {
          __m256i z;
          v = divide(a, s, (op.code & 0xf0) == kMod, cur, &z);
          cur = _mm256_andnot_si256(z, cur);  // division by zero: return 0
          break;
        }
      }
      a = blend(a, v, cur);
      break;
    }
    case kJmp: {
      const uint16_t jop = op.code & 0xf0;
      __m256i next = zero;
      if (jop == kJa) {
        route(pending, i, cur, op.jt, &next);
      } else {
        const __m256i s = (op.code & kX) ? x : kv;
        __m256i c;
        if (jop == kJeq)
          c = _mm256_cmpeq_epi32(a, s);
        else if (jop == kJgt)
          c = gtu(a, s);
        else if (jop == kJge)
          c = _mm256_xor_si256(gtu(s, a), _mm256_set1_epi32(-1));
        else
          c = _mm256_xor_si256(_mm256_cmpeq_epi32(_mm256_and_si256(a, s), zero),
                               _mm256_set1_epi32(-1));
        route(pending, i, _mm256_and_si256(cur, c), op.jt, &next);
        route(pending, i, _mm256_andnot_si256(c, cur), op.jf, &next);
      }
      cur = next;
      break;
    }
    case kRet:
      res = blend(res, (op.code & 0x18) == kA ? a : kv, cur);
      cur = zero;
      break;
    case kMisc:
      if ((op.code & 0xf8) == kTxa)
        a = blend(a, x, cur);
      else
        x = blend(x, a, cur);
      break;
  }
}

// kGroups groups of 8 packets walk the program together: each instruction is dispatched once
// for all of them, and their independent dependency chains overlap.
constexpr size_t kGroups = 2;
BOMBUS_AVX2 void run_groups(const std::vector<FilterSimd::Op>& ops, const Group* g,
                            const __m256i* active, Lanes* pending, __m256i* mem, __m256i* res) {
  const size_t n = ops.size();
  State st[kGroups];
  for (size_t q = 0; q < kGroups; ++q)
    st[q] =
        State{_mm256_setzero_si256(), _mm256_setzero_si256(), active[q], _mm256_setzero_si256()};
  for (size_t i = 0; i < n; ++i) {
    for (size_t q = 0; q < kGroups; ++q) {
      Lanes* pq = pending + q * (n + 1);
      st[q].cur = _mm256_or_si256(st[q].cur, pq[i].v);
      pq[i].v = _mm256_setzero_si256();
      if (kSkipUnreached && _mm256_testz_si256(st[q].cur, st[q].cur)) continue;
      step(ops[i], i, st[q], g[q], pq, mem + q * kMemWords);
    }
  }
  for (size_t q = 0; q < kGroups; ++q) res[q] = st[q].res;
}

// Fills `g` with the packets first[base .. base + lanes) (idle lanes past them) and returns
// the bit mask of lanes that run vector code; packets shorter than 4 bytes are filtered here by
// libpcap's interpreter (their verdicts counted in *matched).
BOMBUS_AVX2 uint32_t prepare_group(std::span<const CbpfInsn> prog, const uint8_t* first,
                                   size_t stride, size_t base, size_t lanes, uint32_t* out,
                                   uint64_t* matched, Group& g) {
  static const CbpfSkbCtx kIdle{kZeros, 4, 0, {}};
  std::array<const CbpfSkbCtx*, kLanes> c;
  uint32_t act = 0;
  for (size_t l = 0; l < kLanes; ++l) {
    c[l] = &kIdle;
    if (l >= lanes) continue;
    const auto* x = reinterpret_cast<const CbpfSkbCtx*>(first + (base + l) * stride);
    if (x->caplen < 4) [[unlikely]] {  // too short for a dword read
      out[base + l] = libpcap_bpf_filter(prog, {x->data, x->caplen}, x->wire_len);
      *matched += out[base + l] != 0;
      continue;
    }
    c[l] = x;
    act |= 1u << l;
  }
  for (size_t l = 0; l < kLanes; ++l) g.data[l] = c[l]->data;
  auto lane = [&](size_t l, bool wire) {
    return static_cast<int>(wire ? c[l]->wire_len : c[l]->caplen);
  };
  g.caplen = _mm256_setr_epi32(lane(0, false), lane(1, false), lane(2, false), lane(3, false),
                               lane(4, false), lane(5, false), lane(6, false), lane(7, false));
  g.wire = _mm256_setr_epi32(lane(0, true), lane(1, true), lane(2, true), lane(3, true),
                             lane(4, true), lane(5, true), lane(6, true), lane(7, true));
  g.last = _mm256_sub_epi32(g.caplen, _mm256_set1_epi32(4));
  if (kGather) {
    auto ptr = [&](size_t l) {
      return static_cast<int64_t>(reinterpret_cast<uintptr_t>(c[l]->data));
    };
    g.plo = _mm256_setr_epi64x(ptr(0), ptr(1), ptr(2), ptr(3));
    g.phi = _mm256_setr_epi64x(ptr(4), ptr(5), ptr(6), ptr(7));
  } else {
    g.plo = g.phi = _mm256_setzero_si256();
  }
  return act;
}

BOMBUS_AVX2 uint64_t run_avx2(const std::vector<FilterSimd::Op>& ops,
                              std::span<const CbpfInsn> prog, const uint8_t* first, size_t stride,
                              size_t n, uint32_t* out) {
  std::vector<Lanes> pending(kGroups * (ops.size() + 1), Lanes{_mm256_setzero_si256()});
  // M[] starts at zero once per call; a program reads a word only after storing it on the
  // same path (the checkers' rule), so values left by an earlier group are never seen.
  std::array<Lanes, kGroups * kMemWords> mem;
  for (Lanes& w : mem) w.v = _mm256_setzero_si256();
  const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  uint64_t matched = 0;
  for (size_t base = 0; base < n; base += kLanes * kGroups) {
    Group g[kGroups];
    uint32_t act[kGroups];
    __m256i active[kGroups], res[kGroups];
    for (size_t q = 0; q < kGroups; ++q) {
      const size_t gb = base + q * kLanes;
      const size_t lanes = gb < n ? std::min(kLanes, n - gb) : 0;
      act[q] = prepare_group(prog, first, stride, gb, lanes, out, &matched, g[q]);
      active[q] = _mm256_cmpeq_epi32(
          _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(act[q])), bits), bits);
    }
    run_groups(ops, g, active, pending.data(), &mem[0].v, res);
    for (size_t q = 0; q < kGroups; ++q) {
      const uint32_t zero_lanes = static_cast<uint32_t>(_mm256_movemask_ps(
          _mm256_castsi256_ps(_mm256_cmpeq_epi32(res[q], _mm256_setzero_si256()))));
      matched += std::popcount(~zero_lanes & act[q]);
      alignas(32) uint32_t r[kLanes];
      _mm256_store_si256(reinterpret_cast<__m256i*>(r), res[q]);
      for (size_t l = 0; l < kLanes; ++l)
        if (act[q] >> l & 1) out[base + q * kLanes + l] = r[l];
    }
  }
  return matched;
}

}  // namespace

bool FilterSimd::cpu_supported() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
}

Result<std::unique_ptr<FilterSimd>> FilterSimd::compile(std::span<const CbpfInsn> prog) {
  if (!cpu_supported()) return make_error(Errc::kUnsupported, "filter_simd: the CPU has no AVX2");
  if (prog.empty()) return make_error(Errc::kUnsupported, "filter_simd: empty program");
  std::unique_ptr<FilterSimd> f(new FilterSimd());
  f->prog_.assign(prog.begin(), prog.end());
  const size_t n = prog.size();
  for (size_t i = 0; i < n; ++i) {
    const CbpfInsn& c = prog[i];
    Op op{c.code, 0, 0, c.k};
    if ((c.code & 7) == kJmp) {
      const uint64_t t = (c.code & 0xf0) == kJa ? i + 1 + uint64_t{c.k} : i + 1 + c.jt;
      const uint64_t e = (c.code & 0xf0) == kJa ? t : i + 1 + c.jf;
      if (t >= n || e >= n)
        return make_error(Errc::kUnsupported, "filter_simd: the jump leaves the program",
                          Location{.insn = static_cast<int64_t>(i)});
      op.jt = static_cast<uint16_t>(t);
      op.jf = static_cast<uint16_t>(e);
    }
    f->ops_.push_back(op);
  }
  if ((prog.back().code & 7) != kRet)
    return make_error(Errc::kUnsupported, "filter_simd: the program does not end with a return",
                      Location{.insn = static_cast<int64_t>(n - 1)});
  return Result<std::unique_ptr<FilterSimd>>(std::move(f));
}

uint64_t FilterSimd::run_batch(const void* first, size_t stride, size_t n, uint32_t* out) const {
  return run_avx2(ops_, prog_, static_cast<const uint8_t*>(first), stride, n, out);
}

}  // namespace bombus::net
