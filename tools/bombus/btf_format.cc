// BTF-driven formatting of map keys and values (see btf_format.h).
#include "btf_format.h"

#include <cstring>

#include "store/store.h"

namespace bombus::cli {

namespace {

// json_writer's state: the separator owed before the next item (',' or none) and the depth.
struct PrettyWriter {
  std::string out;
  int depth = 0;
  char sep = '\0';

  void item_start() {
    if (sep != '\0') out += sep;
    sep = ',';
  }
  void newline() {
    out += '\n';
    out.append(static_cast<size_t>(depth) * 4, ' ');
  }
  void begin(char c) {
    item_start();
    out += c;
    ++depth;
    sep = '\0';
  }
  void end(char c) {
    --depth;
    if (sep != '\0') newline();
    out += c;
    sep = ',';
  }
  void write(const nlohmann::ordered_json& j) {
    if (j.is_object()) {
      begin('{');
      for (auto it = j.begin(); it != j.end(); ++it) {
        item_start();
        newline();
        sep = '\0';
        out += nlohmann::ordered_json(it.key()).dump() + ": ";
        write(it.value());
      }
      end('}');
    } else if (j.is_array()) {
      begin('[');
      for (const auto& v : j) write(v);
      end(']');
    } else {
      item_start();
      out += j.dump();
    }
  }
};

}  // namespace

std::string bpftool_pretty(const nlohmann::ordered_json& j) {
  PrettyWriter w;
  w.write(j);
  return w.out;
}

std::optional<ValueFormatter> ValueFormatter::for_map(const std::string& btf_file,
                                                      const nlohmann::ordered_json& meta) {
  uint32_t value_type = meta.value("_btf_value_type_id", 0u);
  if (value_type == 0 || btf_file.empty()) return std::nullopt;
  auto bytes = store::read_file(btf_file);
  if (!bytes.ok()) return std::nullopt;
  auto parsed = btf::Btf::parse(*bytes);
  if (!parsed.ok()) return std::nullopt;
  auto shared = std::make_shared<const btf::Btf>(std::move(parsed).value());
  if (!shared->valid_id(value_type)) return std::nullopt;
  return ValueFormatter(shared, meta.value("_btf_key_type_id", 0u), value_type);
}

nlohmann::ordered_json ValueFormatter::element(std::span<const uint8_t> key,
                                               std::span<const uint8_t> value,
                                               uint32_t ncpus) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (key_type_ != 0 && !key.empty()) j["key"] = format(key_type_, key);
  if (ncpus == 0) {
    j["value"] = format(value_type_, value);
    return j;
  }
  auto size = btf_->resolve_size(value_type_);
  uint32_t stride = size.ok() ? (*size + 7) & ~7u : 8;
  nlohmann::ordered_json vals = nlohmann::ordered_json::array();
  for (uint32_t c = 0; c < ncpus && (c + 1) * stride <= value.size() + 7; ++c) {
    vals.push_back({{"cpu", c}, {"value", format(value_type_, value.subspan(c * stride))}});
  }
  j["values"] = vals;
  return j;
}

nlohmann::ordered_json ValueFormatter::format_int(const btf::Type& t, std::span<const uint8_t> data,
                                                  uint32_t bit_off, uint32_t bits) const {
  uint8_t enc = t.int_encoding();
  uint32_t total_bits = bits ? bits : t.int_bits();
  bit_off += t.int_offset();
  if (total_bits > 64) {
    // 128-bit integers: bpftool prints them as a hex string.
    std::string s = "0x";
    size_t n = std::min<size_t>(data.size(), t.size());
    bool started = false;
    char buf[4];
    for (size_t i = n; i-- > 0;) {
      if (!started && data[i] == 0 && i > 0) continue;
      std::snprintf(buf, sizeof buf, started ? "%02x" : "%x", data[i]);
      s += buf;
      started = true;
    }
    return s;
  }
  size_t byte = bit_off / 8;
  uint64_t raw = 0;
  if (byte < data.size())
    std::memcpy(&raw, data.data() + byte, std::min<size_t>(8, data.size() - byte));
  uint64_t v = raw >> (bit_off % 8);
  if (total_bits < 64) v &= (1ull << total_bits) - 1;
  if (enc & btf::kIntBool) return v != 0;
  if ((enc & btf::kIntSigned) && total_bits < 64 && (v >> (total_bits - 1)) & 1)
    v |= ~0ull << total_bits;
  if (enc & btf::kIntSigned) return static_cast<int64_t>(v);
  return v;
}

