// The BTF half of the static linker: merges .BTF and .BTF.ext of several inputs (link_internal.h).
// Works on raw words: every kind's layout is known, so ids and string offsets are remapped in
// place.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "gen/link_internal.h"

namespace bombus::gen::detail {

namespace {

enum : uint32_t {
  kInt = 1,
  kPtr,
  kArray,
  kStruct,
  kUnion,
  kEnum,
  kFwd,
  kTypedef,
  kVolatile,
  kConst,
  kRestrict,
  kFunc,
  kFuncProto,
  kVar,
  kDatasec,
  kFloat,
  kDeclTag,
  kTypeTag,
  kEnum64
};

uint32_t rd32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

struct RawBtf {
  std::vector<std::vector<uint32_t>> types;  // index = id - 1
  const char* strs = nullptr;
  uint32_t str_len = 0;
  std::string str(uint32_t off) const {
    if (off >= str_len) return {};
    return std::string(strs + off, strnlen(strs + off, str_len - off));
  }
};

// Words of one type, or 0 when the kind is unknown.
size_t type_words(uint32_t kind, uint32_t vlen) {
  switch (kind) {
    case kInt:
    case kVar:
    case kDeclTag:
      return 4;
    case kArray:
      return 6;
    case kStruct:
    case kUnion:
    case kDatasec:
    case kEnum64:
      return 3 + 3 * vlen;
    case kEnum:
    case kFuncProto:
      return 3 + 2 * vlen;
    case kPtr:
    case kFwd:
    case kTypedef:
    case kVolatile:
    case kConst:
    case kRestrict:
    case kFunc:
    case kFloat:
    case kTypeTag:
      return 3;
    default:
      return 0;
  }
}

Result<RawBtf> parse(const std::string& file, const std::vector<uint8_t>& b) {
  auto bad = [&](const std::string& m) {
    return make_error(Errc::kInvalid, file + ": .BTF: " + m);
  };
  if (b.size() < 24 || (rd32(b, 0) & 0xffff) != 0xeb9f) return bad("bad header");
  uint32_t hdr = rd32(b, 4), toff = rd32(b, 8), tlen = rd32(b, 12), soff = rd32(b, 16),
           slen = rd32(b, 20);
  if (uint64_t(hdr) + toff + tlen > b.size() || uint64_t(hdr) + soff + slen > b.size())
    return bad("sections out of bounds");
  RawBtf r;
  r.strs = reinterpret_cast<const char*>(b.data() + hdr + soff);
  r.str_len = slen;
  size_t p = hdr + toff, end = p + tlen;
  while (p < end) {
    if (p + 12 > end) return bad("truncated type");
    uint32_t info = rd32(b, p + 4);
    size_t n = type_words((info >> 24) & 0x1f, info & 0xffff);
    if (n == 0) return bad("unknown kind " + std::to_string((info >> 24) & 0x1f));
    if (p + n * 4 > end) return bad("truncated type");
    std::vector<uint32_t> w(n);
    std::memcpy(w.data(), b.data() + p, n * 4);
    r.types.push_back(std::move(w));
    p += n * 4;
  }
  return r;
}

class Strings {
 public:
  Strings() { data_.push_back('\0'); }
  uint32_t add(const std::string& s) {
    if (s.empty()) return 0;
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    uint32_t off = static_cast<uint32_t>(data_.size());
    data_.insert(data_.end(), s.begin(), s.end());
    data_.push_back('\0');
    index_.emplace(s, off);
    return off;
  }
  const std::vector<char>& data() const { return data_; }

 private:
  std::vector<char> data_;
  std::unordered_map<std::string, uint32_t> index_;
};

void put32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}

}  // namespace

