// The interpreter's dispatch loop, instantiated twice: fast (direct threading: each slot holds
// the address of its handler) and checked (token threading on Interpreter::ops_, with a bounds
// check on every memory access and an instruction budget). Both share every handler body, so
// the two modes cannot drift apart semantically. Semantics follow RFC 9669: division by zero
// gives 0, modulo by zero keeps the dividend, 32-bit results are zero-extended, shift counts are
// masked, signed INT_MIN / -1 wraps.
#include <cstring>

#include "base/bytes.h"
#include "vm/interp_ops.h"
#include "vm/memory_registry.h"
#include "vm/probe_mem.h"

namespace bombus::vm {

using interp_detail::Fault;
using interp_detail::Frame;
using interp_detail::kFrameBytes;
using interp_detail::kStackBytes;
using interp_detail::Machine;
using interp_detail::Slot;

namespace {

inline bool in_range(uint64_t a, uint64_t n, uintptr_t start, size_t len) {
  return a >= start && a - start <= len && n <= len - (a - start);
}

[[gnu::noinline]] bool mem_ok_slow(const Machine& m, uint64_t a, uint32_t n, bool write) {
  for (const MemRegion& r : m.regions) {
    if (in_range(a, n, r.start, r.len) && (!write || r.writable)) return true;
  }
  // The packet behind the context (skb-like programs read it directly too).
  if (m.rs->hooks.packet_data != nullptr) {
    PacketView pv = m.rs->hooks.packet_data(reinterpret_cast<void*>(m.ctx));
    if (pv.data != nullptr && in_range(a, n, reinterpret_cast<uintptr_t>(pv.data), pv.len)) {
      return true;
    }
  }
  // A callback may use what the run that called its helper could (e.g. that run's stack).
  for (const Machine* p = m.parent; p != nullptr; p = p->parent) {
    if (in_range(a, n, reinterpret_cast<uintptr_t>(p->stack), kStackBytes)) return true;
    for (const MemRegion& r : p->regions) {
      if (in_range(a, n, r.start, r.len) && (!write || r.writable)) return true;
    }
  }
  return MemoryRegistry::global().contains(a, n, write);
}

inline bool mem_ok(const Machine& m, uint64_t a, uint32_t n, bool write) {
  if (in_range(a, n, reinterpret_cast<uintptr_t>(m.stack), kStackBytes)) return true;
  if (in_range(a, n, m.ctx, m.ctx_len)) return true;
  return mem_ok_slow(m, a, n, write);
}

template <typename T>
inline T ld(uint64_t a) {
  return load_unaligned<T>(reinterpret_cast<const void*>(a));
}
template <typename T>
inline void st(uint64_t a, T v) {
  store_unaligned<T>(reinterpret_cast<void*>(a), v);
}

// Legacy packet loads: offsets at or above SKF_LL_OFF (-0x200000) address the link layer, i.e.
// the packet start; other negative offsets (SKF_NET_OFF, ancillary data) are not supported and
// read as out of bounds.
inline bool pkt_bytes(const RunState* rs, uint64_t ctx, int64_t off, uint32_t n,
                      const uint8_t** out) {
  constexpr int64_t kLlOff = -0x200000, kNetOff = -0x100000;
  if (off < 0) {
    if (off >= kLlOff && off < kNetOff) {
      off -= kLlOff;
    } else {
      return false;
    }
  }
  if (rs->hooks.packet_data == nullptr) return false;
  PacketView pv = rs->hooks.packet_data(reinterpret_cast<void*>(ctx));
  if (pv.data == nullptr || static_cast<uint64_t>(off) + n > pv.len) return false;
  *out = pv.data + off;
  return true;
}

}  // namespace

template <bool kChecked>
uint64_t interp_exec(Machine& m) {
  using interp_detail::IOp;
  static const void* const kLabels[] = {
#define BOMBUS_X(name) &&L_##name,
      BOMBUS_INTERP_OPS(BOMBUS_X)
#undef BOMBUS_X
  };
  static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == static_cast<size_t>(IOp::kCount));
  if (m.entry == nullptr) {  // fast_labels() asks for the table
    m.fault_addr = reinterpret_cast<uint64_t>(&kLabels[0]);
    return 0;
  }

