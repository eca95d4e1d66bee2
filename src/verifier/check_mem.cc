// Loads, stores and atomics: the per-pointer-type access rules. Stack accesses track spills and
// per-byte initialisation; ctx accesses ask the platform table; map values, map keys and helper
// memory are bounds-checked with the pointer's variable offset; packet accesses need a range
// learned from a data_end comparison.
#include <cstdio>

#include "platform/program_types.h"
#include "verifier/btf_access.h"
#include "verifier/check_sock.h"
#include "verifier/engine.h"

namespace bombus::verifier {

using isa::Insn;

namespace {

constexpr int64_t kMaxVarOff = 1ll << 29;

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

// The kernel struct a map pointer points at, as the kernel names it in map_ptr messages.
const char* map_struct_name(platform::MapType t) {
  using M = platform::MapType;
  switch (t) {
    case M::kArray:
    case M::kPercpuArray:
    case M::kProgArray:
    case M::kPerfEventArray:
    case M::kCgroupArray:
    case M::kArrayOfMaps:
      return "bpf_array";
    case M::kHash:
    case M::kPercpuHash:
    case M::kLruHash:
    case M::kLruPercpuHash:
    case M::kHashOfMaps:
      return "bpf_htab";
    default:
      return "bpf_map";
  }
}

}  // namespace

bool Engine::check_stack_access(const Reg& ptr, int regno, int off, int size, bool write,
                                int value_reg, const Reg* stored, bool sign_ext) {
  Frame& fr = st_.frames[ptr.frameno];
  const char* extra = write ? " write to" : " read from";
  if (!ptr.var.is_const()) {
    int64_t lo = ptr.off + off + ptr.var.smin, hi = ptr.off + off + ptr.var.smax;
    if (ptr.var.smin < -kMaxVarOff || ptr.var.smax > kMaxVarOff || lo < -isa::kStackSize ||
        hi + size > 0)
      return fail(fmt("invalid variable-offset%s stack R%d var_off=%s off=%d size=%d", extra, regno,
                      ptr.var.var.str().c_str(), ptr.off + off, size));
    max_stack_[fr.subprog] = std::max<int32_t>(max_stack_[fr.subprog], static_cast<int32_t>(-lo));
    for (int64_t t = lo; t < hi + size; ++t) {
      int i = static_cast<int>((-t - 1) / 8), k = static_cast<int>(t + (i + 1) * 8);
      StackSlot& sl = fr.slot(i);
      if (write) {
        if (sl.is_spill()) sl.scrub_spill();
        // A byte the write may miss stays uninitialised unless uninitialised reads are allowed
        // anyway (the kernel's privileged rule); marking it would accept reads of garbage.
        if (sl.bytes[k] != SlotType::kInvalid || opts_.allow_uninit_stack)
          sl.bytes[k] = SlotType::kMisc;
      } else if (sl.bytes[k] == SlotType::kInvalid && !opts_.allow_uninit_stack) {
        return fail(fmt("invalid variable-offset read from stack R%d var_off=%s off=%d size=%d",
                        regno, ptr.var.var.str().c_str(), ptr.off + off, size),
                    "write every byte of the stack buffer before reading it");
      }
    }
    if (!write && value_reg >= 0) reg(value_reg) = Reg::scalar(Scalar::unknown_bytes(size));
    return true;
  }
  const int64_t t0 = ptr.off + off + static_cast<int64_t>(ptr.var.const_value());
  if (t0 < -isa::kStackSize || t0 + size > 0)
    return fail(fmt("invalid%s stack R%d off=%d size=%d", extra, regno, static_cast<int>(t0), size),
                "the stack is the 512 bytes below r10: offsets from -512 to -1");
  if (t0 % size != 0)
    return fail(fmt("misaligned stack access off %s+%d+%d size %d", ptr.var.var.str().c_str(),
                    ptr.off, off, size));
  const int t = static_cast<int>(t0);
  max_stack_[fr.subprog] = std::max(max_stack_[fr.subprog], -t);
  const int i = (-t - 1) / 8, k0 = t + (i + 1) * 8;
  StackSlot& sl = fr.slot(i);
  if (write) {
    if (size == 8 && stored) {
      sl.spilled = *stored;
      sl.bytes.fill(SlotType::kSpill);
      return true;
    }
    if (stored && stored->is_pointer()) return fail("invalid size of register spill");
    if (stored && stored->type == RegType::kScalar && k0 == 0) {
      // Narrow spill (the kernel's, for privileged programs): a scalar stored at the start of
      // a slot keeps its bounds for a fill of the same or a smaller size. The link to other
      // registers (id) survives only when the value fits in the stored bytes.
      Reg v = *stored;
      if (v.var.umax >> (size * 8)) v.id = 0;
      v.var.truncate(size);
      if (sl.is_spill()) sl.scrub_spill();
      sl.spilled = v;
      for (int k = 0; k < 8; ++k) {
        if (k < size)
          sl.bytes[k] = SlotType::kSpill;
        else if (sl.bytes[k] == SlotType::kSpill)
          sl.bytes[k] = SlotType::kMisc;
      }
      return true;
    }
    bool zero = stored && stored->type == RegType::kScalar && stored->var.is_const() &&
                stored->var.const_value() == 0;
    if (sl.is_spill()) sl.scrub_spill();
    for (int k = k0; k < k0 + size; ++k) sl.bytes[k] = zero ? SlotType::kZero : SlotType::kMisc;
    return true;
  }
  Reg out;
  const int spill_size = sl.spill_size();
  if (spill_size == 8 && size == 8) {
    out = sl.spilled;
  } else if (spill_size > 0 && sl.spilled.type != RegType::kScalar) {
    return fail("invalid size of register fill");
  } else if (spill_size > 0 && k0 == 0 && size <= spill_size) {
    // Narrow fill of a spilled scalar: its value cut to `size` bytes; still linked by id when
    // the cut (and a sign extension) cannot change it.
    out = sl.spilled;
    const int bits = size * 8 - (sign_ext ? 1 : 0);
    if (bits < 64 && (out.var.umax >> bits)) out.id = 0;
    out.var.truncate(size);
  } else if (spill_size > 0) {
    int spill_cnt = 0, zero_cnt = 0;
    for (int k = k0; k < k0 + size; ++k) {
      SlotType b = sl.bytes[k];
      if (b == SlotType::kSpill) ++spill_cnt;
      if (b == SlotType::kZero) ++zero_cnt;
      if (b == SlotType::kInvalid && !opts_.allow_uninit_stack)
        return fail(fmt("invalid read from stack off %d+%d size %d", t, k - k0, size));
    }
    const bool spill_zero =
        spill_cnt == size && sl.spilled.var.is_const() && sl.spilled.var.const_value() == 0;
    out = spill_zero || zero_cnt == size ? Reg::constant(0)
                                         : Reg::scalar(Scalar::unknown_bytes(size));
  } else {
    bool all_zero = true;
    for (int k = k0; k < k0 + size; ++k) {
      SlotType b = sl.bytes[k];
      if (b == SlotType::kInvalid && !opts_.allow_uninit_stack)
        return fail(fmt("invalid read from stack off %d+%d size %d", t, k - k0, size),
                    "write every byte of the stack variable before reading it (e.g. "
                    "__builtin_memset)");
      if (b != SlotType::kZero) all_zero = false;
    }
    out = all_zero ? Reg::constant(0) : Reg::scalar(Scalar::unknown_bytes(size));
  }
  if (value_reg >= 0) {
    if (sign_ext && out.type == RegType::kScalar && size < 8) out.var.sext(size * 8);
    reg(value_reg) = out;
  }
  return true;
}

// Region [0, mem_size) accessed at ptr.off + off + var, `size` bytes.
static bool region_ok(Engine& e, const Reg& ptr, int regno, int off, int64_t size,
                      uint32_t mem_size, const char* what_fmt) {
  const int64_t base = static_cast<int64_t>(ptr.off) + off;
  const Scalar& v = ptr.var;
  auto msg = [&](int64_t at) {
    return fmt(what_fmt, mem_size, static_cast<int>(at), static_cast<int>(size));
  };
  if (v.smin < 0 && (v.smin == std::numeric_limits<int64_t>::min() || v.smin + base < 0)) {
    if (!v.is_const())
      return e.fail(
          fmt("R%d min value is negative, either use unsigned index or 'var &= const'", regno),
          "the index can be negative here; check it with an unsigned comparison first");
  }
  int64_t lo = base + (v.is_const() ? static_cast<int64_t>(v.const_value()) : v.smin);
  if (lo < 0 || lo + size > mem_size) {
    return e.fail(
        msg(lo) + (v.is_const()
                       ? ""
                       : fmt("\nR%d min value is outside of the allowed memory range", regno)),
        "the access is past the end (or before the start) of the object");
  }
  if (!v.is_const()) {
    if (v.umax >= static_cast<uint64_t>(kMaxVarOff))
      return e.fail(
          fmt("R%d unbounded memory access, make sure to bounds check any such access", regno),
          "compare the index against the object's size before using it");
    int64_t hi = base + static_cast<int64_t>(v.umax);
    if (hi + size > mem_size)
      return e.fail(msg(hi) + fmt("\nR%d max value is outside of the allowed memory range", regno),
                    "the largest possible index reaches past the end; tighten the bounds check");
  }
  return true;
}

bool Engine::check_mem_access(int regno, int off, int size, bool write, int value_reg,
                              bool sign_ext, const Reg* stored) {
  Reg ptr = reg(regno);
  const std::string rn = "R" + std::to_string(regno);
  if (ptr.type == RegType::kNotInit) return check_reg_read(regno);
  if (ptr.type == RegType::kScalar || ptr.maybe_null) {
    std::string hint = ptr.maybe_null
                           ? "check the pointer against NULL before dereferencing it"
                           : "only pointers can be dereferenced; this register holds a number";
    return fail(rn + " invalid mem access '" + reg_type_name(ptr) + "'", hint);
  }
  if (ptr.type == RegType::kBtfId && ptr.sock != SockKind::kNone)
    return check_sock_access(*this, regno, off, size, write, value_reg, sign_ext);
  auto set_value = [&](Reg r) {
    if (value_reg < 0) return;
    if (sign_ext && r.type == RegType::kScalar && size < 8) r.var.sext(size * 8);
    reg(value_reg) = r;
  };
  switch (ptr.type) {
    case RegType::kStack:
      return check_stack_access(ptr, regno, off, size, write, value_reg, stored, sign_ext);
    case RegType::kCtx: {
      if (!ptr.var.is_const() || ptr.var.const_value() != 0)
        return fail("variable ctx access var_off=" + ptr.var.var.str() + " disallowed");
      if (ptr.off != 0)
        return fail(fmt("dereference of modified ctx ptr R%d off=%d disallowed", regno, ptr.off),
                    "load ctx fields through the original ctx pointer (r1 at entry)");
      if (prog_.type == platform::ProgType::kTracing)  // args typed by BTF (btf_access.cc)
        return check_tracing_ctx(*this, off, size, write, value_reg);
      // Storing a pointer's value into a ctx field is a leak the kernel allows privileged
      // programs (allow_ptr_leaks); the field only ever holds the number.
      auto res = platform::check_ctx_access(*pinfo_, off, size, write, prog_.expected_attach_type);
      if (!res.ok())
        return fail(res.error.empty() ? fmt("invalid bpf_context access off=%d size=%d", off, size)
                                      : res.error,
                    "this program type's context has no field of that size at that offset");
      if (write) return true;
      Reg v;
      switch (res.access->kind) {
        case platform::FieldKind::kScalar:
          v = Reg::scalar(Scalar::unknown_bytes(size));
          break;
        case platform::FieldKind::kPktData:
          v = Reg::pointer(RegType::kPacket);
          break;
        case platform::FieldKind::kPktEnd:
          v = Reg::pointer(RegType::kPacketEnd);
          break;
        case platform::FieldKind::kPktMeta:
          v = Reg::pointer(RegType::kPacketMeta);
          break;
        case platform::FieldKind::kPtrOrNull:
          v = Reg::pointer(RegType::kBtfId);
          v.maybe_null = true;
          v.id = new_id();
          break;
        case platform::FieldKind::kSocket:  // PTR_TO_SOCKET (sock_addr/sk_msg/sockopt->sk)
          v = Reg::pointer(RegType::kBtfId);
          v.sock = SockKind::kSock;
          break;
        default:  // socket pointers (check_sock.cc)
          v = sock_ctx_pointer(res.access->kind, new_id());
          break;
      }
      set_value(v);
      return true;
    }
    case RegType::kPacket:
    case RegType::kPacketMeta: {
      if (write && !pinfo_->packet_write)
        return fail("cannot write into packet", "this program type may only read packet data");
      if (ptr.var.smin < 0)
        return fail(
            fmt("R%d min value is negative, either use unsigned index or 'var &= const'", regno));
      if (ptr.var.umax + ptr.off + off > 0xffff)
        return fail(fmt("R%d offset is outside of the packet", regno));
      int total = ptr.off + off;
      if (total < 0 || total + size > ptr.range) {
        return fail(fmt("invalid access to packet, off=%d size=%d, R%d(id=%u,off=%d,r=%d)", total,
                        size, regno, ptr.id, total, ptr.range),
                    "compare the packet pointer (plus the bytes you read) against data_end before "
                    "reading");
      }
      if (opts_.strict_alignment && (2 + total + ptr.var.var.value) % size != 0)
        return fail(fmt("misaligned packet access off %d+%s+%d+%d size %d", 2,
                        ptr.var.var.str().c_str(), ptr.off, off, size));
      set_value(Reg::scalar(Scalar::unknown_bytes(size)));
      return true;
    }
    case RegType::kMapValue: {
      const MapInfo* m = map_of(ptr);
      if (!m) return fail("invalid map reference");
      if (write && (m->flags & platform::kFRdonlyProg))
        return fail(fmt("write into map forbidden, value_size=%d off=%d size=%d", m->value_size,
                        ptr.off + off, size));
      if (!write && (m->flags & platform::kFWronlyProg))
        return fail(fmt("read from map forbidden, value_size=%d off=%d size=%d", m->value_size,
                        ptr.off + off, size));
      if (!region_ok(*this, ptr, regno, off, size, m->value_size,
                     "invalid access to map value, value_size=%u off=%d size=%d"))
        return false;
      if (m->spin_lock_off >= 0 && ptr.var.is_const()) {
        int64_t a = ptr.off + off + static_cast<int64_t>(ptr.var.const_value());
        if (a < m->spin_lock_off + 4 && a + size > m->spin_lock_off)
          return fail("bpf_spin_lock cannot be accessed directly by load/store");
      }
      if (m->timer_off >= 0 && ptr.var.is_const()) {
        int64_t a = ptr.off + off + static_cast<int64_t>(ptr.var.const_value());
        if (a < m->timer_off + 16 && a + size > m->timer_off)
          return fail("bpf_timer cannot be accessed directly by load/store");
      }
      set_value(Reg::scalar(Scalar::unknown_bytes(size)));
      return true;
    }
    case RegType::kMapKey: {
      const MapInfo* m = map_of(ptr);
      if (!m) return fail("invalid map reference");
      if (write) return fail(rn + " cannot write into map_key");
      if (!region_ok(*this, ptr, regno, off, size, m->key_size,
                     "invalid access to map key, key_size=%u off=%d size=%d"))
        return false;
      set_value(Reg::scalar(Scalar::unknown_bytes(size)));
      return true;
    }
    case RegType::kMem: {
      if (write && ptr.rdonly) return fail(rn + " cannot write into " + reg_type_name(ptr));
      if (!region_ok(*this, ptr, regno, off, size, ptr.mem_size,
                     "invalid access to memory, mem_size=%u off=%d size=%d"))
        return false;
      set_value(Reg::scalar(Scalar::unknown_bytes(size)));
      return true;
    }
    case RegType::kConstMapPtr: {
      // The kernel lets privileged programs read struct bpf_map through BTF. bombus's map
      // pointers are its own objects, not kernel structs, so it keeps the kernel's refusals and
      // refuses the reads it cannot honour at run time as well.
      const MapInfo* m = map_of(ptr);
      const char* sname = m ? map_struct_name(m->type) : "bpf_map";
      const int64_t at = ptr.off + off;
      if (at < 0)
        return fail(fmt("%s is %s invalid negative access: off=%d", rn.c_str(), sname,
                        static_cast<int>(at)));
      if (write) return fail(fmt("only read from %s is supported", sname));
      return fail(fmt("%s reads struct %s at off=%d size=%d: kernel map fields are not available "
                      "in bombus",
                      rn.c_str(), sname, static_cast<int>(at), size),
                  "read the map's properties in user space and pass them in a global or map");
    }
    case RegType::kBtfId:  // kernel structs walked through BTF (btf_access.cc)
      return check_btf_access(*this, ptr, regno, off, size, write, value_reg, sign_ext);
    default:
      return fail(rn + " invalid mem access '" + reg_type_name(ptr) + "'");
  }
}

// The ctx rewrite patches a load/store once, so one instruction may not see a ctx pointer on one
// path and another pointer type on another (the kernel's rule).
bool Engine::check_base_type(int regno) {
  auto t = static_cast<uint8_t>(static_cast<uint8_t>(reg(regno).type) + 1);
  uint8_t& prev = base_type_[pc_];
  if (prev == 0) {
    prev = t;
    return true;
  }
  const uint8_t ctx = static_cast<uint8_t>(RegType::kCtx) + 1,
                btf = static_cast<uint8_t>(RegType::kBtfId) + 1;
  if (prev != t && (prev == ctx || t == ctx || prev == btf || t == btf))
    return fail("same insn cannot be used with different pointers");
  return true;
}

bool Engine::do_load(const Insn& insn) {
  if (!check_reg_read(insn.src)) return false;
  if (reg(insn.src).is_pointer() && !check_base_type(insn.src)) return false;
  if (insn.dst == isa::kFramePointer) return fail("frame pointer is read only");
  bool sx = isa::op_info(insn.opcode).kind == isa::OpKind::Ldxsx;
  return check_mem_access(insn.src, insn.off, isa::size_bytes(insn.opcode), false, insn.dst, sx);
}

bool Engine::do_store(const Insn& insn) {
  const bool stx = isa::op_info(insn.opcode).kind == isa::OpKind::Stx;
  if (!check_reg_read(insn.dst)) return false;
  if (reg(insn.dst).is_pointer() && !check_base_type(insn.dst)) return false;
  Reg value;
  if (stx) {
    if (!check_reg_read(insn.src)) return false;
    value = reg(insn.src);
  } else {
    value = Reg::constant(static_cast<uint64_t>(static_cast<int64_t>(insn.imm)));
    if (reg(insn.dst).type == RegType::kCtx && prog_.type != platform::ProgType::kSyscall)
      return fail("BPF_ST stores into R" + std::to_string(insn.dst) + " ctx is not allowed");
  }
  int size = isa::size_bytes(insn.opcode);
  // A scalar spilled whole into a stack slot stays linked to its register (the kernel's
  // assign_scalar_id_before_mov): a later comparison of either refines both.
  if (stx && value.type == RegType::kScalar && value.id == 0 && !value.var.is_const() &&
      (size == 8 || (value.var.umax >> (size * 8)) == 0)) {
    const Reg& d = reg(insn.dst);
    if (d.type == RegType::kStack && d.var.is_const() &&
        (d.off + insn.off + static_cast<int64_t>(d.var.const_value())) % 8 == 0) {
      reg(insn.src).id = new_id();
      value.id = reg(insn.src).id;
    }
  }
  // The stored register's full value: a stack spill cuts it (and decides whether its id
  // survives); other memory only looks at the type.
  return check_mem_access(insn.dst, insn.off, size, true, -1, false, &value);
}

bool Engine::do_atomic(const Insn& insn) {
  const int size = isa::size_bytes(insn.opcode);
  if (size != 4 && size != 8) return fail("invalid atomic operand size");
  if (!check_reg_read(insn.src) || !check_reg_read(insn.dst)) return false;
  const int32_t op = insn.imm;
  const bool fetch = op & isa::kAtomicFetch;
  const bool cmpxchg = op == isa::kAtomicCmpxchg;
  switch (op & ~isa::kAtomicFetch) {
    case isa::kAtomicAdd:
    case isa::kAtomicOr:
    case isa::kAtomicAnd:
    case isa::kAtomicXor:
    case isa::kAtomicXchg & ~isa::kAtomicFetch:
    case isa::kAtomicCmpxchg & ~isa::kAtomicFetch:
      break;
    default:
      return fail(fmt("BPF_ATOMIC uses invalid atomic opcode %02x", op));
  }
  if (cmpxchg && !check_reg_read(0)) return false;
  // A pointer operand only contributes its value (a privileged leak the kernel allows); what
  // is read back is a number.
  const Reg& d = reg(insn.dst);
  if (d.type == RegType::kCtx || d.is_pkt())
    return fail(fmt("BPF_ATOMIC stores into R%d %s is not allowed", insn.dst, reg_type_name(d)));
  // Atomics are always alignment-checked (the kernel's strict_alignment_once): every possible
  // address must be a multiple of the operand size.
  if (d.type == RegType::kMapValue || d.type == RegType::kMapKey || d.type == RegType::kMem) {
    const uint64_t low = static_cast<uint64_t>(size - 1);
    const uint64_t fixed = static_cast<uint64_t>(static_cast<int64_t>(d.off) + insn.off);
    if (((d.var.var.value + fixed) & low) != 0 || (d.var.var.mask & low) != 0) {
      const char* what = d.type == RegType::kMapValue ? "value "
                         : d.type == RegType::kMapKey ? "key "
                                                      : "";
      // The kernel prints a constant variable part as a plain number ("off 0+0+3").
      std::string var = d.var.var.is_const() ? std::to_string(d.var.var.value) : d.var.var.str();
      return fail(fmt("misaligned %saccess off %s+%d+%d size %d", what, var.c_str(), d.off,
                      insn.off, size));
    }
  }
  // Read then write the location (the read proves it is initialised).
  int load_into = cmpxchg ? 0 : (fetch ? insn.src : -1);
  Reg tmp_src = reg(insn.src);
  if (!check_mem_access(insn.dst, insn.off, size, false, load_into, false)) return false;
  if (load_into >= 0 && reg(load_into).type != RegType::kScalar) reg(load_into) = Reg::unknown();
  Reg unknown = Reg::scalar(Scalar::unknown_bytes(size));
  return check_mem_access(insn.dst, insn.off, size, true, -1, false, &unknown) ||
         (void(tmp_src), false);
}

bool Engine::do_lddw(const Insn& insn, const Insn& next) {
  Reg& d = reg(insn.dst);
  switch (insn.src) {
    case 0:
      d = Reg::constant(isa::lddw_imm64(insn, next));
      return true;
    case isa::kPseudoMapFd:
    case isa::kPseudoMapIdx:
    case isa::kPseudoMapValue:
    case isa::kPseudoMapIdxValue: {
      if (insn.imm < 0 || insn.imm >= static_cast<int32_t>(prog_.maps.size()))
        return fail(fmt("fd %d is not pointing to valid bpf_map", insn.imm));
      const MapInfo& m = prog_.maps[insn.imm];
      if (insn.src == isa::kPseudoMapFd || insn.src == isa::kPseudoMapIdx) {
        d = Reg::pointer(RegType::kConstMapPtr);
        d.map = insn.imm;
        return true;
      }
      if (static_cast<uint32_t>(next.imm) >= m.value_size)
        return fail(fmt("invalid access to map value pointer, value_size=%u off=%u", m.value_size,
                        static_cast<uint32_t>(next.imm)));
      d = Reg::pointer(RegType::kMapValue);
      d.map = insn.imm;
      d.off = next.imm;
      return true;
    }
    case isa::kPseudoFunc:
      d = Reg::pointer(RegType::kFunc);
      d.subprog = pc_ + insn.imm + 1;
      return true;
    case isa::kPseudoBtfId:
      d = Reg::pointer(RegType::kBtfId);
      return true;
    default:
      return fail("invalid BPF_LD_IMM insn");
  }
}

bool Engine::do_ld_abs(const Insn& insn) {
  if (!pinfo_->ld_abs)
    return fail("BPF_LD_[ABS|IND] instructions not allowed for this program type");
  if (st_.lock_id) return fail("BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
  if (!st_.refs.empty()) return fail("BPF_LD_[ABS|IND] cannot be mixed with socket references");
  // BTF says this subprogram returns no scalar: its hidden exit could not return 0.
  const int sub = st_.cur().subprog;
  for (const FuncInfo& f : prog_.funcs)
    if (sub > 0 && f.insn == cfg_.subprog_starts[sub] && !f.returns_scalar)
      return fail("LD_ABS is only allowed in functions that return 'int'.",
                  "declare the function as returning int");
  if (!check_reg_read(6)) return false;
  if (reg(6).type != RegType::kCtx)
    return fail("at the time of BPF_LD_ABS|IND R6 != pointer to skb");
  if (isa::op_info(insn.opcode).kind == isa::OpKind::LdInd && !check_reg_read(insn.src))
    return false;
  for (int r = 1; r <= 5; ++r) reg(r) = Reg{};
  reg(0) = Reg::scalar(Scalar::unknown_bytes(isa::size_bytes(insn.opcode)));
  // A load past the packet ends the function with r0 = 0 (the kernel's hidden exit after
  // LD_ABS). In a subprogram that returns to the caller, which must handle it: explore both.
  if (st_.frames.size() > 1 && !st_.cur().callback) {
    push_branch(st_, pc_ + 1);
    reg(0) = Reg::constant(0);
    return do_exit();
  }
  return true;
}

}  // namespace bombus::verifier
