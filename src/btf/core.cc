// CO-RE calculation: access-spec parsing, candidate search and matching, value computation.
// The semantics (what matches, what is ambiguous, when to poison) follow libbpf's documented
// behaviour so the same object relocates to the same values; the code is our own.
#include "btf/core.h"

#include <charconv>
#include <filesystem>

namespace bombus::btf {
namespace {

constexpr size_t kMaxSpecLen = 64;
constexpr int kMaxCompatDepth = 32;

struct Accessor {
  uint32_t type_id = 0;  // composite holding the member, or array element type / root type
  uint32_t idx = 0;
  std::string_view name;  // member or enumerator name; empty for array-index accessors
};

struct Spec {
  const Btf* btf = nullptr;
  uint32_t root_type_id = 0;
  std::vector<Accessor> acc;  // named members and array indices (anonymous members skipped)
  std::vector<uint32_t> raw;  // every index, anonymous members included
  uint64_t bit_offset = 0;
  bool enumval = false;  // acc[0] names an enumerator
};

bool is_field_based(ReloKind k) {
  return k <= ReloKind::kFieldRShiftU64;
}
bool is_type_based(ReloKind k) {
  return k == ReloKind::kTypeIdLocal || k == ReloKind::kTypeIdTarget ||
         k == ReloKind::kTypeExists || k == ReloKind::kTypeSize || k == ReloKind::kTypeMatches;
}
bool is_enumval_based(ReloKind k) {
  return k == ReloKind::kEnumvalExists || k == ReloKind::kEnumvalValue;
}

bool kinds_compat(Kind a, Kind b) {
  auto any_enum = [](Kind k) { return k == Kind::kEnum || k == Kind::kEnum64; };
  return a == b || (any_enum(a) && any_enum(b));
}

bool is_composite(Kind k) {
  return k == Kind::kStruct || k == Kind::kUnion;
}

std::string_view essential(std::string_view n) {
  return n.substr(0, essential_name_len(n));
}

std::string type_desc(const Btf& btf, uint32_t id) {
  Type t = btf.type(id);
  std::string s = "[";
  s.append(std::to_string(id)).append("] ");
  switch (t.kind()) {
    case Kind::kStruct:
      s += "struct ";
      break;
    case Kind::kUnion:
      s += "union ";
      break;
    case Kind::kEnum:
    case Kind::kEnum64:
      s += "enum ";
      break;
    case Kind::kTypedef:
      s += "typedef ";
      break;
    default:
      s.append(kind_name(t.kind())).append(" ");
      break;
  }
  s.append(t.name().empty() ? std::string_view("(anon)") : t.name());
  return s;
}

std::string spec_desc(const Spec& spec) {
  std::string s = type_desc(*spec.btf, spec.root_type_id);
  if (spec.enumval && !spec.acc.empty()) {
    EnumValue v = spec.btf->type(spec.acc[0].type_id).enum_value(spec.acc[0].idx);
    s.append("::").append(v.name).append(" = ").append(std::to_string(v.value));
    return s;
  }
  for (const Accessor& a : spec.acc) {
    if (!a.name.empty())
      s.append(".").append(a.name);
    else if (&a != &spec.acc.front())
      s.append("[").append(std::to_string(a.idx)).append("]");
  }
  s += " (";
  for (size_t i = 0; i < spec.raw.size(); ++i)
    s.append(i ? ":" : "").append(std::to_string(spec.raw[i]));
  s.append(" @ offset ").append(std::to_string(spec.bit_offset / 8));
  if (spec.bit_offset % 8) s.append(".").append(std::to_string(spec.bit_offset % 8));
  s.append(")");
  return s;
}

// A zero-length array as the last member of a struct (index bounds do not apply).
bool is_flex_array(const Btf& btf, const Accessor* prev, Type arr) {
  if (!prev || prev->name.empty() || arr.array().nelems > 0) return false;
  Type holder = btf.type(prev->type_id);
  return is_composite(holder.kind()) && prev->idx + 1 == holder.vlen();
}

Error relo_error(int relo_idx, const CoreRelo& relo, std::string msg, Errc code = Errc::kInvalid) {
  Location loc;
  loc.relo = relo_idx;
  loc.insn = relo.insn_off / 8;
  return make_error(code, std::move(msg), std::move(loc));
}

// Parses "0:1:2" against the local BTF (libbpf's bpf_core_parse_spec semantics).
Result<Spec> parse_spec(const Btf& btf, const CoreRelo& relo, int relo_idx) {
  Spec spec;
  spec.btf = &btf;
  spec.root_type_id = relo.type_id;
  auto fail = [&](const std::string& m) {
    return relo_error(relo_idx, relo,
                      "parsing " + type_desc(btf, relo.type_id) + " + '" +
                          std::string(relo.access) + "' failed: " + m);
  };
  if (is_type_based(relo.kind)) {
    if (relo.access != "0") return fail("type-based relocation expects access string \"0\"");
    return spec;
  }
  std::string_view s = relo.access;
  while (!s.empty()) {
    if (s.front() == ':') s.remove_prefix(1);
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p == s.data()) return fail("malformed access string");
    s.remove_prefix(p - s.data());
    if (spec.raw.size() == kMaxSpecLen) return fail("access string too long");
    spec.raw.push_back(v);
  }
  if (spec.raw.empty()) return fail("empty access string");
  uint32_t id = btf.skip_modifiers(relo.type_id);
  Type t = btf.type(id);
  if (t.is_void()) return fail("root type is void");
  Accessor root{id, spec.raw[0], {}};
  if (is_enumval_based(relo.kind)) {
    if (!t.is_enum() || spec.raw.size() > 1 || spec.raw[0] >= t.vlen())
      return fail("expected one enumerator index of an enum");
    root.name = t.enum_value(spec.raw[0]).name;
    spec.acc.push_back(root);
    spec.enumval = true;
    return spec;
  }
  if (!is_field_based(relo.kind)) return fail("unknown relocation kind");
  spec.acc.push_back(root);
  auto sz = btf.resolve_size(id);
  if (!sz.ok()) return fail(sz.error().message);
  spec.bit_offset = uint64_t(spec.raw[0]) * *sz * 8;
  for (size_t i = 1; i < spec.raw.size(); ++i) {
    id = btf.skip_modifiers(id);
    t = btf.type(id);
    uint32_t idx = spec.raw[i];
    if (is_composite(t.kind())) {
      if (idx >= t.vlen())
        return fail("member index " + std::to_string(idx) + " out of range in " +
                    type_desc(btf, id));
      Member m = t.member(idx);
      spec.bit_offset += m.bit_offset;
      if (!m.name.empty()) spec.acc.push_back(Accessor{id, idx, m.name});
      id = m.type;
    } else if (t.kind() == Kind::kArray) {
      const Accessor* prev = &spec.acc.back();
      bool flex = is_flex_array(btf, prev, t);
      if (!flex && idx >= t.array().nelems)
        return fail("array index " + std::to_string(idx) + " out of range");
      id = btf.skip_modifiers(t.array().type);
      spec.acc.push_back(Accessor{id, idx, {}});
      auto esz = btf.resolve_size(id);
      if (!esz.ok()) return fail(esz.error().message);
      spec.bit_offset += uint64_t(idx) * *esz * 8;
    } else {
      return fail("index " + std::to_string(i) + " reaches " + type_desc(btf, id) +
                  ", expected a struct, union or array");
    }
  }
  return spec;
}

bool fields_compat(const Btf& lb, uint32_t lid, const Btf& tb, uint32_t tid) {
  for (int depth = 0; depth < kMaxCompatDepth; ++depth) {
    lid = lb.skip_modifiers(lid);
    tid = tb.skip_modifiers(tid);
    Type lt = lb.type(lid), tt = tb.type(tid);
    if (is_composite(lt.kind()) && is_composite(tt.kind())) return true;
    if (!kinds_compat(lt.kind(), tt.kind())) return false;
    switch (lt.kind()) {
      case Kind::kPtr:
      case Kind::kFloat:
        return true;
      case Kind::kFwd:
      case Kind::kEnum:
      case Kind::kEnum64:
        return essential(lt.name()) == essential(tt.name());
      case Kind::kInt:
        return lt.int_offset() == 0 && tt.int_offset() == 0;
      case Kind::kArray:
        lid = lt.array().type;
        tid = tt.array().type;
        continue;
      default:
        return false;
    }
  }
  return false;
}

// Finds local member acc (of local composite) in target composite tid, descending into
// anonymous members; extends tspec. Returns 1 found, 0 not found, -1 too deep.
int match_member(const Btf& lb, const Accessor& la, const Btf& tb, uint32_t tid, Spec& tspec,
                 uint32_t* next_tid) {
  Member lm = lb.type(la.type_id).member(la.idx);
  tid = tb.skip_modifiers(tid);
  Type tt = tb.type(tid);
  if (!is_composite(tt.kind())) return 0;
  for (uint32_t i = 0; i < tt.vlen(); ++i) {
    Member tm = tt.member(i);
    if (tspec.raw.size() == kMaxSpecLen) return -1;
    tspec.bit_offset += tm.bit_offset;
    tspec.raw.push_back(i);
    if (tm.name.empty()) {
      int found = match_member(lb, la, tb, tm.type, tspec, next_tid);
      if (found != 0) return found;
    } else if (tm.name == lm.name) {
      *next_tid = tm.type;
      if (!fields_compat(lb, lm.type, tb, tm.type)) return 0;
      tspec.acc.push_back(Accessor{tid, i, tm.name});
      return 1;
    }
    tspec.bit_offset -= tm.bit_offset;
    tspec.raw.pop_back();
  }
  return 0;
}

bool enums_match(Type lt, Type tt) {
  if (lt.size() != tt.size()) return false;
  for (uint32_t i = 0; i < lt.vlen(); ++i) {
    std::string_view ln = essential(lt.enum_value(i).name);
    bool found = false;
    for (uint32_t j = 0; j < tt.vlen() && !found; ++j)
      found = essential(tt.enum_value(j).name) == ln;
    if (!found) return false;
  }
  return true;
}

bool names_match(std::string_view l, std::string_view t) {
  if (t.empty()) return l.empty();
  return essential(l) == essential(t);
}

int types_match(const Btf& lb, uint32_t lid, const Btf& tb, uint32_t tid, bool behind_ptr,
                int level) {
  for (;;) {
    if (level <= 0) return -1;
    lid = lb.skip_modifiers(lid);
    tid = tb.skip_modifiers(tid);
    Type lt = lb.type(lid), tt = tb.type(tid);
    if (!names_match(lt.name(), tt.name())) return 0;
    Kind lk = lt.kind(), tk = tt.kind();
    switch (lk) {
      case Kind::kUnknown:
        return lk == tk;
      case Kind::kFwd:
        if (behind_ptr && lk != tk)
          return (tk == Kind::kStruct && !lt.kflag()) || (tk == Kind::kUnion && lt.kflag());
        return lk == tk && lt.kflag() == tt.kflag();
      case Kind::kEnum:
      case Kind::kEnum64:
        return tt.is_enum() && enums_match(lt, tt);
      case Kind::kStruct:
      case Kind::kUnion:
        if (behind_ptr) {
          if (lk == tk) return 1;
          return tk == Kind::kFwd && (lk == Kind::kUnion) == tt.kflag();
        }
        if (lk != tk || lt.vlen() > tt.vlen()) return 0;
        for (uint32_t i = 0; i < lt.vlen(); ++i) {
          Member lm = lt.member(i);
          bool matched = false;
          for (uint32_t j = 0; j < tt.vlen() && !matched; ++j) {
            Member tm = tt.member(j);
            if (!names_match(lm.name, tm.name)) continue;
            int r = types_match(lb, lm.type, tb, tm.type, behind_ptr, level - 1);
            if (r < 0) return r;
            matched = r > 0;
          }
          if (!matched) return 0;
        }
        return 1;
      case Kind::kInt:
        return lk == tk && lt.size() == tt.size() &&
               (lt.int_encoding() & kIntSigned) == (tt.int_encoding() & kIntSigned);
      case Kind::kPtr:
        if (lk != tk) return 0;
        behind_ptr = true;
        lid = lt.ref();
        tid = tt.ref();
        --level;
        continue;
      case Kind::kArray:
        if (lk != tk || lt.array().nelems != tt.array().nelems) return 0;
        lid = lt.array().type;
        tid = tt.array().type;
        --level;
        continue;
      case Kind::kFuncProto:
        if (lk != tk || lt.vlen() != tt.vlen()) return 0;
        for (uint32_t i = 0; i < lt.vlen(); ++i) {
          int r = types_match(lb, lt.param(i).type, tb, tt.param(i).type, behind_ptr, level - 1);
          if (r <= 0) return r;
        }
        lid = lt.ref();
        tid = tt.ref();
        --level;
        continue;
      default:
        return 0;
    }
  }
}

int types_compat(const Btf& lb, uint32_t lid, const Btf& tb, uint32_t tid, int level) {
  for (int depth = kMaxCompatDepth; depth > 0; --depth) {
    lid = lb.skip_modifiers(lid);
    tid = tb.skip_modifiers(tid);
    Type lt = lb.type(lid), tt = tb.type(tid);
    if (!kinds_compat(lt.kind(), tt.kind())) return 0;
    switch (lt.kind()) {
      case Kind::kUnknown:
      case Kind::kStruct:
      case Kind::kUnion:
      case Kind::kEnum:
      case Kind::kEnum64:
      case Kind::kFwd:
        return 1;
      case Kind::kInt:
        return lt.int_offset() == 0 && tt.int_offset() == 0;
      case Kind::kPtr:
        lid = lt.ref();
        tid = tt.ref();
        continue;
      case Kind::kArray:
        lid = lt.array().type;
        tid = tt.array().type;
        continue;
      case Kind::kFuncProto:
        if (lt.vlen() != tt.vlen()) return 0;
        for (uint32_t i = 0; i < lt.vlen(); ++i) {
          if (level <= 0) return -1;
          int r = types_compat(lb, lt.param(i).type, tb, tt.param(i).type, level - 1);
          if (r <= 0) return r;
        }
        lid = lt.ref();
        tid = tt.ref();
        continue;
      default:
        return 0;
    }
  }
  return -1;
}

// Matches the local spec against candidate `tid`: 1 match, 0 no match, -1 error (too deep).
int spec_match(const Spec& local, ReloKind kind, const Btf& tb, uint32_t tid, Spec& ts) {
  ts = Spec{};
  ts.btf = &tb;
  ts.root_type_id = tid;
  const Btf& lb = *local.btf;
  if (is_type_based(kind)) {
    if (kind == ReloKind::kTypeMatches)
      return types_match(lb, local.root_type_id, tb, tid, false, kMaxCompatDepth);
    return types_compat(lb, local.root_type_id, tb, tid, kMaxCompatDepth);
  }
  if (is_enumval_based(kind)) {
    uint32_t eid = tb.skip_modifiers(tid);
    Type tt = tb.type(eid);
    if (!tt.is_enum()) return 0;
    std::string_view ln = essential(local.acc[0].name);
    for (uint32_t i = 0; i < tt.vlen(); ++i) {
      if (essential(tt.enum_value(i).name) != ln) continue;
      ts.acc.push_back(Accessor{eid, i, tt.enum_value(i).name});
      ts.raw.push_back(i);
      ts.enumval = true;
      return 1;
    }
    return 0;
  }
  for (size_t i = 0; i < local.acc.size(); ++i) {
    const Accessor& la = local.acc[i];
    uint32_t next = 0;
    if (!la.name.empty()) {
      int m = match_member(lb, la, tb, tid, ts, &next);
      if (m <= 0) return m;
    } else {
      tid = tb.skip_modifiers(tid);
      if (i > 0) {
        Type tt = tb.type(tid);
        if (tt.kind() != Kind::kArray) return 0;
        const Accessor* prev = ts.acc.empty() ? nullptr : &ts.acc.back();
        if (!is_flex_array(tb, prev, tt) && la.idx >= tt.array().nelems) return 0;
        tid = tb.skip_modifiers(tt.array().type);
      }
      if (ts.raw.size() == kMaxSpecLen) return -1;
      ts.acc.push_back(Accessor{tid, la.idx, {}});
      ts.raw.push_back(la.idx);
      auto sz = tb.resolve_size(tid);
      if (!sz.ok()) return -1;
      ts.bit_offset += uint64_t(la.idx) * *sz * 8;
      next = tid;
    }
    tid = next;
  }
  return 1;
}

// Field value for one side (spec == nullptr: the target was not found). Returns false with
// `why` when the relocation cannot be computed (poison), or sets `err` on a hard error.
struct FieldOut {
  uint64_t val = 0;
  uint32_t sz = 0;
  uint32_t type_id = 0;
  bool validate = true;
};

enum class Calc { kOk, kPoison, kError };

Calc calc_field(ReloKind kind, const Spec* spec, FieldOut& out, std::string& why) {
  if (kind == ReloKind::kFieldExists) {
    out.val = spec ? 1 : 0;
    return Calc::kOk;
  }
  if (!spec) {
    why = "field not found in target";
    return Calc::kPoison;
  }
  const Btf& btf = *spec->btf;
  const Accessor& acc = spec->acc.back();
  if (acc.name.empty()) {  // ends with an array index (or the root)
    auto sz = btf.resolve_size(acc.type_id);
    if (!sz.ok()) {
      why = sz.error().message;
      return Calc::kError;
    }
    if (kind == ReloKind::kFieldByteOffset) {
      out.val = spec->bit_offset / 8;
      out.sz = *sz;
      out.type_id = acc.type_id;
    } else if (kind == ReloKind::kFieldByteSize) {
      out.val = *sz;
    } else {
      why = std::string(relo_kind_name(kind)) + " can't be applied to array access";
      return Calc::kError;
    }
    out.validate = true;
    return Calc::kOk;
  }
  Type holder = btf.type(acc.type_id);
  Member m = holder.member(acc.idx);
  uint32_t field_type_id = btf.skip_modifiers(m.type);
  Type mt = btf.type(field_type_id);
  uint64_t bit_off = spec->bit_offset;
  uint32_t bit_sz = m.bitfield_size;
  bool bitfield = bit_sz > 0;
  uint32_t byte_sz;
  uint64_t byte_off;
  if (bitfield) {
    byte_sz = mt.size();
    if (byte_sz == 0) {
      why = "bitfield of sizeless type";
      return Calc::kError;
    }
    byte_off = bit_off / 8 / byte_sz * byte_sz;
    while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
      if (byte_sz >= 8) {
        why = "bitfield can't be read with a 64-bit load";
        return Calc::kError;
      }
      byte_sz *= 2;
      byte_off = bit_off / 8 / byte_sz * byte_sz;
    }
  } else {
    auto sz = btf.resolve_size(field_type_id);
    if (!sz.ok()) {
      why = sz.error().message;
      return Calc::kError;
    }
    byte_sz = *sz;
    byte_off = bit_off / 8;
    bit_sz = byte_sz * 8;
  }
  out.validate = !bitfield;
  switch (kind) {
    case ReloKind::kFieldByteOffset:
      out.val = byte_off;
      if (!bitfield) {
        out.sz = byte_sz;
        out.type_id = field_type_id;
      }
      break;
    case ReloKind::kFieldByteSize:
      out.val = byte_sz;
      break;
    case ReloKind::kFieldSigned:
      out.val = (mt.is_enum() && mt.kflag()) ||
                (mt.kind() == Kind::kInt && (mt.int_encoding() & kIntSigned));
      out.validate = true;
      break;
    case ReloKind::kFieldLShiftU64:
      out.val = 64 - (bit_off + bit_sz - byte_off * 8);
      break;
    case ReloKind::kFieldRShiftU64:
      out.val = 64 - bit_sz;
      out.validate = true;
      break;
    default:
      why = "unsupported field relocation";
      return Calc::kError;
  }
  return Calc::kOk;
}

