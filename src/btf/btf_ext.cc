// BTF.ext parsing: header, then up to three info blocks, each a record size followed by
// per-section groups {section name offset, record count, records}. Every offset, count, type id
// and string offset is checked; unknown trailing record bytes (a larger rec_size) are skipped.
#include "btf/btf_ext.h"

#include <algorithm>

#include "base/bytes.h"

namespace bombus::btf {
namespace {

Error bad(std::string msg, std::optional<int64_t> off = std::nullopt) {
  Location loc;
  loc.section = ".BTF.ext";
  loc.byte_offset = off;
  return make_error(Errc::kInvalid, std::move(msg), std::move(loc));
}

enum class Block { kFunc, kLine, kCore };

}  // namespace

std::string_view relo_kind_name(ReloKind k) {
  static constexpr std::string_view kNames[] = {
      "byte_off",       "byte_sz",       "field_exists",   "signed",      "lshift_u64",
      "rshift_u64",     "local_type_id", "target_type_id", "type_exists", "type_size",
      "enumval_exists", "enumval_value", "type_matches"};
  auto i = static_cast<size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

const ExtSection* BtfExt::section(std::string_view name) const {
  for (const ExtSection& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

const LineInfo* BtfExt::line_at(std::string_view name, uint32_t insn_off) const {
  const ExtSection* s = section(name);
  if (!s || s->lines.empty()) return nullptr;
  auto it = std::upper_bound(s->lines.begin(), s->lines.end(), insn_off,
                             [](uint32_t off, const LineInfo& l) { return off < l.insn_off; });
  if (it == s->lines.begin()) return nullptr;
  return &*(it - 1);
}

Result<BtfExt> BtfExt::parse(std::span<const uint8_t> data, const Btf& btf) {
  if (data.size() < 24)
    return bad("truncated header: " + std::to_string(data.size()) + " bytes, expected >= 24");
  if (load_unaligned<uint16_t>(data.data()) != kMagic) return bad("bad magic, expected 0xeb9f", 0);
  if (data[2] != 1) return bad("unsupported version " + std::to_string(data[2]), 2);
  if (data[3] != 0) return bad("unsupported flags " + std::to_string(data[3]), 3);
  uint32_t hdr_len = load_unaligned<uint32_t>(data.data() + 4);
  if (hdr_len < 24 || hdr_len > data.size() || hdr_len % 4)
    return bad("header length " + std::to_string(hdr_len) + " invalid", 4);
  auto field = [&](uint32_t at) -> uint32_t {
    return at + 4 <= hdr_len ? load_unaligned<uint32_t>(data.data() + at) : 0;
  };
  struct Info {
    Block block;
    uint32_t off, len, min_rec;
    const char* what;
  };
  Info infos[] = {{Block::kFunc, field(8), field(12), 8, "func_info"},
                  {Block::kLine, field(16), field(20), 16, "line_info"},
                  {Block::kCore, field(24), field(28), 16, "core_relo"}};
  const uint64_t body = data.size() - hdr_len;
  const uint8_t* base = data.data() + hdr_len;
  BtfExt ext;
  auto section_for = [&](std::string_view name) -> ExtSection& {
    for (ExtSection& s : ext.sections_)
      if (s.name == name) return s;
    ext.sections_.push_back(ExtSection{name, {}, {}, {}});
    return ext.sections_.back();
  };
  for (const Info& in : infos) {
    if (in.len == 0) continue;
    std::string what = in.what;
    if (uint64_t(in.off) + in.len > body)
      return bad(what + " [" + std::to_string(in.off) + ", +" + std::to_string(in.len) +
                 ") exceeds data (" + std::to_string(body) + " bytes)");
    if (in.off % 4) return bad(what + " offset " + std::to_string(in.off) + " not 4-byte aligned");
    const uint8_t* p = base + in.off;
    const uint64_t abs0 = hdr_len + in.off;
    uint32_t len = in.len;
    if (len < 4) return bad(what + ": truncated record size", abs0);
    uint32_t rec = load_unaligned<uint32_t>(p);
    if (rec < in.min_rec || rec % 4)
      return bad(what + ": record size " + std::to_string(rec) +
                     " invalid (expected >= " + std::to_string(in.min_rec) + ", multiple of 4)",
                 abs0);
    uint32_t pos = 4;
    while (pos < len) {
      if (len - pos < 8) return bad(what + ": truncated section header", abs0 + pos);
      uint32_t name_off = load_unaligned<uint32_t>(p + pos);
      uint32_t num = load_unaligned<uint32_t>(p + pos + 4);
      if (!btf.valid_str(name_off))
        return bad(what + ": section name offset " + std::to_string(name_off) + " out of range",
                   abs0 + pos);
      std::string_view sec_name = btf.str(name_off);
      if (num == 0)
        return bad(what + ": section '" + std::string(sec_name) + "' has no records", abs0 + pos);
      pos += 8;
      if (uint64_t(num) * rec > len - pos)
        return bad(what + ": section '" + std::string(sec_name) + "': " + std::to_string(num) +
                       " records of " + std::to_string(rec) + " bytes exceed the block",
                   abs0 + pos);
      ExtSection& sec = section_for(sec_name);
      for (uint32_t i = 0; i < num; ++i, pos += rec) {
        const uint8_t* r = p + pos;
        auto w = [&](int k) { return load_unaligned<uint32_t>(r + 4 * k); };
        auto rfail = [&](const std::string& m) {
          return bad(what + ": section '" + std::string(sec_name) + "': record #" +
                         std::to_string(i) + ": " + m,
                     abs0 + pos);
        };
        uint32_t insn_off = w(0);
        if (insn_off % 8)
          return rfail("insn offset " + std::to_string(insn_off) + " not a multiple of 8");
        switch (in.block) {
          case Block::kFunc: {
            uint32_t t = w(1);
            if (btf.kind(t) != Kind::kFunc || !btf.valid_id(t))
              return rfail("type " + std::to_string(t) + " is not a FUNC");
            if (!sec.funcs.empty() && sec.funcs.back().insn_off >= insn_off)
              return rfail("func info not sorted by insn offset");
            sec.funcs.push_back(FuncInfo{insn_off, t});
            break;
          }
          case Block::kLine: {
            uint32_t file = w(1), line = w(2), lc = w(3);
            if (!btf.valid_str(file))
              return rfail("file name offset " + std::to_string(file) + " out of range");
            if (!btf.valid_str(line))
              return rfail("line offset " + std::to_string(line) + " out of range");
            sec.lines.push_back(
                LineInfo{insn_off, btf.str(file), btf.str(line), lc >> 10, lc & 0x3ff});
            break;
          }
          case Block::kCore: {
            uint32_t t = w(1), acc = w(2), kind = w(3);
            if (t == 0 || !btf.valid_id(t))
              return rfail("type id " + std::to_string(t) + " out of range");
            if (!btf.valid_str(acc))
              return rfail("access string offset " + std::to_string(acc) + " out of range");
            if (kind > kMaxReloKind)
              return rfail("unknown relocation kind " + std::to_string(kind));
            sec.relos.push_back(CoreRelo{insn_off, t, btf.str(acc), static_cast<ReloKind>(kind)});
            break;
          }
        }
      }
    }
  }
  for (ExtSection& s : ext.sections_)
    std::stable_sort(s.lines.begin(), s.lines.end(),
                     [](const LineInfo& a, const LineInfo& b) { return a.insn_off < b.insn_off; });
  return ext;
}

}  // namespace bombus::btf