Result<BtfOutput> merge_btf(const std::vector<BtfInput>& inputs,
                            const std::map<std::string, uint64_t>& sec_sizes,
                            const std::vector<std::string>& sec_order) {
  std::vector<RawBtf> raws(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].btf.empty()) continue;
    BOMBUS_ASSIGN_OR_RETURN(raws[i], parse(inputs[i].file, inputs[i].btf));
  }
  // Names of VARs defined (not extern) anywhere: their extern declarations leave the DATASECs.
  std::map<std::string, bool> defined_vars;
  for (const RawBtf& r : raws)
    for (const auto& w : r.types)
      if (((w[1] >> 24) & 0x1f) == kVar && w[3] != 2) defined_vars[r.str(w[0])] = true;

  Strings strs;
  std::vector<std::vector<uint32_t>> out;  // index = new id - 1
  std::vector<std::vector<uint32_t>> idmap(inputs.size());
  struct SecEntry {
    uint32_t type, offset, size;
  };
  std::map<std::string, std::vector<SecEntry>> datasecs;
  // First pass: new ids for every type except DATASECs (merged and appended at the end).
  uint32_t next = 1;
  for (size_t i = 0; i < raws.size(); ++i) {
    idmap[i].assign(raws[i].types.size() + 1, 0);
    for (size_t t = 0; t < raws[i].types.size(); ++t)
      if (((raws[i].types[t][1] >> 24) & 0x1f) != kDatasec) idmap[i][t + 1] = next++;
  }
  for (size_t i = 0; i < raws.size(); ++i) {
    const RawBtf& r = raws[i];
    auto id = [&](uint32_t old) -> uint32_t { return old < idmap[i].size() ? idmap[i][old] : 0; };
    auto s = [&](uint32_t off) { return strs.add(r.str(off)); };
    for (const auto& w0 : r.types) {
      std::vector<uint32_t> w = w0;
      uint32_t kind = (w[1] >> 24) & 0x1f, vlen = w[1] & 0xffff;
      if (kind == kDatasec) {
        std::string name = r.str(w[0]);
        auto pl = inputs[i].placed.find(name);
        uint64_t base = pl == inputs[i].placed.end() ? 0 : pl->second.dst_off;
        auto& entries = datasecs[name];
        for (uint32_t k = 0; k < vlen; ++k) {
          uint32_t var = w[3 + 3 * k];
          const auto& vw = var >= 1 && var <= r.types.size() ? r.types[var - 1] : w;
          bool is_extern_var = ((vw[1] >> 24) & 0x1f) == kVar && vw[3] == 2;
          if (is_extern_var && defined_vars.count(r.str(vw[0]))) continue;
          entries.push_back({id(var), static_cast<uint32_t>(w[4 + 3 * k] + base), w[5 + 3 * k]});
        }
        continue;
      }
      w[0] = s(w[0]);
      switch (kind) {
        case kPtr:
        case kTypedef:
        case kVolatile:
        case kConst:
        case kRestrict:
        case kFunc:
        case kFuncProto:
        case kVar:
        case kDeclTag:
        case kTypeTag:
          w[2] = id(w[2]);
          break;
        default:
          break;
      }
      if (kind == kArray) {
        w[3] = id(w[3]);
        w[4] = id(w[4]);
      } else if (kind == kStruct || kind == kUnion) {
        for (uint32_t k = 0; k < vlen; ++k) {
          w[3 + 3 * k] = s(w[3 + 3 * k]);
          w[4 + 3 * k] = id(w[4 + 3 * k]);
        }
      } else if (kind == kEnum) {
        for (uint32_t k = 0; k < vlen; ++k) w[3 + 2 * k] = s(w[3 + 2 * k]);
      } else if (kind == kEnum64) {
        for (uint32_t k = 0; k < vlen; ++k) w[3 + 3 * k] = s(w[3 + 3 * k]);
      } else if (kind == kFuncProto) {
        for (uint32_t k = 0; k < vlen; ++k) {
          w[3 + 2 * k] = s(w[3 + 2 * k]);
          w[4 + 2 * k] = id(w[4 + 2 * k]);
        }
      }
      out.push_back(std::move(w));
    }
  }
  // Merged DATASECs, in output section order (then any DATASEC naming no output section).
  std::vector<std::string> names;
  for (const auto& n : sec_order)
    if (datasecs.count(n)) names.push_back(n);
  for (const auto& [n, e] : datasecs)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  for (const auto& n : names) {
    auto& e = datasecs[n];
    std::stable_sort(e.begin(), e.end(),
                     [](const SecEntry& a, const SecEntry& b) { return a.offset < b.offset; });
    auto sz = sec_sizes.find(n);
    std::vector<uint32_t> w = {strs.add(n), (kDatasec << 24) | static_cast<uint32_t>(e.size()),
                               sz == sec_sizes.end() ? 0u : static_cast<uint32_t>(sz->second)};
    for (const auto& x : e) w.insert(w.end(), {x.type, x.offset, x.size});
    out.push_back(std::move(w));
  }

  BtfOutput res;
  uint32_t tlen = 0;
  for (const auto& w : out) tlen += static_cast<uint32_t>(w.size() * 4);
  uint32_t slen = static_cast<uint32_t>(strs.data().size());
  auto& b = res.btf;
  put32(b, 0x0001eb9f);  // magic, version 1, flags 0
  put32(b, 24);
  put32(b, 0);
  put32(b, tlen);
  put32(b, tlen);
  put32(b, slen);
  for (const auto& w : out)
    for (uint32_t v : w) put32(b, v);
  b.insert(b.end(), strs.data().begin(), strs.data().end());

  // .BTF.ext: func_info, line_info, core_relo blocks, records grouped by output section.
  bool any_ext = false;
  for (const auto& in : inputs) any_ext |= !in.btf_ext.empty();
  if (!any_ext) return res;
  struct Block {
    uint32_t rec_size = 0;
    std::map<std::string, std::vector<std::vector<uint32_t>>> recs;
  };
  Block blocks[3];
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& e = inputs[i].btf_ext;
    if (e.empty()) continue;
    auto bad = [&](const std::string& m) {
      return make_error(Errc::kInvalid, inputs[i].file + ": .BTF.ext: " + m);
    };
    if (e.size() < 24 || (rd32(e, 0) & 0xffff) != 0xeb9f) return bad("bad header");
    uint32_t hdr = rd32(e, 4);
    if (hdr < 24 || hdr > e.size()) return bad("bad header length");
    const RawBtf& r = raws[i];
    for (int k = 0; k < 3; ++k) {
      if (uint32_t(16 + 8 * k) > hdr) break;
      uint32_t off = rd32(e, 8 + 8 * k), len = rd32(e, 12 + 8 * k);
      if (len == 0) continue;
      size_t p = hdr + off, end = p + len;
      if (end > e.size() || len < 4) return bad("block out of bounds");
      uint32_t rs = rd32(e, p);
      p += 4;
      uint32_t want = k == 1 ? 16 : k == 2 ? 16 : 8;
      if (rs < want || rs % 4) return bad("bad record size " + std::to_string(rs));
      if (blocks[k].rec_size == 0) blocks[k].rec_size = rs;
      if (blocks[k].rec_size != rs) return bad("record size differs from other inputs");
      while (p < end) {
        if (p + 8 > end) return bad("truncated section header");
        std::string sec = r.str(rd32(e, p));
        uint32_t n = rd32(e, p + 4);
        p += 8;
        if (p + uint64_t(n) * rs > end) return bad("truncated records");
        auto pl = inputs[i].placed.find(sec);
        uint64_t base = pl == inputs[i].placed.end() ? 0 : pl->second.dst_off;
        for (uint32_t j = 0; j < n; ++j, p += rs) {
          std::vector<uint32_t> w(rs / 4);
          std::memcpy(w.data(), e.data() + p, rs);
          w[0] += static_cast<uint32_t>(base);
          if (k == 0) {
            w[1] = w[1] < idmap[i].size() ? idmap[i][w[1]] : 0;
          } else if (k == 1) {
            w[1] = strs.add(r.str(w[1]));
            w[2] = strs.add(r.str(w[2]));
          } else {
            w[1] = w[1] < idmap[i].size() ? idmap[i][w[1]] : 0;
            w[2] = strs.add(r.str(w[2]));
          }
          blocks[k].recs[sec].push_back(std::move(w));
        }
      }
    }
  }
  // Strings grew with BTF.ext names: rewrite the .BTF string section.
  slen = static_cast<uint32_t>(strs.data().size());
  b.resize(24 + tlen);
  b.insert(b.end(), strs.data().begin(), strs.data().end());
  std::memcpy(b.data() + 20, &slen, 4);

  std::vector<uint8_t> body[3];
  for (int k = 0; k < 3; ++k) {
    if (blocks[k].recs.empty()) continue;
    put32(body[k], blocks[k].rec_size);
    std::vector<std::string> order;
    for (const auto& n : sec_order)
      if (blocks[k].recs.count(n)) order.push_back(n);
    for (const auto& [n, v] : blocks[k].recs)
      if (std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
    for (const auto& n : order) {
      auto& v = blocks[k].recs[n];
      std::stable_sort(v.begin(), v.end(),
                       [](const auto& a, const auto& c) { return a[0] < c[0]; });
      put32(body[k], strs.add(n));
      put32(body[k], static_cast<uint32_t>(v.size()));
      for (const auto& w : v)
        for (uint32_t x : w) put32(body[k], x);
    }
  }
  // Section names may have added strings once more.
  if (strs.data().size() != slen) {
    slen = static_cast<uint32_t>(strs.data().size());
    b.resize(24 + tlen);
    b.insert(b.end(), strs.data().begin(), strs.data().end());
    std::memcpy(b.data() + 20, &slen, 4);
  }
  auto& x = res.btf_ext;
  put32(x, 0x0001eb9f);
  put32(x, 32);
  uint32_t off = 0;
  for (int k = 0; k < 3; ++k) {
    put32(x, off);
    put32(x, static_cast<uint32_t>(body[k].size()));
    off += static_cast<uint32_t>(body[k].size());
  }
  for (int k = 0; k < 3; ++k) x.insert(x.end(), body[k].begin(), body[k].end());
  return res;
}

}  // namespace bombus::gen::detail
