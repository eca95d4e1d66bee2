// Program tags: SHA-256 (FIPS 180-4), the kernel's map-immediate masking, and which digest the
// running kernel uses. See prog_tag.h.
#include "store/prog_tag.h"

#include <sys/utsname.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/bytes.h"
#include "base/sha1.h"

namespace bombus::store {

namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

void compress(uint32_t state[8], const uint8_t block[64]) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = uint32_t{block[4 * i]} << 24 | uint32_t{block[4 * i + 1]} << 16 |
           uint32_t{block[4 * i + 2]} << 8 | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

}  // namespace

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data) {
  uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t full = data.size() / 64 * 64;
  for (size_t off = 0; off < full; off += 64) compress(state, data.data() + off);
  // Tail: the remaining bytes, 0x80, zeros, and the length in bits as a big-endian u64.
  uint8_t tail[128] = {};
  size_t rest = data.size() - full;
  if (rest) std::memcpy(tail, data.data() + full, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t off = 0; off < tail_len; off += 64) compress(state, tail + off);
  std::array<uint8_t, 32> out;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(state[i] >> (24 - 8 * j));
  }
  return out;
}

TagHash tag_hash_for_release(std::string_view release) {
  // "MAJOR.MINOR..." — anything unparsable is taken as an older kernel.
  unsigned major = 0, minor = 0;
  size_t i = 0;
  while (i < release.size() && release[i] >= '0' && release[i] <= '9')
    major = major * 10 + static_cast<unsigned>(release[i++] - '0');
  if (i < release.size() && release[i] == '.') {
    ++i;
    while (i < release.size() && release[i] >= '0' && release[i] <= '9')
      minor = minor * 10 + static_cast<unsigned>(release[i++] - '0');
  }
  return (major > 6 || (major == 6 && minor >= 18)) ? TagHash::kSha256 : TagHash::kSha1;
}

TagHash host_tag_hash() {
  if (const char* env = std::getenv("BOMBUS_TAG_HASH")) {
    if (std::string_view(env) == "sha1") return TagHash::kSha1;
    if (std::string_view(env) == "sha256") return TagHash::kSha256;
  }
  struct utsname u;
  if (::uname(&u) != 0) return TagHash::kSha1;
  return tag_hash_for_release(u.release);
}

std::string_view tag_hash_name(TagHash h) {
  return h == TagHash::kSha256 ? "sha256" : "sha1";
}

std::string prog_tag(std::span<const uint8_t> insns, TagHash hash) {
  constexpr uint8_t kLdImm64 = 0x18;
  constexpr uint8_t kPseudoMapFd = 1, kPseudoMapValue = 2;
  std::vector<uint8_t> b(insns.begin(), insns.end() - static_cast<long>(insns.size() % 8));
  // The kernel zeroes the first immediate of a map lddw and the second one when the second
  // slot is a well-formed continuation (code, registers and offset all zero).
  bool in_map_load = false;
  for (size_t off = 0; off < b.size(); off += 8) {
    uint8_t* in = &b[off];
    uint8_t src = in[1] >> 4;
    bool zero_fields = in[0] == 0 && in[1] == 0 && in[2] == 0 && in[3] == 0;
    if (!in_map_load && in[0] == kLdImm64 && (src == kPseudoMapFd || src == kPseudoMapValue)) {
      in_map_load = true;
      std::memset(in + 4, 0, 4);
    } else if (in_map_load && zero_fields) {
      in_map_load = false;
      std::memset(in + 4, 0, 4);
    } else {
      in_map_load = false;
    }
  }
  if (hash == TagHash::kSha256) {
    auto d = sha256(b);
    return to_hex(std::span<const uint8_t>(d.data(), 8), "");
  }
  auto d = sha1(b);
  return to_hex(std::span<const uint8_t>(d.data(), 8), "");
}

}  // namespace bombus::store
