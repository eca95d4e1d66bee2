// `format c`: renders BTF as a C header the way bpftool's vmlinux.h looks. Two passes per root
// type, as libbpf documents its btf_dump: an ordering pass that finds which named definitions
// must precede others (strong links: embedding, typedef chains) and queues them, then an emit
// pass that writes forward declarations where a cycle goes through a pointer, and definitions
// with C declarator syntax (pointers, arrays, function pointers), bitfields, explicit padding and
// packed attributes. Duplicate names get "___N" suffixes in first-use order.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "btf/dump.h"

namespace bombus::btf {
namespace {

constexpr int kPtrSize = 8;
constexpr std::string_view kTabs = "\t\t\t\t\t\t\t\t\t\t\t\t";

// Counts how often each name has been claimed (open addressing; the std::unordered_map version
// was a quarter of the vmlinux dump time).
class NameCounter {
 public:
  size_t claim(std::string_view name) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    uint64_t h = hash(name);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.count == 0) {
        s = Slot{h, name, 1};
        ++used_;
        return 1;
      }
      if (s.hash == h && s.name == name) return ++s.count;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::string_view name;
    size_t count = 0;
  };
  // Eight bytes per step (names average ~15 characters).
  static uint64_t hash(std::string_view s) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    uint64_t tail = 0;
    if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.count == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].count != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

enum : uint8_t { kNotOrdered = 0, kOrdering, kOrdered };
enum : uint8_t { kNotEmitted = 0, kEmitting, kEmitted };

class CDumper {
 public:
  CDumper(const Btf& btf, std::string& out) : btf_(btf), out_(out) {
    uint32_t n = btf.type_count();
    order_.assign(n, kNotOrdered);
    emit_.assign(n, kNotEmitted);
    fwd_emitted_.assign(n, 0);
    referenced_.assign(n, 0);
    dup_.assign(n, 0);
    resolved_.assign(n, 0);
    align_cache_.assign(n, -1);
    order_[0] = kOrdered;
    emit_[0] = kEmitted;
    mark_referenced();
  }

  void dump_type(uint32_t id) {
    queue_.clear();
    if (order_type(id, false) < 0) return;
    for (uint32_t q : queue_) emit_type(q, 0);
  }

