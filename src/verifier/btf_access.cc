// BTF struct walking for loads through BTF-typed pointers, and the BTF-typed context of tracing
// programs (see btf_access.h). Kernel semantics, bombus's own code: the walk descends through
// nested structs, unions and array elements until the access lands in one member; a pointer
// member must be read whole and gives an untrusted PTR_TO_BTF_ID of its pointee, any other member
// a scalar, and an access that straddles members or runs past the struct is refused with the
// kernel's message.
#include "verifier/btf_access.h"

#include <cstdio>

#include "btf/btf.h"
#include "isa/uapi_types.h"
#include "verifier/engine.h"
#include "verifier/kfunc_table.h"

namespace bombus::verifier {

namespace {

using btf::Kind;

std::string fmt(const char* f, auto... args) {
  char buf[320];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

// The BTF the last walk on this thread used, for register text (reg_str has no Engine).
thread_local std::shared_ptr<const btf::Btf> t_print_btf;

std::shared_ptr<const btf::Btf> kernel_btf(const Engine& e) {
  std::shared_ptr<const btf::Btf> b = e.prog_.kernel_btf ? e.prog_.kernel_btf() : nullptr;
  if (b) t_print_btf = b;
  return b;
}

bool is_scalar_kind(Kind k) {
  return k == Kind::kInt || k == Kind::kEnum || k == Kind::kEnum64 || k == Kind::kFloat;
}

BtfWalk walk_error(std::string msg) {
  BtfWalk w;
  w.error = std::move(msg);
  return w;
}

BtfWalk walk_scalar() {
  BtfWalk w;
  w.ok = true;
  return w;
}

// Member type after modifiers and typedefs, its size and, for (multi-dimensional) arrays, the
// innermost element type and size.
struct MemberShape {
  uint32_t id = 0;         // the member's type (arrays: the innermost element's)
  uint32_t size = 0;       // whole member in bytes
  uint32_t elem_size = 0;  // arrays: one innermost element; else == size
  bool array = false;
};

std::optional<MemberShape> member_shape(const btf::Btf& b, uint32_t type) {
  MemberShape s;
  s.id = b.skip_modifiers(type);
  auto total = b.resolve_size(s.id);
  if (!total.ok()) return std::nullopt;
  s.size = *total;
  while (b.kind(s.id) == Kind::kArray) {
    s.array = true;
    s.id = b.skip_modifiers(b.type(s.id).array().type);
  }
  if (s.array) {
    auto es = b.resolve_size(s.id);
    if (!es.ok() || *es == 0) return std::nullopt;
    s.elem_size = *es;
  } else {
    s.elem_size = s.size;
  }
  return s;
}

}  // namespace

BtfWalk btf_struct_walk(const btf::Btf& b, uint32_t type_id, int64_t off, int size) {
  uint32_t id = b.skip_modifiers(type_id);
  bool in_union = false;
  for (int depth = 0; depth < 64; ++depth) {
    const btf::Type t = b.type(id);
    const std::string tname(t.name());
    if (is_scalar_kind(t.kind()) && off >= 0 && off + size <= t.size()) return walk_scalar();
    if (!t.is_struct_or_union()) return walk_error(fmt("Type '%s' is not a struct", tname.c_str()));
    if (t.kind() == Kind::kUnion) in_union = true;
    if (off + size > t.size()) {
      // Past the end: only into a flexible array that ends the struct (element by element).
      const uint16_t n = t.vlen();
      std::optional<MemberShape> last;
      uint32_t last_off = 0;
      if (n > 0) {
        const btf::Member m = t.member(n - 1);
        last_off = m.bit_offset / 8;
        const uint32_t mid = b.skip_modifiers(m.type);
        if (b.kind(mid) == Kind::kArray && b.type(mid).array().nelems == 0) {
          last = MemberShape{};
          last->id = b.skip_modifiers(b.type(mid).array().type);
          auto es = b.resolve_size(last->id);
          last->elem_size = es.ok() ? *es : 0;
        }
      }
      if (!last || last->elem_size == 0 || off < last_off)
        return walk_error(fmt("access beyond struct %s at off %u size %u", tname.c_str(),
                              static_cast<uint32_t>(off), static_cast<uint32_t>(size)));
      const Kind ek = b.kind(last->id);
      if (is_scalar_kind(ek) && static_cast<uint32_t>(size) == last->elem_size)
        return walk_scalar();
      if (ek != Kind::kStruct && ek != Kind::kUnion)
        return walk_error(fmt("access beyond struct %s at off %u size %u", tname.c_str(),
                              static_cast<uint32_t>(off), static_cast<uint32_t>(size)));
      off = (off - last_off) % last->elem_size;
      id = last->id;
      continue;
    }
    bool descended = false;
    for (uint16_t i = 0; i < t.vlen(); ++i) {
      const btf::Member m = t.member(i);
      uint32_t moff = m.bit_offset / 8;
      const std::string mname(m.name);
      if (m.bitfield_size) {
        // A load covering the whole bit field (rounded out to bytes) is a scalar; otherwise the
        // access may be to a later member.
        const uint32_t end_byte = (m.bit_offset + m.bitfield_size + 7) / 8;
        if (off <= moff && end_byte <= off + size) return walk_scalar();
        continue;
      }
      if (off < moff) break;
      std::optional<MemberShape> s = member_shape(b, m.type);
      if (!s) return walk_error(fmt("field %s doesn't have size", mname.c_str()));
      const uint32_t mtrue_end = moff + s->size;
      if (off >= mtrue_end) continue;
      uint32_t msize = s->size;
      if (s->array) {
        moff += static_cast<uint32_t>((off - moff) / s->elem_size) * s->elem_size;
        msize = s->elem_size;
      }
      const btf::Type mt = b.type(s->id);
      if (mt.is_struct_or_union()) {
        off -= moff;
        id = s->id;
        descended = true;
        break;
      }
      if (mt.kind() == Kind::kPtr) {
        if (msize != static_cast<uint32_t>(size) || off != moff)
          return walk_error(
              fmt("cannot access ptr member %s with moff %u in struct %s with off %u size %u",
                  mname.c_str(), moff, tname.c_str(), static_cast<uint32_t>(off),
                  static_cast<uint32_t>(size)));
        BtfWalk w;
        w.ok = w.pointer = true;
        w.next_id = b.skip_modifiers(mt.ref());
        return w;
      }
      if (off + size > mtrue_end && !in_union)
        return walk_error(
            fmt("access beyond the end of member %s (mend:%u) in struct %s with off %u size %u",
                mname.c_str(), mtrue_end, tname.c_str(), static_cast<uint32_t>(off),
                static_cast<uint32_t>(size)));
      return walk_scalar();
    }
    if (!descended)
      return walk_error(
          fmt("struct %s doesn't have field at offset %d", tname.c_str(), static_cast<int>(off)));
  }
  return walk_error("BTF struct nesting is too deep");
}

uint32_t btf_reg_type_id(const btf::Btf& b, const Reg& r) {
  if (r.btf_id) return r.btf_id;
  const auto obj = static_cast<BtfObj>(r.mem_size);
  if (obj == BtfObj::kAny) return 0;
  return b.find(btf_obj_name(obj), Kind::kStruct).value_or(0);
}

void type_helper_btf_ret(int helper_id, Reg& r0) {
  constexpr int kGetCurrentTaskBtf = 158;
  if (helper_id == kGetCurrentTaskBtf) {
    r0.mem_size = static_cast<uint32_t>(BtfObj::kTask);
    r0.btf_flags = kBtfTrusted;
  }
}

const char* btf_reg_type_name(const Reg& r) {
  static const char* const kNames[3][2] = {{"ptr_", "ptr_or_null_"},
                                           {"trusted_ptr_", "trusted_ptr_or_null_"},
                                           {"untrusted_ptr_", "untrusted_ptr_or_null_"}};
  const int k = (r.btf_flags & kBtfUntrusted) ? 2 : (r.btf_flags & kBtfTrusted) ? 1 : 0;
  return kNames[k][r.maybe_null ? 1 : 0];
}

std::string btf_reg_struct_name(const Reg& r) {
  if (!t_print_btf) {
    const auto obj = static_cast<BtfObj>(r.mem_size);
    return r.btf_id == 0 && obj != BtfObj::kAny ? btf_obj_name(obj) : "";
  }
  const uint32_t id = btf_reg_type_id(*t_print_btf, r);
  return id ? std::string(t_print_btf->name(id)) : "";
}

bool check_btf_access(Engine& e, const Reg& ptr, int regno, int off, int size, bool write,
                      int value_reg, bool sign_ext) {
  const std::string rn = "R" + std::to_string(regno);
  std::shared_ptr<const btf::Btf> b = kernel_btf(e);
  const uint32_t id = b ? btf_reg_type_id(*b, ptr) : 0;
  if (id == 0)  // a pointer bombus cannot type (no kernel BTF, or an unknown object)
    return e.fail(rn + " invalid mem access '" + btf_reg_type_name(ptr) + "'",
                  b ? "bombus does not know the kernel type behind this pointer"
                    : "loads through kernel pointers need the kernel's BTF "
                      "(/sys/kernel/btf/vmlinux)");
  const std::string tname(b->name(id));
  const int64_t at = static_cast<int64_t>(ptr.off) + off;
  if (at < 0)
    return e.fail(fmt("%s is ptr_%s invalid negative access: off=%d", rn.c_str(), tname.c_str(),
                      static_cast<int>(at)));
  if (!ptr.var.is_const() || ptr.var.const_value() != 0)
    return e.fail(fmt("%s is ptr_%s invalid variable offset: off=%d, var_off=%s", rn.c_str(),
                      tname.c_str(), static_cast<int>(at), ptr.var.var.str().c_str()),
                  "kernel objects are read at constant offsets; index arrays with a constant");
  if (write)
    return e.fail("only read is supported",
                  "kernel objects are read-only to tracing programs; copy the value to the stack "
                  "or a map to change it");
  const BtfWalk w = btf_struct_walk(*b, id, at, size);
  if (!w.ok) return e.fail(w.error, "the load does not match a field of the kernel struct");
  e.rep_.facts[e.pc_].probe_mem = true;
  if (value_reg < 0) return true;
  Reg v;
  if (w.pointer) {
    v = Reg::pointer(RegType::kBtfId);
    v.btf_id = w.next_id;
    v.btf_flags = kBtfUntrusted;
  } else {
    v = Reg::scalar(Scalar::unknown_bytes(size));
    if (sign_ext && size < 8) v.var.sext(size * 8);
  }
  e.reg(value_reg) = v;
  return true;
}

namespace {

// A tracing program's view of its target: the FUNC_PROTO whose parameters the ctx holds.
struct TracingTarget {
  uint32_t proto = 0;
  int skip = 0;          // tp_btf: the prototype's first parameter (void *__data) is not in ctx
  bool has_ret = false;  // fexit / fmod_ret: the return value follows the arguments
  std::string name;
};

std::optional<TracingTarget> tracing_target(const btf::Btf& b, const Program& p, std::string* err) {
  using A = uapi::AttachType;
  TracingTarget t;
  t.name = p.attach_target;
  switch (p.expected_attach_type) {
    case A::kTraceRawTp: {
      auto td = b.find("btf_trace_" + p.attach_target, Kind::kTypedef);
      const uint32_t ptr = td ? b.skip_modifiers(*td) : 0;
      const uint32_t proto = b.kind(ptr) == Kind::kPtr ? b.skip_modifiers(b.type(ptr).ref()) : 0;
      if (b.kind(proto) != Kind::kFuncProto) {
        *err = "tp_btf target '" + p.attach_target + "' is not a tracepoint in the kernel's BTF";
        return std::nullopt;
      }
      t.proto = proto;
      t.skip = 1;
      return t;
    }
    case A::kTraceFentry:
    case A::kTraceFexit:
    case A::kModifyReturn: {
      auto fn = b.find(p.attach_target, Kind::kFunc);
      if (!fn || b.kind(b.type(*fn).ref()) != Kind::kFuncProto) {
        *err = "attach target '" + p.attach_target + "' is not a function in the kernel's BTF";
        return std::nullopt;
      }
      t.proto = b.type(*fn).ref();
      t.has_ret = p.expected_attach_type != A::kTraceFentry;
      return t;
    }
    default:
      *err = "unsupported program type 26 (attach type " +
             std::to_string(static_cast<uint32_t>(p.expected_attach_type)) + ")";
      return std::nullopt;
  }
}

}  // namespace

bool check_tracing_target(Engine& e) {
  std::shared_ptr<const btf::Btf> b = kernel_btf(e);
  if (!b)
    return e.fail("tracing programs need the kernel's BTF",
                  "bombus reads /sys/kernel/btf/vmlinux (or the loader's kernel_btf option)");
  std::string err;
  if (!tracing_target(*b, e.prog_, &err)) return e.fail(err);
  return true;
}

bool check_tracing_ctx(Engine& e, int off, int size, bool write, int value_reg) {
  const std::string invalid = fmt("invalid bpf_context access off=%d size=%d", off, size);
  constexpr int kMaxArgs = 12;
  if (write || off < 0 || off >= 8 * kMaxArgs || off % size != 0) return e.fail(invalid);
  std::shared_ptr<const btf::Btf> b = kernel_btf(e);
  std::string err;
  std::optional<TracingTarget> t = b ? tracing_target(*b, e.prog_, &err) : std::nullopt;
  if (!t) return e.fail(err.empty() ? invalid : err);
  const char* fn = t->name.c_str();
  if (off % 8 != 0)
    return e.fail(fmt("func '%s' offset %d is not multiple of 8\n", fn, off) + invalid);
  const btf::Type proto = b->type(t->proto);
  const int nr_args = proto.vlen() - t->skip;
  const int arg = off / 8;
  uint32_t type = 0;
  if (arg < nr_args) {
    type = proto.param(static_cast<uint32_t>(arg + t->skip)).type;
  } else if (arg == nr_args && t->has_ret) {
    type = proto.ref();
  } else {
    return e.fail(fmt("func '%s' doesn't have %d-th argument\n", fn, arg + 1) + invalid);
  }
  const uint32_t tid = b->skip_modifiers(type);
  const btf::Type at = b->type(tid);
  Reg v = Reg::scalar(Scalar::unknown_bytes(size));
  if (at.kind() == Kind::kPtr) {
    const uint32_t pointee = b->skip_modifiers(at.ref());
    const Kind pk = b->kind(pointee);
    if (pk == Kind::kStruct || pk == Kind::kUnion) {
      if (size != 8)
        return e.fail(fmt("func '%s' arg%d size %d must be 8\n", fn, arg, size) + invalid);
      v = Reg::pointer(RegType::kBtfId);
      v.btf_id = pointee;
      v.btf_flags = kBtfTrusted;
    } else if (pointee != 0 && !is_scalar_kind(pk)) {
      return e.fail(fmt("func '%s' arg%d type %s is not a struct\n", fn, arg,
                        std::string(btf::kind_name(pk)).c_str()) +
                    invalid);
    }
  } else if (tid != 0 && !is_scalar_kind(at.kind()) && !at.is_struct_or_union()) {
    return e.fail(fmt("func '%s' arg%d type %s. Only pointer access is allowed\n", fn, arg,
                      std::string(btf::kind_name(at.kind())).c_str()) +
                  invalid);
  }
  if (value_reg >= 0) e.reg(value_reg) = v;
  return true;
}

}  // namespace bombus::verifier