  // Zeroed with plain vector stores; "= {}" becomes a rep stos whose start-up cost shows on
  // short programs.
  uint64_t R[16];
  static constexpr uint64_t kZero[16] = {};
  std::memcpy(R, kZero, sizeof R);
  const Interpreter* cur = m.entry;
  const Slot* base = cur->code_.data();
  const uint8_t* ops = cur->ops_.data();
  const HelperFn* helpers = cur->options_.helpers.data();
  size_t nhelpers = cur->options_.helpers.size();
  const Slot* ip = base + m.entry_pc;
  RunState* const rs = m.rs;
  const uint64_t stack_top = reinterpret_cast<uint64_t>(m.stack) + kStackBytes;
  Frame frames[isa::kMaxCallFrames];
  unsigned depth = 0;
  const uint64_t start_budget = m.budget != 0 ? m.budget : ~uint64_t{0};
  uint64_t budget = start_budget;
  if (m.args == nullptr) {
    R[1] = m.ctx;
    R[2] = m.ctx_len;
  } else {
    for (int i = 0; i < 5; ++i) R[1 + i] = m.args[i];
  }
  R[10] = stack_top;

#define D (R[ip->dst])
#define S (R[ip->src])
#define IMM (static_cast<uint64_t>(static_cast<int64_t>(ip->imm)))
#define U32(x) static_cast<uint32_t>(x)
#define I32(x) static_cast<int32_t>(x)
#define I64(x) static_cast<int64_t>(x)
#define FAULT(kind)        \
  do {                     \
    m.fault = Fault::kind; \
    goto L_fault;          \
  } while (0)
#define DISPATCH()                       \
  do {                                   \
    if constexpr (kChecked) {            \
      if (budget-- == 0) FAULT(kBudget); \
      goto* kLabels[ops[ip - base]];     \
    } else {                             \
      goto * ip->handler;                \
    }                                    \
  } while (0)
#define NEXT()  \
  do {          \
    ++ip;       \
    DISPATCH(); \
  } while (0)
#define OP(name) L_##name:
#define ADDR(reg) ((reg) + static_cast<uint64_t>(static_cast<int64_t>(ip->off)))
#define CHECK(a, n, write)           \
  do {                               \
    if constexpr (kChecked) {        \
      if (!mem_ok(m, a, n, write)) { \
        m.fault_addr = a;            \
        m.fault_size = n;            \
        FAULT(kBadRead);             \
      }                              \
    }                                \
  } while (0)
#define CHECKW(a, n)                \
  do {                              \
    if constexpr (kChecked) {       \
      if (!mem_ok(m, a, n, true)) { \
        m.fault_addr = a;           \
        m.fault_size = n;           \
        FAULT(kBadWrite);           \
      }                             \
    }                               \
  } while (0)
#define CHECKA(a, n)              \
  do {                            \
    CHECKW(a, n);                 \
    if constexpr (kChecked) {     \
      if (((a) & ((n)-1)) != 0) { \
        m.fault_addr = a;         \
        m.fault_size = n;         \
        FAULT(kMisaligned);       \
      }                           \
    }                             \
  } while (0)
#define SWITCH_PROG(p)                       \
  do {                                       \
    cur = (p);                               \
    base = cur->code_.data();                \
    ops = cur->ops_.data();                  \
    helpers = cur->options_.helpers.data();  \
    nhelpers = cur->options_.helpers.size(); \
  } while (0)

  DISPATCH();