nlohmann::ordered_json ValueFormatter::format(uint32_t id, std::span<const uint8_t> data) const {
  uint32_t rid = btf_->skip_modifiers(id, true);
  btf::Type t = btf_->type(rid);
  auto size = btf_->resolve_size(rid);
  if (size.ok() && data.size() < *size) return nullptr;  // short buffer: nothing sensible to show
  switch (t.kind()) {
    case btf::Kind::kInt:
      return format_int(t, data, 0, 0);
    case btf::Kind::kFloat: {
      if (t.size() == 4) {
        float f;
        std::memcpy(&f, data.data(), 4);
        return f;
      }
      double d = 0;
      std::memcpy(&d, data.data(), std::min<size_t>(8, t.size()));
      return d;
    }
    case btf::Kind::kPtr: {
      uint64_t p = 0;
      std::memcpy(&p, data.data(), 8);
      return p;
    }
    case btf::Kind::kEnum:
    case btf::Kind::kEnum64: {
      uint64_t v = 0;
      std::memcpy(&v, data.data(), std::min<size_t>(8, t.size()));
      if (t.size() < 8) v &= (1ull << (8 * t.size())) - 1;
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        auto ev = t.enum_value(i);
        uint64_t ev_bits = static_cast<uint64_t>(ev.value);
        if (t.size() < 8) ev_bits &= (1ull << (8 * t.size())) - 1;
        if (ev_bits == v) return std::string(ev.name);
      }
      return v;
    }
    case btf::Kind::kArray: {
      auto a = t.array();
      uint32_t elem = btf_->skip_modifiers(a.type, true);
      auto esize = btf_->resolve_size(elem);
      if (!esize.ok() || *esize == 0) return nlohmann::ordered_json::array();
      btf::Type et = btf_->type(elem);
      // char arrays that hold a NUL-terminated printable string print as a string.
      if (et.kind() == btf::Kind::kInt && *esize == 1 &&
          (et.int_encoding() & btf::kIntChar || et.name() == "char")) {
        size_t n = 0;
        while (n < a.nelems && data[n] != 0) ++n;
        bool text = n < a.nelems;
        for (size_t i = 0; i < n && text; ++i) text = data[i] >= 32 && data[i] < 127;
        for (size_t i = n; i < a.nelems && text; ++i) text = data[i] == 0;
        if (text) return std::string(reinterpret_cast<const char*>(data.data()), n);
      }
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (uint32_t i = 0; i < a.nelems; ++i)
        arr.push_back(format(a.type, data.subspan(i * *esize)));
      return arr;
    }
    case btf::Kind::kStruct:
    case btf::Kind::kUnion: {
      nlohmann::ordered_json obj = nlohmann::ordered_json::object();
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        auto m = t.member(i);
        nlohmann::ordered_json v;
        if (m.bitfield_size) {
          btf::Type mt = btf_->type(btf_->skip_modifiers(m.type, true));
          uint32_t byte = m.bit_offset / 8;
          if (mt.kind() == btf::Kind::kInt) {
            v = format_int(mt, data.subspan(byte), m.bit_offset % 8, m.bitfield_size);
          } else {
            uint64_t raw = 0;
            std::memcpy(&raw, data.data() + byte, std::min<size_t>(8, data.size() - byte));
            v = (raw >> (m.bit_offset % 8)) & ((1ull << m.bitfield_size) - 1);
          }
        } else {
          v = format(m.type, data.subspan(m.bit_offset / 8));
        }
        if (m.name.empty() && v.is_object()) {
          obj.update(v);  // anonymous struct/union members: their fields inline
        } else {
          obj[std::string(m.name)] = v;
        }
      }
      return obj;
    }
    case btf::Kind::kDatasec: {
      nlohmann::ordered_json vars = nlohmann::ordered_json::array();
      for (uint32_t i = 0; i < t.vlen(); ++i) {
        auto si = t.secinfo(i);
        if (si.offset + si.size > data.size()) continue;
        btf::Type var = btf_->type(si.type);
        vars.push_back(
            {{std::string(var.name()), format(var.ref(), data.subspan(si.offset, si.size))}});
      }
      return {{std::string(t.name()), vars}};
    }
    case btf::Kind::kVar:
      return format(t.ref(), data);
    default:
      return nullptr;
  }
}

}  // namespace bombus::cli
