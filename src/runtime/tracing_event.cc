// Synthetic kernel objects and tracing events from JSON and the kernel's BTF (see
// tracing_event.h).
#include "runtime/tracing_event.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

namespace bombus::runtime {

namespace {

using btf::Kind;
using nlohmann::json;

constexpr int kMaxDepth = 16;
constexpr size_t kMaxObjectBytes = 1u << 20;

// "event: <where>: <what>" (where == "event": the event as a whole, named once).
Error bad(const std::string& where, const std::string& what) {
  return make_error(Errc::kInvalid, (where == "event" ? where : "event: " + where) + ": " + what);
}

// Writes `bits` bits of `v` at bit `bit_off` of p (little-endian).
void put_bits(uint8_t* p, uint32_t bit_off, uint32_t bits, uint64_t v) {
  for (uint32_t i = 0; i < bits; ++i) {
    const uint32_t b = bit_off + i;
    if ((v >> i) & 1)
      p[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
    else
      p[b / 8] &= static_cast<uint8_t>(~(1u << (b % 8)));
  }
}

class Filler {
 public:
  Filler(const btf::Btf& b, SyntheticObjects& objs) : b_(b), objs_(objs) {}

  // Fills the value of BTF type `type` at p (size bytes available) from v.
  Status fill(uint32_t type, uint8_t* p, const json& v, const std::string& where, int depth) {
    if (depth > kMaxDepth) return bad(where, "nested too deeply");
    const uint32_t id = b_.skip_modifiers(type);
    const btf::Type t = b_.type(id);
    switch (t.kind()) {
      case Kind::kInt:
      case Kind::kEnum:
      case Kind::kEnum64: {
        BOMBUS_ASSIGN_OR_RETURN(uint64_t x, number(v, where));
        const uint32_t n = t.size();
        for (uint32_t i = 0; i < n && i < 8; ++i) p[i] = static_cast<uint8_t>(x >> (8 * i));
        return {};
      }
      case Kind::kPtr:
        return fill_pointer(t, p, v, where, depth);
      case Kind::kArray:
        return fill_array(t, p, v, where, depth);
      case Kind::kStruct:
      case Kind::kUnion:
        return fill_struct(id, p, v, where, depth);
      default:
        return bad(where,
                   "cannot set a value of BTF kind " + std::string(btf::kind_name(t.kind())));
    }
  }

  Result<uint64_t> object(uint32_t type, const json& v, const std::string& where, int depth) {
    const uint32_t id = b_.skip_modifiers(type);
    if (!b_.type(id).is_struct_or_union())
      return bad(where, "'" + std::string(b_.name(id)) + "' is not a struct");
    BOMBUS_ASSIGN_OR_RETURN(uint32_t size, b_.resolve_size(id));
    if (size == 0 || size > kMaxObjectBytes) return bad(where, "struct size out of range");
    uint8_t* p = objs_.alloc(size);
    BOMBUS_TRY(fill_struct(id, p, v, where, depth));
    return reinterpret_cast<uint64_t>(p);
  }

 private:
  static Result<uint64_t> number(const json& v, const std::string& where) {
    if (v.is_boolean()) return v.get<bool>() ? 1u : 0u;
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer()) return static_cast<uint64_t>(v.get<int64_t>());
    if (v.is_null()) return 0u;
    if (v.is_number_float()) return bad(where, "expected an integer, got " + v.dump());
    return bad(where, "expected a number, got " + std::string(v.type_name()));
  }

  Status fill_pointer(const btf::Type& t, uint8_t* p, const json& v, const std::string& where,
                      int depth) {
    uint64_t addr = 0;
    const uint32_t pointee = b_.skip_modifiers(t.ref());
    const btf::Type pt = b_.type(pointee);
    if (v.is_object()) {
      BOMBUS_ASSIGN_OR_RETURN(addr, object(pointee, v, where, depth + 1));
    } else if (v.is_string() && pt.kind() == Kind::kInt && pt.size() == 1) {
      const std::string s = v.get<std::string>();
      uint8_t* q = objs_.alloc(s.size() + 1);
      std::memcpy(q, s.data(), s.size());
      addr = reinterpret_cast<uint64_t>(q);
    } else {
      BOMBUS_ASSIGN_OR_RETURN(addr, number(v, where));
    }
    std::memcpy(p, &addr, 8);
    return {};
  }

  Status fill_array(const btf::Type& t, uint8_t* p, const json& v, const std::string& where,
                    int depth) {
    const btf::ArrayInfo a = t.array();
    BOMBUS_ASSIGN_OR_RETURN(uint32_t esize, b_.resolve_size(a.type));
    const btf::Type et = b_.type(b_.skip_modifiers(a.type));
    if (v.is_string() && et.kind() == Kind::kInt && esize == 1) {
      const std::string s = v.get<std::string>();
      if (a.nelems == 0) return bad(where, "cannot set a flexible array");
      const size_t n = std::min<size_t>(s.size(), a.nelems - 1);  // keep the NUL
      std::memcpy(p, s.data(), n);
      return {};
    }
    if (!v.is_array()) return bad(where, "expected an array");
    if (v.size() > a.nelems)
      return bad(where, "array has " + std::to_string(a.nelems) + " elements, got " +
                            std::to_string(v.size()));
    for (size_t i = 0; i < v.size(); ++i)
      BOMBUS_TRY(fill(a.type, p + i * esize, v[i], where + "[" + std::to_string(i) + "]", depth));
    return {};
  }

  // A named member of struct `id`, looking through anonymous struct/union members; its byte
  // offset from the struct start is added to *off.
  std::optional<btf::Member> find_member(uint32_t id, std::string_view name, uint32_t* bit_off,
                                         int depth) const {
    const btf::Type t = b_.type(id);
    for (uint16_t i = 0; i < t.vlen(); ++i) {
      const btf::Member m = t.member(i);
      if (m.name == name) {
        *bit_off += m.bit_offset;
        return m;
      }
      const uint32_t mid = b_.skip_modifiers(m.type);
      if (m.name.empty() && b_.type(mid).is_struct_or_union() && depth < kMaxDepth) {
        uint32_t inner = *bit_off + m.bit_offset;
        if (auto r = find_member(mid, name, &inner, depth + 1)) {
          *bit_off = inner;
          return r;
        }
      }
    }
    return std::nullopt;
  }

  Status fill_struct(uint32_t id, uint8_t* p, const json& v, const std::string& where, int depth) {
    if (!v.is_object()) return bad(where, "expected an object of field names");
    const std::string sname(b_.name(id));
    for (const auto& item : v.items()) {
      const std::string key = item.key();
      const std::string at = where + "." + key;
      uint32_t bit_off = 0;
      std::optional<btf::Member> m = find_member(id, key, &bit_off, 0);
      if (!m) return bad(at, "struct " + sname + " has no field '" + key + "'");
      if (m->bitfield_size) {
        BOMBUS_ASSIGN_OR_RETURN(uint64_t x, number(item.value(), at));
        put_bits(p, bit_off, m->bitfield_size, x);
        continue;
      }
      BOMBUS_TRY(fill(m->type, p + bit_off / 8, item.value(), at, depth + 1));
    }
    return {};
  }

  const btf::Btf& b_;
  SyntheticObjects& objs_;
};

Result<json> parse(std::string_view text, const std::string& where) {
  json v = json::parse(text.begin(), text.end(), nullptr, false);
  if (v.is_discarded()) return bad(where, "not valid JSON");
  return v;
}

// The target's FUNC_PROTO and how many leading parameters the ctx leaves out.
Result<std::pair<uint32_t, int>> target_proto(const btf::Btf& b, uapi::AttachType attach,
                                              const std::string& target) {
  using A = uapi::AttachType;
  if (attach == A::kTraceRawTp) {
    auto td = b.find("btf_trace_" + target, Kind::kTypedef);
    const uint32_t ptr = td ? b.skip_modifiers(*td) : 0;
    const uint32_t proto = b.kind(ptr) == Kind::kPtr ? b.skip_modifiers(b.type(ptr).ref()) : 0;
    if (b.kind(proto) != Kind::kFuncProto)
      return bad(target, "no tracepoint of that name in the kernel's BTF");
    // The typedef's parameters have no names; the tracepoint's BPF stub has the same ones, named.
    auto stub = b.find("__bpf_trace_" + target, Kind::kFunc);
    const uint32_t named = stub ? b.type(*stub).ref() : 0;
    if (b.kind(named) == Kind::kFuncProto && b.type(named).vlen() == b.type(proto).vlen())
      return std::pair<uint32_t, int>{named, 1};
    return std::pair<uint32_t, int>{proto, 1};
  }
  if (attach == A::kTraceFentry || attach == A::kTraceFexit || attach == A::kModifyReturn) {
    auto fn = b.find(target, Kind::kFunc);
    if (!fn || b.kind(b.type(*fn).ref()) != Kind::kFuncProto)
      return bad(target, "no kernel function of that name in the kernel's BTF");
    return std::pair<uint32_t, int>{b.type(*fn).ref(), 0};
  }
  return make_error(Errc::kUnsupported,
                    "event: tracing attach type " + std::to_string(static_cast<uint32_t>(attach)) +
                        " has no synthetic events (tp_btf, fentry, fexit, fmod_ret do)");
}

}  // namespace

uint8_t* SyntheticObjects::alloc(size_t size) {
  auto block = std::make_unique<uint8_t[]>(size);  // value-initialised: zeroed
  uint8_t* p = block.get();
  regs_.push_back(vm::MemoryRegistry::global().add(p, size, false));
  ranges_.push_back({reinterpret_cast<uintptr_t>(p), size});
  blocks_.push_back(std::move(block));
  return p;
}

Result<uint64_t> SyntheticObjects::build(const btf::Btf& b, uint32_t type_id, std::string_view text,
                                         const std::string& where) {
  BOMBUS_ASSIGN_OR_RETURN(json v, parse(text, where));
  return Filler(b, *this).object(type_id, v, where, 0);
}

Result<std::unique_ptr<TracingEvent>> build_tracing_event(const btf::Btf& b,
                                                          uapi::AttachType attach,
                                                          const std::string& target,
                                                          std::string_view text) {
  BOMBUS_ASSIGN_OR_RETURN(auto proto_skip, target_proto(b, attach, target));
  const auto [proto_id, skip] = proto_skip;
  const btf::Type proto = b.type(proto_id);
  auto ev = std::make_unique<TracingEvent>();
  const int nparams = proto.vlen() - skip;
  const bool has_ret =
      attach != uapi::AttachType::kTraceFentry && attach != uapi::AttachType::kTraceRawTp;
  if (nparams < 0 || nparams + (has_ret ? 1 : 0) > static_cast<int>(ev->args.size()))
    return bad(target, "more arguments than a tracing ctx holds (12)");
  ev->nargs = static_cast<uint32_t>(nparams + (has_ret ? 1 : 0));
  if (text.empty()) return ev;
  BOMBUS_ASSIGN_OR_RETURN(json v, parse(text, "event"));
  if (!v.is_object()) return bad("event", "expected an object of argument names");
  Filler f(b, ev->objects);
  for (const auto& item : v.items()) {
    const std::string key = item.key();
    if (key == "current") {
      auto task = b.find("task_struct", Kind::kStruct);
      if (!task) return bad("current", "no task_struct in the kernel's BTF");
      BOMBUS_ASSIGN_OR_RETURN(uint64_t addr, f.object(*task, item.value(), "current", 0));
      ev->current = reinterpret_cast<const void*>(addr);
      continue;
    }
    int slot = -1;
    uint32_t type = 0;
    for (int i = 0; i < nparams; ++i) {
      const btf::Param prm = proto.param(static_cast<uint32_t>(i + skip));
      if (prm.name == key || (prm.name.empty() && key == "arg" + std::to_string(i))) {
        slot = i;
        type = prm.type;
      }
    }
    if (key == "ret" && has_ret) {
      slot = nparams;
      type = proto.ref();
    }
    if (slot < 0) {
      std::string names;
      for (int i = 0; i < nparams; ++i) {
        const btf::Param prm = proto.param(static_cast<uint32_t>(i + skip));
        names += (names.empty() ? "" : ", ") +
                 (prm.name.empty() ? "arg" + std::to_string(i) : std::string(prm.name));
      }
      return bad(key, "'" + target + "' has no argument of that name (it has: " + names +
                          (has_ret ? ", ret" : "") + ")");
    }
    uint8_t slot_bytes[8] = {};
    const uint32_t tid = b.skip_modifiers(type);
    if (b.type(tid).is_struct_or_union()) {
      // A struct passed by value (at most 16 bytes, two slots in the kernel): not modelled.
      return bad(key, "struct arguments passed by value are not supported");
    }
    BOMBUS_TRY(f.fill(type, slot_bytes, item.value(), key, 0));
    std::memcpy(&ev->args[static_cast<size_t>(slot)], slot_bytes, 8);
  }
  return ev;
}

}  // namespace bombus::runtime