  // ---- 64-bit ALU
  OP(ADD64K) D += IMM;
  NEXT();
  OP(ADD64X) D += S;
  NEXT();
  OP(SUB64K) D -= IMM;
  NEXT();
  OP(SUB64X) D -= S;
  NEXT();
  OP(MUL64K) D *= IMM;
  NEXT();
  OP(MUL64X) D *= S;
  NEXT();
  OP(DIV64K) D /= IMM;
  NEXT();  // create() turned imm 0 into mov 0
  OP(DIV64X) {
    const uint64_t s = S;
    D = s != 0 ? D / s : 0;
  }
  NEXT();
  OP(SDIV64K) D = static_cast<uint64_t>(I64(D) / I64(ip->imm));
  NEXT();  // imm not 0 / -1
  OP(SDIV64X) {
    const int64_t s = I64(S), d = I64(D);
    D = s == 0 ? 0 : s == -1 ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d / s);
  }
  NEXT();
  OP(MOD64K) D %= IMM;
  NEXT();
  OP(MOD64X) {
    const uint64_t s = S;
    if (s != 0) D %= s;
  }
  NEXT();
  OP(SMOD64K) D = static_cast<uint64_t>(I64(D) % I64(ip->imm));
  NEXT();
  OP(SMOD64X) {
    const int64_t s = I64(S), d = I64(D);
    D = s == 0 ? D : s == -1 ? 0 : static_cast<uint64_t>(d % s);
  }
  NEXT();
  OP(OR64K) D |= IMM;
  NEXT();
  OP(OR64X) D |= S;
  NEXT();
  OP(AND64K) D &= IMM;
  NEXT();
  OP(AND64X) D &= S;
  NEXT();
  OP(LSH64K) D <<= (ip->imm & 63);
  NEXT();
  OP(LSH64X) D <<= (S & 63);
  NEXT();
  OP(RSH64K) D >>= (ip->imm & 63);
  NEXT();
  OP(RSH64X) D >>= (S & 63);
  NEXT();
  OP(ARSH64K) D = static_cast<uint64_t>(I64(D) >> (ip->imm & 63));
  NEXT();
  OP(ARSH64X) D = static_cast<uint64_t>(I64(D) >> (S & 63));
  NEXT();
  OP(XOR64K) D ^= IMM;
  NEXT();
  OP(XOR64X) D ^= S;
  NEXT();
  OP(MOV64K) D = IMM;
  NEXT();
  OP(MOV64X) D = S;
  NEXT();
  OP(MOVSX64B) D = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(S)));
  NEXT();
  OP(MOVSX64H) D = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(S)));
  NEXT();
  OP(MOVSX64W) D = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(S)));
  NEXT();
  OP(NEG64) D = 0 - D;
  NEXT();

  // ---- 32-bit ALU (results zero-extended)
  OP(ADD32K) D = U32(U32(D) + U32(ip->imm));
  NEXT();
  OP(ADD32X) D = U32(U32(D) + U32(S));
  NEXT();
  OP(SUB32K) D = U32(U32(D) - U32(ip->imm));
  NEXT();
  OP(SUB32X) D = U32(U32(D) - U32(S));
  NEXT();
  OP(MUL32K) D = U32(U32(D) * U32(ip->imm));
  NEXT();
  OP(MUL32X) D = U32(U32(D) * U32(S));
  NEXT();
  OP(DIV32K) D = U32(D) / U32(ip->imm);
  NEXT();
  OP(DIV32X) {
    const uint32_t s = U32(S);
    D = s != 0 ? U32(D) / s : 0;
  }
  NEXT();
  OP(SDIV32K) D = U32(I32(D) / ip->imm);
  NEXT();
  OP(SDIV32X) {
    const int32_t s = I32(S), d = I32(D);
    D = s == 0 ? 0 : s == -1 ? U32(0 - U32(d)) : U32(d / s);
  }
  NEXT();
  OP(MOD32K) D = U32(D) % U32(ip->imm);
  NEXT();
  OP(MOD32X) {
    const uint32_t s = U32(S);
    D = s != 0 ? U32(D) % s : U32(D);
  }
  NEXT();
  OP(SMOD32K) D = U32(I32(D) % ip->imm);
  NEXT();
  OP(SMOD32X) {
    const int32_t s = I32(S), d = I32(D);
    D = s == 0 ? U32(d) : s == -1 ? 0 : U32(d % s);
  }
  NEXT();
  OP(OR32K) D = U32(D) | U32(ip->imm);
  NEXT();
  OP(OR32X) D = U32(D) | U32(S);
  NEXT();
  OP(AND32K) D = U32(D) & U32(ip->imm);
  NEXT();
  OP(AND32X) D = U32(D) & U32(S);
  NEXT();
  OP(LSH32K) D = U32(U32(D) << (ip->imm & 31));
  NEXT();
  OP(LSH32X) D = U32(U32(D) << (S & 31));
  NEXT();
  OP(RSH32K) D = U32(D) >> (ip->imm & 31);
  NEXT();
  OP(RSH32X) D = U32(D) >> (S & 31);
  NEXT();
  OP(ARSH32K) D = U32(I32(D) >> (ip->imm & 31));
  NEXT();
  OP(ARSH32X) D = U32(I32(D) >> (S & 31));
  NEXT();
  OP(XOR32K) D = U32(D) ^ U32(ip->imm);
  NEXT();
  OP(XOR32X) D = U32(D) ^ U32(S);
  NEXT();
  OP(MOV32K) D = U32(ip->imm);
  NEXT();
  OP(MOV32X) D = U32(S);
  NEXT();
  OP(MOVSX32B) D = U32(static_cast<int32_t>(static_cast<int8_t>(S)));
  NEXT();
  OP(MOVSX32H) D = U32(static_cast<int32_t>(static_cast<int16_t>(S)));
  NEXT();
  OP(NEG32) D = U32(0 - U32(D));
  NEXT();

  // ---- byte order
  OP(BSWAP16) D = __builtin_bswap16(static_cast<uint16_t>(D));
  NEXT();
  OP(BSWAP32) D = __builtin_bswap32(U32(D));
  NEXT();
  OP(BSWAP64) D = __builtin_bswap64(D);
  NEXT();
  OP(ZEXT16) D = static_cast<uint16_t>(D);
  NEXT();
  OP(ZEXT32) D = U32(D);
  NEXT();
  OP(NOP) NEXT();

  // ---- loads and stores