Calc calc_one(ReloKind kind, const Spec& local, const Spec* targ, CoreResult& res,
              std::string& why) {
  res = CoreResult{};
  if (is_field_based(kind)) {
    FieldOut lo, to;
    Calc c = calc_field(kind, &local, lo, why);
    if (c == Calc::kOk) c = calc_field(kind, targ, to, why);
    res.orig_val = lo.val;
    res.orig_sz = lo.sz;
    res.orig_type_id = lo.type_id;
    res.validate = lo.validate;
    res.new_val = to.val;
    res.new_sz = to.sz;
    res.new_type_id = to.type_id;
    if (c == Calc::kOk && res.orig_sz != res.new_sz) {
      Type ot = local.btf->type(res.orig_type_id);
      Type nt = targ->btf->type(res.new_type_id);
      bool ptrs = ot.kind() == Kind::kPtr && nt.kind() == Kind::kPtr;
      bool uints = ot.kind() == Kind::kInt && nt.kind() == Kind::kInt &&
                   ot.int_encoding() != kIntSigned && nt.int_encoding() != kIntSigned;
      res.fail_memsz_adjust = !(ptrs || uints);
    }
    if (c == Calc::kPoison) res.poison = true;
    return c;
  }
  if (is_type_based(kind)) {
    const Spec* sides[2] = {&local, targ};
    for (int side = 0; side < 2; ++side) {
      const Spec* s = sides[side];
      uint64_t v = 0;
      if (s) {
        switch (kind) {
          case ReloKind::kTypeIdTarget:
          case ReloKind::kTypeIdLocal:
            v = s->root_type_id;
            break;
          case ReloKind::kTypeExists:
          case ReloKind::kTypeMatches:
            v = 1;
            break;
          case ReloKind::kTypeSize: {
            auto sz = s->btf->resolve_size(s->root_type_id);
            if (!sz.ok()) {
              why = sz.error().message;
              return Calc::kError;
            }
            v = *sz;
            break;
          }
          default:
            break;
        }
      }
      (side == 0 ? res.orig_val : res.new_val) = v;
    }
    if (kind == ReloKind::kTypeIdLocal) res.validate = true;
    return Calc::kOk;
  }
  // enumval
  auto value = [](const Spec& s) -> uint64_t {
    Type t = s.btf->type(s.acc[0].type_id);
    const uint32_t* w = t.words();
    if (t.kind() == Kind::kEnum)  // libbpf sign-extends the 32-bit value
      return static_cast<uint64_t>(
          static_cast<int64_t>(static_cast<int32_t>(w[3 + 2 * s.acc[0].idx + 1])));
    return static_cast<uint64_t>(t.enum_value(s.acc[0].idx).value);
  };
  if (kind == ReloKind::kEnumvalExists) {
    res.orig_val = 1;
    res.new_val = targ ? 1 : 0;
    return Calc::kOk;
  }
  res.orig_val = value(local);
  if (!targ) {
    why = "enum value not found in target";
    res.poison = true;
    return Calc::kPoison;
  }
  res.new_val = value(*targ);
  return Calc::kOk;
}

}  // namespace