 private:
  // ---- output helpers ----
  void put(std::string_view s) { out_.append(s); }
  void put(char c) { out_.push_back(c); }
  template <typename T>
  void num(T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void pfx(int lvl) { out_.append(kTabs.substr(0, std::min<size_t>(lvl, kTabs.size()))); }

  // ---- names ----
  size_t name_dups(NameCounter& map, std::string_view name) { return map.claim(name); }
  void resolve(uint32_t id, NameCounter& map) {
    if (resolved_[id]) return;
    resolved_[id] = 1;
    Type t = btf_.type(id);
    if (t.name_off() == 0) return;
    if (t.kind() == Kind::kFwd || (t.kind() == Kind::kEnum && t.vlen() == 0)) return;
    size_t d = name_dups(map, t.name());
    if (d > 1) dup_[id] = static_cast<uint32_t>(d);
  }
  void put_name(uint32_t id, NameCounter& map) {
    resolve(id, map);
    put(btf_.type(id).name());
    if (dup_[id]) {
      put("___");
      num(dup_[id]);
    }
  }
  void type_name(uint32_t id) { put_name(id, type_names_); }
  void ident_name(uint32_t id) { put_name(id, ident_names_); }

  // ---- alignment and packing (libbpf's btf__align_of semantics) ----
  // Cached: member types are shared widely and struct alignment recurses over members.
  int align_of(uint32_t id) {
    int8_t& c = align_cache_[id];
    if (c < 0) c = static_cast<int8_t>(compute_align(id));
    return c;
  }

  int compute_align(uint32_t id) {
    for (;;) {
      Type t = btf_.type(id);
      switch (t.kind()) {
        case Kind::kInt:
        case Kind::kEnum:
        case Kind::kEnum64:
        case Kind::kFloat:
          return std::min<int>(kPtrSize, static_cast<int>(t.size()));
        case Kind::kPtr:
          return kPtrSize;
        case Kind::kTypedef:
        case Kind::kVolatile:
        case Kind::kConst:
        case Kind::kRestrict:
        case Kind::kTypeTag:
          id = t.ref();
          continue;
        case Kind::kArray:
          id = t.array().type;
          continue;
        case Kind::kStruct:
        case Kind::kUnion: {
          int max_align = 1;
          for (uint32_t i = 0; i < t.vlen(); ++i) {
            Member m = t.member(i);
            int a = align_of(m.type);
            if (a <= 0) return a;
            max_align = std::max(max_align, a);
            if (m.bitfield_size == 0 && m.bit_offset % (8 * a) != 0) return 1;
          }
          if (t.size() % max_align != 0) return 1;
          return max_align;
        }
        default:
          return 0;
      }
    }
  }

  // Packed when a non-bitfield member is misaligned or the size is not a multiple of the
  // largest member alignment.
  bool is_packed(Type t) {
    int max_align = 1;
    for (uint32_t i = 0; i < t.vlen(); ++i) {
      Member m = t.member(i);
      int a = align_of(m.type);
      if (a && m.bitfield_size == 0 && m.bit_offset % (8 * a) != 0) return true;
      max_align = std::max(max_align, a);
    }
    return t.size() % max_align != 0;
  }

  // ---- ordering pass ----
  void mark_referenced() {
    auto mark = [&](uint32_t id) {
      if (id < referenced_.size()) referenced_[id] = 1;
    };
    for (uint32_t id = 1; id < btf_.type_count(); ++id) {
      Type t = btf_.type(id);
      switch (t.kind()) {
        case Kind::kVolatile:
        case Kind::kConst:
        case Kind::kRestrict:
        case Kind::kPtr:
        case Kind::kTypedef:
        case Kind::kFunc:
        case Kind::kVar:
        case Kind::kDeclTag:
        case Kind::kTypeTag:
          mark(t.ref());
          break;
        case Kind::kArray:
          mark(t.array().index_type);
          mark(t.array().type);
          break;
        case Kind::kStruct:
        case Kind::kUnion:
          for (uint32_t i = 0; i < t.vlen(); ++i) mark(t.member(i).type);
          break;
        case Kind::kFuncProto:
          for (uint32_t i = 0; i < t.vlen(); ++i) mark(t.param(i).type);
          break;
        case Kind::kDatasec:
          for (uint32_t i = 0; i < t.vlen(); ++i) mark(t.secinfo(i).type);
          break;
        default:
          break;
      }
    }
  }

  // 1 = strong link (definition emitted or inline), 0 = weak, -1 = unsatisfiable cycle.
  int order_type(uint32_t id, bool through_ptr) {
    if (order_[id] == kOrdered) return 1;
    Type t = btf_.type(id);
    bool named = t.name_off() != 0;
    if (order_[id] == kOrdering) {
      if (t.is_struct_or_union() && through_ptr && named) return 0;
      return -1;
    }
    switch (t.kind()) {
      case Kind::kInt:
      case Kind::kFloat:
        order_[id] = kOrdered;
        return 0;
      case Kind::kPtr: {
        int r = order_type(t.ref(), true);
        order_[id] = kOrdered;
        return r;
      }
      case Kind::kArray:
        return order_type(t.array().type, false);
      case Kind::kStruct:
      case Kind::kUnion: {
        if (through_ptr && named) return 0;
        order_[id] = kOrdering;
        for (uint32_t i = 0; i < t.vlen(); ++i)
          if (order_type(t.member(i).type, false) < 0) return -1;
        if (named) queue_.push_back(id);
        order_[id] = kOrdered;
        return 1;
      }
      case Kind::kEnum:
      case Kind::kEnum64:
      case Kind::kFwd:
        if (named || !referenced_[id]) queue_.push_back(id);
        order_[id] = kOrdered;
        return 1;
      case Kind::kTypedef: {
        int strong = order_type(t.ref(), through_ptr);
        if (strong < 0) return strong;
        if (through_ptr && !strong) return 0;
        queue_.push_back(id);
        order_[id] = kOrdered;
        return 1;
      }
      case Kind::kVolatile:
      case Kind::kConst:
      case Kind::kRestrict:
      case Kind::kTypeTag:
        return order_type(t.ref(), through_ptr);
      case Kind::kFuncProto: {
        int r = order_type(t.ref(), through_ptr);
        if (r < 0) return r;
        bool strong = r > 0;
        for (uint32_t i = 0; i < t.vlen(); ++i) {
          r = order_type(t.param(i).type, through_ptr);
          if (r < 0) return r;
          if (r > 0) strong = true;
        }
        return strong ? 1 : 0;
      }
      case Kind::kFunc:
      case Kind::kVar:
      case Kind::kDatasec:
      case Kind::kDeclTag:
        order_[id] = kOrdered;
        return 0;
      default:
        return -1;
    }
  }

  // ---- emit pass ----
  bool blacklisted(uint32_t id) const {
    Type t = btf_.type(id);
    return t.name_off() != 0 && t.name() == "__builtin_va_list";
  }

  void emit_type(uint32_t id, uint32_t cont_id) {
    if (emit_[id] == kEmitted) return;
    Type t = btf_.type(id);
    Kind k = t.kind();
    bool top_level = cont_id == 0;
    if (emit_[id] == kEmitting) {
      if (fwd_emitted_[id]) return;
      if (t.is_struct_or_union()) {
        if (id == cont_id || t.name_off() == 0) return;
        emit_struct_fwd(id, t);
        put(";\n\n");
        fwd_emitted_[id] = 1;
      } else if (k == Kind::kTypedef) {
        if (!blacklisted(id)) {
          emit_typedef_def(id, t, 0);
          put(";\n\n");
        }
        fwd_emitted_[id] = 1;
      }
      return;
    }
    switch (k) {
      case Kind::kInt:
        emit_missing_alias(id, t);
        emit_[id] = kEmitted;
        break;
      case Kind::kEnum:
      case Kind::kEnum64:
        if (top_level) {
          emit_enum_def(id, t, 0);
          put(";\n\n");
        }
        emit_[id] = kEmitted;
        break;
      case Kind::kPtr:
      case Kind::kVolatile:
      case Kind::kConst:
      case Kind::kRestrict:
      case Kind::kTypeTag:
        emit_type(t.ref(), cont_id);
        break;
      case Kind::kArray:
        emit_type(t.array().type, cont_id);
        break;
      case Kind::kFwd:
        emit_fwd_def(id, t);
        put(";\n\n");
        emit_[id] = kEmitted;
        break;
      case Kind::kTypedef:
        emit_[id] = kEmitting;
        emit_type(t.ref(), id);
        if (!fwd_emitted_[id] && !blacklisted(id)) {
          emit_typedef_def(id, t, 0);
          put(";\n\n");
        }
        emit_[id] = kEmitted;
        break;
      case Kind::kStruct:
      case Kind::kUnion:
        emit_[id] = kEmitting;
        if (top_level || t.name_off() == 0) {
          uint32_t new_cont = t.name_off() == 0 ? cont_id : id;
          for (uint32_t i = 0; i < t.vlen(); ++i) emit_type(t.member(i).type, new_cont);
        } else if (!fwd_emitted_[id] && id != cont_id) {
          emit_struct_fwd(id, t);
          put(";\n\n");
          fwd_emitted_[id] = 1;
        }
        if (top_level) {
          emit_struct_def(id, t, 0);
          put(";\n\n");
          emit_[id] = kEmitted;
        } else {
          emit_[id] = kNotEmitted;
        }
        break;
      case Kind::kFuncProto:
        emit_type(t.ref(), cont_id);
        for (uint32_t i = 0; i < t.vlen(); ++i) emit_type(t.param(i).type, cont_id);
        break;
      default:
        break;
    }
  }

  void emit_missing_alias(uint32_t id, Type t) {
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"__Poly8_t", "unsigned char"},
        {"__Poly16_t", "unsigned short"},
        {"__Poly64_t", "unsigned long long"},
        {"__Poly128_t", "unsigned __int128"}};
    for (auto [name, base] : kAliases) {
      if (t.name() != name) continue;
      put("typedef ");
      put(base);
      put(' ');
      type_name(id);
      put(";\n\n");
      return;
    }
  }

  void emit_struct_fwd(uint32_t id, Type t) {
    put(t.kind() == Kind::kStruct ? "struct" : "union");
    if (t.name_off()) put(' ');
    type_name(id);
  }

  void emit_fwd_def(uint32_t id, Type t) {
    put(t.kflag() ? "union " : "struct ");
    type_name(id);
  }

  void emit_enum_fwd(uint32_t id) {
    put("enum ");
    type_name(id);
  }

  void emit_typedef_def(uint32_t id, Type t, int lvl) {
    if (t.ref() == 0 && t.name() == "__gnuc_va_list") {
      put("typedef __builtin_va_list __gnuc_va_list");
      return;
    }
    put("typedef ");
    resolve(id, ident_names_);
    std::string name(t.name());
    if (dup_[id]) name += "___" + std::to_string(dup_[id]);
    emit_type_decl(t.ref(), name, lvl);
  }

  void emit_enum_def(uint32_t id, Type t, int lvl) {
    put("enum");
    if (t.name_off()) put(' ');
    type_name(id);
    uint32_t vlen = t.vlen();
    if (!vlen) return;
    put(" {");
    bool is_signed = t.kflag();
    bool enum64 = t.kind() == Kind::kEnum64;
    const uint32_t* w = t.words() + 3;
    for (uint32_t i = 0; i < vlen; ++i) {
      EnumValue v = t.enum_value(i);
      size_t d = name_dups(ident_names_, v.name);
      put('\n');
      pfx(lvl + 1);
      put(v.name);
      if (d > 1) {
        put("___");
        num(d);
      }
      put(" = ");
      if (!enum64) {
        uint32_t raw = w[2 * i + 1];
        if (is_signed)
          num(static_cast<int32_t>(raw));
        else
          num(raw);
      } else if (is_signed) {
        num(v.value);
        put("LL");
      } else {
        num(static_cast<uint64_t>(v.value));
        put("ULL");
      }
      put(',');
    }
    put('\n');
    pfx(lvl);
    put('}');
    // bpftool 7.1 (libbpf 1.1) adds no mode(byte)/mode(word) for odd-sized enums; neither do we.
  }

  void emit_bit_padding(int64_t cur, int64_t next, int next_align, bool in_bitfield, int lvl) {
    static constexpr std::pair<std::string_view, int> kPads[] = {
        {"long", kPtrSize * 8}, {"int", 32}, {"short", 16}, {"char", 8}};
    if (cur >= next) return;
    // bpftool writes one `long: 64;` per word; for absurd gaps (a 4 GB struct in hostile BTF)
    // that is gigabytes of text, so large whole-byte gaps become one named char array instead.
    constexpr int64_t kMaxPadLines = 4096;
    if ((next - cur) / 64 > kMaxPadLines) {
      if (cur % 8 != 0) {  // finish the partial byte with an unnamed bitfield first
        put('\n');
        pfx(lvl);
        put("char: ");
        num(8 - cur % 8);
        put(';');
        cur += 8 - cur % 8;
      }
      int64_t bytes = (next - cur) / 8;
      put('\n');
      pfx(lvl);
      put("char __pad_");
      num(cur / 8);
      put('[');
      num(bytes);
      put("];");
      cur += bytes * 8;
    }
    int64_t new_off = cur;
    int pad_bits = 0;
    std::string_view pad_type;
    for (auto [name, bits] : kPads) {
      pad_bits = bits;
      pad_type = name;
      new_off = (cur + bits - 1) / bits * bits;
      if (new_off <= next) break;
    }
    if (new_off > cur && new_off <= next) {
      int64_t align_bits = int64_t(next_align) * 8;
      int64_t rounded = align_bits ? (cur + align_bits - 1) / align_bits * align_bits : cur;
      if (in_bitfield || (new_off == next && rounded != new_off) ||
          (new_off != next && next - new_off <= new_off - cur)) {
        put('\n');
        pfx(lvl);
        put(pad_type);
        put(": ");
        num(in_bitfield ? new_off - cur : 0);
        put(';');
      }
      cur = new_off;
    }
    while (cur != next) {
      int64_t bits = std::min<int64_t>(next - cur, pad_bits);
      if (bits == pad_bits) {
        put('\n');
        pfx(lvl);
        put(pad_type);
        put(": ");
        num(pad_bits);
        put(';');
        cur += bits;
        continue;
      }
      for (int i = 3; i >= 0; --i) {
        if (kPads[i].second < bits) continue;
        put('\n');
        pfx(lvl);
        put(kPads[i].first);
        put(": ");
        num(bits);
        put(';');
        cur += bits;
        break;
      }
    }
  }

  void emit_struct_def(uint32_t id, Type t, int lvl) {
    bool is_struct = t.kind() == Kind::kStruct;
    int align = align_of(id);
    bool packed = is_struct && is_packed(t);
    put(is_struct ? "struct" : "union");
    if (t.name_off()) put(' ');
    type_name(id);
    put(" {");
    int64_t off = 0;
    bool prev_bitfield = false;
    for (uint32_t i = 0; i < t.vlen(); ++i) {
      Member m = t.member(i);
      int m_align = packed ? 1 : align_of(m.type);
      bool in_bitfield = prev_bitfield && m.bitfield_size != 0;
      emit_bit_padding(off, m.bit_offset, m_align, in_bitfield, lvl + 1);
      put('\n');
      pfx(lvl + 1);
      emit_type_decl(m.type, m.name, lvl + 1);
      if (m.bitfield_size) {
        put(": ");
        num(m.bitfield_size);
        off = int64_t(m.bit_offset) + m.bitfield_size;
        prev_bitfield = true;
      } else {
        auto sz = btf_.resolve_size(m.type);
        off = int64_t(m.bit_offset) + (sz.ok() ? int64_t(*sz) : 0) * 8;
        prev_bitfield = false;
      }
      put(';');
    }
    if (is_struct) emit_bit_padding(off, int64_t(t.size()) * 8, align, false, lvl + 1);
    if (t.vlen() || t.size()) {
      put('\n');
      pfx(lvl);
      put('}');
    } else {
      put('}');
    }
    if (packed) put(" __attribute__((packed))");
  }

  // ---- declarators ----
  void emit_type_decl(uint32_t id, std::string_view fname, int lvl) {
    size_t start = stack_.size();
    for (;;) {
      stack_.push_back(id);
      if (id == 0) break;
      Type t = btf_.type(id);
      bool done = false;
      switch (t.kind()) {
        case Kind::kPtr:
        case Kind::kVolatile:
        case Kind::kConst:
        case Kind::kRestrict:
        case Kind::kFuncProto:
        case Kind::kTypeTag:
          id = t.ref();
          break;
        case Kind::kArray:
          id = t.array().type;
          break;
        default:
          done = true;
          break;
      }
      if (done) break;
    }
    size_t cnt = stack_.size() - start;
    emit_type_chain(start, cnt, fname, lvl);
    stack_.resize(start);
  }

  static bool is_mod(Kind k) {
    return k == Kind::kVolatile || k == Kind::kConst || k == Kind::kRestrict || k == Kind::kTypeTag;
  }

  void emit_mods(size_t base, size_t& cnt) {
    while (cnt) {
      switch (btf_.kind(stack_[base + cnt - 1])) {
        case Kind::kVolatile:
          put("volatile ");
          break;
        case Kind::kConst:
          put("const ");
          break;
        case Kind::kRestrict:
          put("restrict ");
          break;
        default:
          return;
      }
      --cnt;
    }
  }

  void drop_mods(size_t base, size_t& cnt) {
    while (cnt && stack_[base + cnt - 1] != 0 && is_mod(btf_.kind(stack_[base + cnt - 1]))) --cnt;
  }

  void emit_name(std::string_view name, bool last_was_ptr) {
    if (!name.empty() && !last_was_ptr) put(' ');
    put(name);
  }

  // The frame is stack_[base, base+cnt); the top of the stack is the innermost type.
  void emit_type_chain(size_t base, size_t& cnt, std::string_view fname, int lvl) {
    bool last_was_ptr = true;
    while (cnt) {
      uint32_t id = stack_[base + --cnt];
      if (id == 0) {
        emit_mods(base, cnt);
        put("void");
        last_was_ptr = false;
        continue;
      }
      Type t = btf_.type(id);
      Kind k = t.kind();
      switch (k) {
        case Kind::kInt:
        case Kind::kFloat:
          emit_mods(base, cnt);
          put(t.name());
          break;
        case Kind::kStruct:
        case Kind::kUnion:
          emit_mods(base, cnt);
          if (t.name_off() == 0)
            emit_struct_def(id, t, lvl);
          else
            emit_struct_fwd(id, t);
          break;
        case Kind::kEnum:
        case Kind::kEnum64:
          emit_mods(base, cnt);
          if (t.name_off() == 0)
            emit_enum_def(id, t, lvl);
          else
            emit_enum_fwd(id);
          break;
        case Kind::kFwd:
          emit_mods(base, cnt);
          emit_fwd_def(id, t);
          break;
        case Kind::kTypedef:
          emit_mods(base, cnt);
          ident_name(id);
          break;
        case Kind::kPtr:
          put(last_was_ptr ? "*" : " *");
          break;
        case Kind::kVolatile:
          put(" volatile");
          break;
        case Kind::kConst:
          put(" const");
          break;
        case Kind::kRestrict:
          put(" restrict");
          break;
        case Kind::kTypeTag:
          emit_mods(base, cnt);
          put(" __attribute__((btf_type_tag(\"");
          put(t.name());
          put("\")))");
          break;
        case Kind::kArray: {
          ArrayInfo a = t.array();
          drop_mods(base, cnt);
          if (cnt == 0) {
            emit_name(fname, last_was_ptr);
            put('[');
            num(a.nelems);
            put(']');
            return;
          }
          bool multidim =
              btf_.kind(stack_[base + cnt - 1]) == Kind::kArray && stack_[base + cnt - 1] != 0;
          if (!fname.empty() && !last_was_ptr) put(' ');
          if (!multidim) put('(');
          emit_type_chain(base, cnt, fname, lvl);
          if (!multidim) put(')');
          put('[');
          num(a.nelems);
          put(']');
          return;
        }
        case Kind::kFuncProto: {
          drop_mods(base, cnt);
          if (cnt) {
            put(" (");
            emit_type_chain(base, cnt, fname, lvl);
            put(')');
          } else {
            emit_name(fname, last_was_ptr);
          }
          put('(');
          uint32_t vlen = t.vlen();
          if (vlen == 0 || (vlen == 1 && t.param(0).type == 0)) {
            put("void)");
            return;
          }
          for (uint32_t i = 0; i < vlen; ++i) {
            Param p = t.param(i);
            if (i > 0) put(", ");
            if (i == vlen - 1 && p.type == 0) {
              put("...");
              break;
            }
            emit_type_decl(p.type, p.name, lvl);
          }
          put(')');
          return;
        }
        default:
          return;
      }
      last_was_ptr = k == Kind::kPtr;
    }
    emit_name(fname, last_was_ptr);
  }

  const Btf& btf_;
  std::string& out_;
  std::vector<uint8_t> order_, emit_, fwd_emitted_, referenced_, resolved_;
  std::vector<uint32_t> dup_;
  std::vector<int8_t> align_cache_;
  NameCounter type_names_, ident_names_;
  std::vector<uint32_t> queue_;
  std::vector<uint32_t> stack_;
};

}  // namespace

void dump_c(const Btf& btf, std::string& out) {
  out.append(
      "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
      "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
      "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
      "#endif\n\n");
  CDumper d(btf, out);
  for (uint32_t id = 1; id < btf.type_count(); ++id) d.dump_type(id);
  out.append(
      "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
      "#endif /* __VMLINUX_H__ */\n");
}

void dump_c(const Btf& btf, std::span<const uint32_t> roots, std::string& out) {
  out.append(
      "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
      "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
      "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
      "#endif\n\n");
  CDumper d(btf, out);
  for (uint32_t id : roots) {
    if (id != 0 && id < btf.type_count()) d.dump_type(id);
  }
  out.append(
      "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
      "#endif /* __VMLINUX_H__ */\n");
}

std::string dump_c(const Btf& btf) {
  std::string s;
  s.reserve(size_t(btf.type_count()) * 48);
  dump_c(btf, s);
  return s;
}

}  // namespace bombus::btf