#define LOADOP(name, T, Ext)        \
  OP(name) {                        \
    const uint64_t a = ADDR(S);     \
    CHECK(a, sizeof(T), false);     \
    D = static_cast<Ext>(ld<T>(a)); \
  }                                 \
  NEXT();
  LOADOP(LDXB, uint8_t, uint64_t)
  LOADOP(LDXH, uint16_t, uint64_t)
  LOADOP(LDXW, uint32_t, uint64_t)
  LOADOP(LDXDW, uint64_t, uint64_t)
  LOADOP(LDXSB, int8_t, int64_t)
  LOADOP(LDXSH, int16_t, int64_t)
  LOADOP(LDXSW, int32_t, int64_t)
#undef LOADOP
  // PROBE_MEM loads (vm/probe_mem.h): an address that is no registered object gives 0, never a
  // fault (the event's objects first, then vm::MemoryRegistry).
#define PROBEOP(name, T, Ext)                                                     \
  OP(name) {                                                                      \
    D = static_cast<uint64_t>(                                                    \
        static_cast<Ext>(static_cast<T>(probe_load(ADDR(S), sizeof(T), false)))); \
  }                                                                               \
  NEXT();
  PROBEOP(PLDXB, uint8_t, uint64_t)
  PROBEOP(PLDXH, uint16_t, uint64_t)
  PROBEOP(PLDXW, uint32_t, uint64_t)
  PROBEOP(PLDXDW, uint64_t, uint64_t)
  PROBEOP(PLDXSB, int8_t, int64_t)
  PROBEOP(PLDXSH, int16_t, int64_t)
  PROBEOP(PLDXSW, int32_t, int64_t)