size_t essential_name_len(std::string_view n) {
  for (int i = static_cast<int>(n.size()) - 5; i >= 0; --i) {
    if (n[i] != '_' && n[i + 1] == '_' && n[i + 2] == '_' && n[i + 3] == '_' && n[i + 4] != '_')
      return i + 1;
  }
  return n.size();
}

bool core_types_compatible(const Btf& l, uint32_t lid, const Btf& t, uint32_t tid) {
  return types_compat(l, lid, t, tid, kMaxCompatDepth) > 0;
}

bool core_types_match(const Btf& l, uint32_t lid, const Btf& t, uint32_t tid) {
  return types_match(l, lid, t, tid, false, kMaxCompatDepth) > 0;
}

Result<CoreResult> core_calculate(const Btf& local, const CoreRelo& relo, const Btf& target,
                                  int relo_idx, const ModuleBtfs& modules) {
  if (!local.valid_id(relo.type_id) || relo.type_id == 0)
    return relo_error(relo_idx, relo, "type id " + std::to_string(relo.type_id) + " out of range");
  if (static_cast<uint32_t>(relo.kind) > kMaxReloKind)
    return relo_error(relo_idx, relo, "unknown relocation kind", Errc::kUnsupported);
  BOMBUS_ASSIGN_OR_RETURN(Spec local_spec, parse_spec(local, relo, relo_idx));
  CoreResult out;
  if (relo.kind == ReloKind::kTypeIdLocal) {
    out.validate = false;
    out.orig_val = out.new_val = relo.type_id;
    out.local_spec = out.target_spec = spec_desc(local_spec);
    return out;
  }
  Type lt = local.type(relo.type_id);
  if (lt.name().empty()) {
    std::string msg = "<";
    msg.append(relo_kind_name(relo.kind)).append("> ").append(type_desc(local, relo.type_id));
    msg.append(": relocation doesn't support anonymous types");
    return relo_error(relo_idx, relo, std::move(msg), Errc::kUnsupported);
  }
  std::string_view ess = essential(lt.name());
  Spec cand_spec, best_spec;
  size_t matched = 0;
  std::string why;
  // Candidates: the target's types of the same essential name and a compatible kind; only when
  // there are none, the module BTFs' own types.
  std::vector<std::pair<const Btf*, uint32_t>> cands;
  auto add_cands = [&](const Btf& b, uint32_t first_id) {
    for (uint32_t cid : b.find_prefix(ess)) {
      if (cid < first_id) continue;
      Type ct = b.type(cid);
      if (kinds_compat(ct.kind(), lt.kind()) && essential(ct.name()) == ess)
        cands.emplace_back(&b, cid);
    }
  };
  add_cands(target, 0);
  if (cands.empty() && modules) {
    for (const Btf* m : modules())
      if (m && m->base() == &target) add_cands(*m, m->start_id());
  }
  for (auto [cbtf, cid] : cands) {
    const Btf& cand_btf = *cbtf;
    int m = spec_match(local_spec, relo.kind, cand_btf, cid, cand_spec);
    if (m < 0)
      return relo_error(relo_idx, relo,
                        "error matching candidate " + type_desc(cand_btf, cid) + ": too deep");
    if (m == 0) continue;
    CoreResult cres;
    Calc c = calc_one(relo.kind, local_spec, &cand_spec, cres, why);
    if (c == Calc::kError) return relo_error(relo_idx, relo, why);
    cres.reason = c == Calc::kPoison ? why : "";
    if (matched == 0) {
      out = cres;
      best_spec = cand_spec;
    } else if (cand_spec.bit_offset != best_spec.bit_offset) {
      return relo_error(relo_idx, relo,
                        "field offset ambiguity: " + std::to_string(best_spec.bit_offset / 8) +
                            " != " + std::to_string(cand_spec.bit_offset / 8) + " (" +
                            type_desc(*best_spec.btf, best_spec.root_type_id) + " vs " +
                            type_desc(cand_btf, cid) + ")");
    } else if (cres.poison != out.poison || (!cres.poison && cres.new_val != out.new_val)) {
      return relo_error(
          relo_idx, relo,
          "relocation decision ambiguity: " + std::string(out.poison ? "poison" : "value") + " " +
              std::to_string(out.new_val) + " != " + std::string(cres.poison ? "poison" : "value") +
              " " + std::to_string(cres.new_val));
    }
    ++matched;
  }
  if (matched == 0) {
    Calc c = calc_one(relo.kind, local_spec, nullptr, out, why);
    if (c == Calc::kError) return relo_error(relo_idx, relo, why);
    if (c == Calc::kPoison)
      out.reason = why + ": " + spec_desc(local_spec) + " has no match in target BTF";
    out.target_spec = "<not found>";
  } else {
    out.target_spec = spec_desc(best_spec);
  }
  out.local_spec = spec_desc(local_spec);
  return out;
}

Result<Btf> load_target_btf(const std::string& path) {
  std::string p = path.empty() ? "/sys/kernel/btf/vmlinux" : path;
  if (path.empty() && !std::filesystem::exists(p))
    return make_error(Errc::kNotFound,
                      "no kernel BTF at /sys/kernel/btf/vmlinux; name a target BTF file");
  return Btf::load_file(p);
}

}  // namespace bombus::btf
