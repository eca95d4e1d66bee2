// Verification cache entries: "BMBVRC01", u32 key length, key, u32 insn count, insns (8 bytes
// each), then SHA-256 of everything before it. Little-endian, as the instructions are.
#include "store/verify_cache.h"

#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "store/prog_tag.h"

namespace bombus::store {
namespace {

constexpr char kMagic[8] = {'B', 'M', 'B', 'V', 'R', 'C', '0', '1'};
constexpr size_t kHashLen = 32;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

bool get_u32(std::span<const uint8_t> in, size_t& pos, uint32_t& v) {
  if (in.size() - pos < 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(in[pos + i]) << (8 * i);
  pos += 4;
  return true;
}

}  // namespace

std::string_view cache_result_name(CacheResult r) {
  switch (r) {
    case CacheResult::kHit:
      return "hit";
    case CacheResult::kMissing:
      return "miss";
    case CacheResult::kStale:
      return "stale";
    case CacheResult::kCorrupt:
      return "corrupt";
  }
  return "?";
}

std::string verify_cache_path(const Store& st, uint32_t prog_id) {
  return st.dir(Kind::kProg, prog_id) + "/verified";
}

CacheResult check_verified(const Store& st, uint32_t prog_id, std::string_view key,
                           std::span<const uint8_t> insns) {
  struct stat sb;
  const std::string path = verify_cache_path(st, prog_id);
  if (::stat(path.c_str(), &sb) != 0) return CacheResult::kMissing;
  auto data = read_file(path);
  if (!data.ok()) return CacheResult::kCorrupt;
  std::span<const uint8_t> d = *data;
  if (d.size() < sizeof kMagic + 8 + kHashLen || std::memcmp(d.data(), kMagic, sizeof kMagic) != 0)
    return CacheResult::kCorrupt;
  std::span<const uint8_t> body = d.first(d.size() - kHashLen);
  const auto sum = sha256(body);
  if (std::memcmp(sum.data(), d.data() + body.size(), kHashLen) != 0) return CacheResult::kCorrupt;
  size_t pos = sizeof kMagic;
  uint32_t key_len = 0, count = 0;
  if (!get_u32(body, pos, key_len) || body.size() - pos < key_len) return CacheResult::kCorrupt;
  std::string_view cached_key(reinterpret_cast<const char*>(body.data() + pos), key_len);
  pos += key_len;
  if (!get_u32(body, pos, count) || (body.size() - pos) / 8 < count ||
      body.size() - pos != size_t(count) * 8)
    return CacheResult::kCorrupt;
  std::span<const uint8_t> cached_insns = body.subspan(pos);
  if (cached_key != key || cached_insns.size() != insns.size() ||
      std::memcmp(cached_insns.data(), insns.data(), insns.size()) != 0)
    return CacheResult::kStale;
  return CacheResult::kHit;
}

Status save_verified(const Store& st, uint32_t prog_id, std::string_view key,
                     std::span<const uint8_t> insns) {
  if (insns.size() % 8 != 0)
    return make_error(Errc::kInvalid, "verification cache: instructions are not 8-byte units");
  std::vector<uint8_t> out(kMagic, kMagic + sizeof kMagic);
  put_u32(out, static_cast<uint32_t>(key.size()));
  out.insert(out.end(), key.begin(), key.end());
  put_u32(out, static_cast<uint32_t>(insns.size() / 8));
  out.insert(out.end(), insns.begin(), insns.end());
  const auto sum = sha256(out);
  out.insert(out.end(), sum.begin(), sum.end());
  return write_file(verify_cache_path(st, prog_id), out.data(), out.size());
}

std::string build_identity() {
  struct stat sb;
  if (::stat("/proc/self/exe", &sb) != 0) return "unknown";
  return std::to_string(sb.st_ino) + "-" + std::to_string(sb.st_size) + "-" +
         std::to_string(sb.st_mtim.tv_sec) + "." + std::to_string(sb.st_mtim.tv_nsec);
}

}  // namespace bombus::store