#undef PROBEOP
#define STOREOP(name, T, value)      \
  OP(name) {                         \
    const uint64_t a = ADDR(D);      \
    CHECKW(a, sizeof(T));            \
    st<T>(a, static_cast<T>(value)); \
  }                                  \
  NEXT();
  STOREOP(STB, uint8_t, ip->imm)
  STOREOP(STH, uint16_t, ip->imm)
  STOREOP(STW, uint32_t, ip->imm)
  STOREOP(STDW, uint64_t, IMM)
  STOREOP(STXB, uint8_t, S)
  STOREOP(STXH, uint16_t, S)
  STOREOP(STXW, uint32_t, S)
  STOREOP(STXDW, uint64_t, S)
#undef STOREOP

  // ---- atomics (fetch forms return the old value in src, zero-extended for 32 bits)
#define ATOMICOP(name, T, builtin, fetch)                                                \
  OP(name) {                                                                             \
    const uint64_t a = ADDR(D);                                                          \
    CHECKA(a, sizeof(T));                                                                \
    const T old = builtin(reinterpret_cast<T*>(a), static_cast<T>(S), __ATOMIC_SEQ_CST); \
    if (fetch) S = old;                                                                  \
  }                                                                                      \
  NEXT();
  ATOMICOP(AADD32, uint32_t, __atomic_fetch_add, false)
  ATOMICOP(AOR32, uint32_t, __atomic_fetch_or, false)
  ATOMICOP(AAND32, uint32_t, __atomic_fetch_and, false)
  ATOMICOP(AXOR32, uint32_t, __atomic_fetch_xor, false)
  ATOMICOP(AFADD32, uint32_t, __atomic_fetch_add, true)
  ATOMICOP(AFOR32, uint32_t, __atomic_fetch_or, true)
  ATOMICOP(AFAND32, uint32_t, __atomic_fetch_and, true)
  ATOMICOP(AFXOR32, uint32_t, __atomic_fetch_xor, true)
  ATOMICOP(AXCHG32, uint32_t, __atomic_exchange_n, true)
  ATOMICOP(AADD64, uint64_t, __atomic_fetch_add, false)
  ATOMICOP(AOR64, uint64_t, __atomic_fetch_or, false)
  ATOMICOP(AAND64, uint64_t, __atomic_fetch_and, false)
  ATOMICOP(AXOR64, uint64_t, __atomic_fetch_xor, false)
  ATOMICOP(AFADD64, uint64_t, __atomic_fetch_add, true)
  ATOMICOP(AFOR64, uint64_t, __atomic_fetch_or, true)
  ATOMICOP(AFAND64, uint64_t, __atomic_fetch_and, true)
  ATOMICOP(AFXOR64, uint64_t, __atomic_fetch_xor, true)
  ATOMICOP(AXCHG64, uint64_t, __atomic_exchange_n, true)
#undef ATOMICOP
  OP(ACMPXCHG32) {
    const uint64_t a = ADDR(D);
    CHECKA(a, 4);
    uint32_t expected = U32(R[0]);
    __atomic_compare_exchange_n(reinterpret_cast<uint32_t*>(a), &expected, U32(S), false,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    R[0] = expected;  // the old value either way
  }
  NEXT();
  OP(ACMPXCHG64) {
    const uint64_t a = ADDR(D);
    CHECKA(a, 8);
    uint64_t expected = R[0];
    __atomic_compare_exchange_n(reinterpret_cast<uint64_t*>(a), &expected, S, false,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    R[0] = expected;
  }
  NEXT();

  // ---- 64-bit immediate and legacy packet loads
  OP(LDDW) {
    D = U32(ip->imm) | (static_cast<uint64_t>(U32(ip[1].imm)) << 32);
    ip += 2;
    DISPATCH();
  }
#define PKTOP(name, n, offexpr, conv)             \
  OP(name) {                                      \
    const uint8_t* p;                             \
    if (!pkt_bytes(rs, R[6], (offexpr), n, &p)) { \
      R[0] = 0;                                   \
      goto L_done;                                \
    }                                             \
    R[0] = conv;                                  \
  }                                               \
  NEXT();
#define ABS_OFF static_cast<int64_t>(ip->imm)
#define IND_OFF static_cast<int64_t>(I32(U32(S) + U32(ip->imm)))
  PKTOP(LDABSB, 1, ABS_OFF, p[0])
  PKTOP(LDABSH, 2, ABS_OFF, __builtin_bswap16(ld<uint16_t>(reinterpret_cast<uint64_t>(p))))
  PKTOP(LDABSW, 4, ABS_OFF, __builtin_bswap32(ld<uint32_t>(reinterpret_cast<uint64_t>(p))))
  PKTOP(LDINDB, 1, IND_OFF, p[0])
  PKTOP(LDINDH, 2, IND_OFF, __builtin_bswap16(ld<uint16_t>(reinterpret_cast<uint64_t>(p))))
  PKTOP(LDINDW, 4, IND_OFF, __builtin_bswap32(ld<uint32_t>(reinterpret_cast<uint64_t>(p))))
#undef PKTOP
#undef ABS_OFF
#undef IND_OFF

  // ---- jumps (create() stored the delta of ja/gotol in imm)
  OP(JA) ip += ip->imm;
  NEXT();
  // may_goto: fall through while the run's loop budget lasts, jump once it is exhausted.
  OP(MAYGOTO) {
    uint64_t& left = *m.loops;
    if (left == 0) {
      ip += ip->imm;
    } else {
      --left;
    }
  }
  NEXT();
#define JCC(name, cond)             \
  OP(name) if (cond) ip += ip->off; \
  NEXT();
  JCC(JEQK, D == IMM)
  JCC(JEQX, D == S)
  JCC(JGTK, D > IMM)
  JCC(JGTX, D > S)
  JCC(JGEK, D >= IMM)
  JCC(JGEX, D >= S)
  JCC(JSETK, (D & IMM) != 0)
  JCC(JSETX, (D & S) != 0)
  JCC(JNEK, D != IMM)
  JCC(JNEX, D != S)
  JCC(JSGTK, I64(D) > I64(ip->imm))
  JCC(JSGTX, I64(D) > I64(S))
  JCC(JSGEK, I64(D) >= I64(ip->imm))
  JCC(JSGEX, I64(D) >= I64(S))
  JCC(JLTK, D < IMM)
  JCC(JLTX, D < S)
  JCC(JLEK, D <= IMM)
  JCC(JLEX, D <= S)
  JCC(JSLTK, I64(D) < I64(ip->imm))
  JCC(JSLTX, I64(D) < I64(S))
  JCC(JSLEK, I64(D) <= I64(ip->imm))
  JCC(JSLEX, I64(D) <= I64(S))
  JCC(JEQ32K, U32(D) == U32(ip->imm))
  JCC(JEQ32X, U32(D) == U32(S))
  JCC(JGT32K, U32(D) > U32(ip->imm))
  JCC(JGT32X, U32(D) > U32(S))
  JCC(JGE32K, U32(D) >= U32(ip->imm))
  JCC(JGE32X, U32(D) >= U32(S))
  JCC(JSET32K, (U32(D) & U32(ip->imm)) != 0)
  JCC(JSET32X, (U32(D) & U32(S)) != 0)
  JCC(JNE32K, U32(D) != U32(ip->imm))
  JCC(JNE32X, U32(D) != U32(S))
  JCC(JSGT32K, I32(D) > ip->imm)
  JCC(JSGT32X, I32(D) > I32(S))
  JCC(JSGE32K, I32(D) >= ip->imm)
  JCC(JSGE32X, I32(D) >= I32(S))
  JCC(JLT32K, U32(D) < U32(ip->imm))
  JCC(JLT32X, U32(D) < U32(S))
  JCC(JLE32K, U32(D) <= U32(ip->imm))
  JCC(JLE32X, U32(D) <= U32(S))
  JCC(JSLT32K, I32(D) < ip->imm)
  JCC(JSLT32X, I32(D) < I32(S))
  JCC(JSLE32K, I32(D) <= ip->imm)
  JCC(JSLE32X, I32(D) <= I32(S))
#undef JCC

  // ---- calls
  OP(CALL) {
    R[0] = helpers[ip->imm](R[1], R[2], R[3], R[4], R[5]);
    if (rs->stop) {
      if (m.fault != Fault::kNone && !m.fault_in_callback) goto L_fault;  // from call_function
      R[0] = rs->stop_value;
      goto L_done;
    }
  }
  NEXT();
  OP(CALLX) {
    const uint64_t id = D;
    if (id >= nhelpers || helpers[id] == nullptr) {
      m.fault_addr = id;
      FAULT(kBadCallx);
    }
    R[0] = helpers[id](R[1], R[2], R[3], R[4], R[5]);
    if (rs->stop) {
      if (m.fault != Fault::kNone && !m.fault_in_callback) goto L_fault;
      R[0] = rs->stop_value;
      goto L_done;
    }
  }
  NEXT();
  OP(TAILCALL) {
    // bpf_tail_call(ctx, prog_array, index): on success the target replaces this program in
    // the current frame; otherwise execution falls through.
    const TailCallTargetFn fn = rs->hooks.tail_call_target;
    if (fn == nullptr || rs->tail_calls >= static_cast<uint32_t>(isa::kMaxTailCalls)) NEXT();
    const auto* target = static_cast<const Interpreter*>(fn(R[2], R[3]));
    if (target == nullptr) NEXT();
    if (target->magic_ != Interpreter::kMagic) FAULT(kBadTailTarget);
    ++rs->tail_calls;
    *m.loops = isa::kMaxLoops;  // the target's prologue sets its own may_goto budget
    rs->program = target;
    SWITCH_PROG(target);
    ip = base;
    DISPATCH();
  }
  OP(CALLLOCAL) {
    if (depth + 1 >= static_cast<unsigned>(isa::kMaxCallFrames)) FAULT(kCallDepth);
    Frame& f = frames[depth++];
    f.ret = ip + 1;
    f.prog = cur;
    f.saved[0] = R[6];
    f.saved[1] = R[7];
    f.saved[2] = R[8];
    f.saved[3] = R[9];
    f.fp = R[10];
    f.loops = *m.loops;
    *m.loops = isa::kMaxLoops;
    R[10] = stack_top - depth * kFrameBytes;
    ip += 1 + ip->imm;
    DISPATCH();
  }
  OP(EXIT) {
    if (depth == 0) goto L_done;
    const Frame& f = frames[--depth];
    R[6] = f.saved[0];
    R[7] = f.saved[1];
    R[8] = f.saved[2];
    R[9] = f.saved[3];
    R[10] = f.fp;
    *m.loops = f.loops;
    ip = f.ret;
    if (f.prog != cur) SWITCH_PROG(f.prog);
    DISPATCH();
  }
  OP(LDDWHI) FAULT(kLddwHalf);
  OP(END) FAULT(kFellOff);

L_fault:
  m.fault_prog = cur;
  m.fault_pc = static_cast<size_t>(ip - base);
  if constexpr (kChecked) m.executed = start_budget - budget - 1;  // the faulting one counted
  return 0;
L_done:
  if constexpr (kChecked) m.executed = start_budget - budget;
  return R[0];

#undef D
#undef S
#undef IMM
#undef U32
#undef I32
#undef I64
#undef FAULT
#undef DISPATCH
#undef NEXT
#undef OP
#undef ADDR
#undef CHECK
#undef CHECKW
#undef CHECKA
#undef SWITCH_PROG
}

template uint64_t interp_exec<false>(Machine&);
template uint64_t interp_exec<true>(Machine&);

namespace interp_detail {
const void* const* fast_labels() {
  static const void* const* table = [] {
    Machine m;
    interp_exec<false>(m);
    return reinterpret_cast<const void* const*>(m.fault_addr);
  }();
  return table;
}
}  // namespace interp_detail

}  // namespace bombus::vm
