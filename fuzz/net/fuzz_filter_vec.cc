// Fuzzes FilterVec (filter_vec.h), the AVX2 JIT that runs a classic socket filter on 8 packets
// at once, against libpcap's bpf_filter, packet by packet, with the packets in five layouts:
// each in its own exactly-sized malloc'd buffer; each ending on the last byte before a
// PROT_NONE page (so a read the page check should have prevented faults); each starting on the
// first byte after a PROT_NONE page (so does any read before a packet); back to back in one
// arena with FilterVec::kMaxWindow bytes of padding after the last (run_arrays padded=true);
// and as CbpfSkbCtx records `stride` bytes apart (run_batch). Every out[i] and the returned
// match count must equal libpcap's; a difference prints the program and the packet, then aborts.
//
// Input layout (all bytes optional; missing ones read as zero):
//   [0]           packet count: 8 + b % 17 (8..24)
//   [1]           layout flags: bits 0-1 pick run_batch's stride (sizeof(CbpfSkbCtx) + 8 * v),
//                 bit 2 steers packets towards the program's tests (see steer())
//   [2]           payload length P
//   [3 .. 3+3n)   per packet: length selector, wire-length selector, flip byte
//   [.. +P)       payload: byte j of every packet is payload[j % P] (j * 37 + 11 when P is 0),
//                 then packet i's byte (flip * 7 % len) is XORed with a nonzero flip
//   rest          the program: struct sock_filter records (8 bytes each, host byte order)
// Length selector v: v % 4 picks tiny (0..7), short (8..71), around the window (240..300) or any
// (0..300); the rest of v picks within the class. Wire selector w: caplen + w below 0xF0, else
// w - 0xF0 (possibly below caplen). Only programs check_cbpf accepts as socket filters and
// FilterVec::compile accepts are run; compile may refuse a program only with kUnsupported.
// Seeds (seeds/fuzz_filter_vec/): `tcpdump -y EN10MB -ddd EXPR` programs (tcp port 80, udp dst
// port 53, ip6 and tcp, a tcp flags test, vlan and host, greater 100 and ip[8] < 64), each with
// an Ethernet frame that matches it as the payload and 8..23 packets of every length class.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "net/cbpf_to_ebpf.h"
#include "net/filter.h"
#include "net/filter_vec.h"

using namespace bombus::net;

namespace {

constexpr size_t kMaxPackets = 24;
constexpr uint32_t kMaxLen = 300;

struct Input {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  uint8_t next() { return pos < size ? data[pos++] : (pos++, 0); }
};

uint32_t pick_len(uint8_t v) {
  const uint32_t r = v >> 2;  // 0..63
  switch (v & 3) {
    case 0:
      return r % 8;
    case 1:
      return 8 + r;
    case 2:
      return 240 + r % 61;
    default:
      return r * kMaxLen / 63;
  }
}

// kMaxPackets slots, each one read-write page between two PROT_NONE pages (mapped once):
// pages N, R0, N, R1, N, ... Returns slot's read-write page.
uint8_t* guard_slot(size_t slot) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  static uint8_t* base = [] {
    void* m =
        mmap(nullptr, (2 * kMaxPackets + 1) * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::abort();
    auto* b = static_cast<uint8_t*>(m);
    for (size_t i = 0; i < kMaxPackets; ++i)
      if (mprotect(b + (2 * i + 1) * page, page, PROT_READ | PROT_WRITE) != 0) std::abort();
    return b;
  }();
  return base + (2 * slot + 1) * page;
}

// Writes into packet i the constants the program's conditional jumps compare a preceding
// constant-offset load with (big-endian, at the load's offset), for some jumps per packet, so
// that packets get past ethertype/protocol/port tests that random bytes rarely pass.
void steer(const std::vector<CbpfInsn>& prog, size_t i, std::vector<uint8_t>& p) {
  using namespace bombus::net::cbpf;  // NOLINT: opcode field helpers
  uint32_t off = 0, width = 0;        // the LD ABS A holds, width 0 when none
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const CbpfInsn& insn = prog[pc];
    if (cls(insn.code) == kLd && mode(insn.code) == kAbs) {
      off = insn.k;
      width = size(insn.code) == kW ? 4 : size(insn.code) == kH ? 2 : 1;
    } else if (cls(insn.code) == kJmp && op(insn.code) != kJa && !(insn.code & kX) && width &&
               (pc * 7 + i) % 3 != 0 && off < p.size() && p.size() - off >= width) {
      uint32_t v = insn.k + (op(insn.code) == kJgt ? 1 : 0);
      for (uint32_t b = width; b-- > 0; v >>= 8) p[off + b] = static_cast<uint8_t>(v);
    } else if (cls(insn.code) != kJmp) {
      width = 0;  // A no longer holds the loaded field
    }
  }
}

struct Batch {
  std::vector<std::vector<uint8_t>> bytes;  // packet contents
  std::vector<uint32_t> wire;
  std::vector<uint32_t> want;  // libpcap's answers
  uint64_t want_matched = 0;
};

[[noreturn]] void report(const std::vector<CbpfInsn>& prog, const Batch& b, const char* layout,
                         size_t i, uint32_t got) {
  std::fprintf(stderr, "FilterVec disagrees with libpcap (%s layout)\nprogram:\n%s\n", layout,
               disasm_cbpf(prog).c_str());
  if (i < b.bytes.size()) {
    std::fprintf(stderr, "packet %zu of %zu: caplen %zu wire_len %u: libpcap %u, FilterVec %u\n", i,
                 b.bytes.size(), b.bytes[i].size(), b.wire[i], b.want[i], got);
    for (size_t j = 0; j < b.bytes[i].size(); ++j)
      std::fprintf(stderr, "%02x%s", b.bytes[i][j], j % 32 == 31 ? "\n" : " ");
    std::fprintf(stderr, "\n");
  } else {
    std::fprintf(stderr, "match count over %zu packets: libpcap %llu, FilterVec %u\n",
                 b.bytes.size(), static_cast<unsigned long long>(b.want_matched), got);
  }
  std::abort();
}

void compare(const std::vector<CbpfInsn>& prog, const Batch& b, const char* layout,
             const std::vector<uint32_t>& out, uint64_t matched) {
  for (size_t i = 0; i < b.bytes.size(); ++i)
    if (out[i] != b.want[i]) report(prog, b, layout, i, out[i]);
  if (matched != b.want_matched)
    report(prog, b, layout, b.bytes.size(), static_cast<uint32_t>(matched));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!FilterVec::cpu_supported()) return 0;
  Input in{data, size};
  const size_t n = 8 + in.next() % 17;
  const uint8_t flags = in.next();
  const size_t payload_len = in.next();
  std::vector<uint8_t> sel(3 * n);
  for (uint8_t& s : sel) s = in.next();
  std::vector<uint8_t> payload(payload_len);
  for (uint8_t& p : payload) p = in.next();
  if (in.pos >= size) return 0;
  auto prog = decode_cbpf({data + in.pos, (size - in.pos) / 8 * 8});
  if (!prog.ok() || prog->empty()) return 0;
  if (!check_cbpf(*prog, CbpfMode::kSocket).ok()) return 0;
  auto vec = FilterVec::compile(*prog);
  if (!vec.ok()) {
    if (vec.error().code != bombus::Errc::kUnsupported) {
      std::fprintf(stderr, "FilterVec::compile: %s\n%s\n", vec.error().format().c_str(),
                   disasm_cbpf(*prog).c_str());
      std::abort();
    }
    return 0;
  }
  if ((*vec)->window() > FilterVec::kMaxWindow) std::abort();

  Batch b;
  b.bytes.resize(n);
  b.wire.resize(n);
  b.want.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t len = pick_len(sel[3 * i]);
    const uint8_t w = sel[3 * i + 1], flip = sel[3 * i + 2];
    std::vector<uint8_t>& p = b.bytes[i];
    p.resize(len);
    for (uint32_t j = 0; j < len; ++j)
      p[j] = payload_len ? payload[j % payload_len] : static_cast<uint8_t>(j * 37 + 11);
    if ((flags & 4) && i % 4 != 0) steer(*prog, i, p);
    if (flip && len) p[flip * 7u % len] ^= flip;
    b.wire[i] = w < 0xF0 ? len + w : w - 0xF0u;
    b.want[i] = libpcap_bpf_filter(*prog, p, b.wire[i]);
    b.want_matched += b.want[i] != 0;
  }

  std::vector<const uint8_t*> ptrs(n);
  std::vector<uint32_t> caplens(n), out(n);
  for (size_t i = 0; i < n; ++i) caplens[i] = static_cast<uint32_t>(b.bytes[i].size());

  // 1. Exactly-sized heap buffers (an empty packet of even index is a null pointer).
  std::vector<uint8_t*> heap(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t len = b.bytes[i].size();
    heap[i] = (len == 0 && i % 2 == 0) ? nullptr : static_cast<uint8_t*>(std::malloc(len));
    if (len) std::memcpy(heap[i], b.bytes[i].data(), len);
    ptrs[i] = heap[i];
  }
  std::fill(out.begin(), out.end(), 0xDEADBEEF);
  compare(*prog, b, "heap", out,
          (*vec)->run_arrays(ptrs.data(), caplens.data(), b.wire.data(), n, out.data()));

  // 2. CbpfSkbCtx records `stride` bytes apart over the same heap buffers.
  const size_t stride = sizeof(CbpfSkbCtx) + 8 * (flags & 3);
  std::vector<uint64_t> ctx_mem((stride * n + 7) / 8);
  auto* ctx_base = reinterpret_cast<uint8_t*>(ctx_mem.data());
  for (size_t i = 0; i < n; ++i) {
    const CbpfSkbCtx ctx{heap[i], caplens[i], b.wire[i], {}};
    std::memcpy(ctx_base + i * stride, &ctx, sizeof ctx);
  }
  std::fill(out.begin(), out.end(), 0xDEADBEEF);
  compare(*prog, b, "run_batch", out, (*vec)->run_batch(ctx_base, stride, n, out.data()));
  for (uint8_t* h : heap) std::free(h);

  // 3. Each packet's last byte is the last byte before a PROT_NONE page, then each packet's
  // first byte is the first after one.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (const bool at_end : {true, false}) {
    for (size_t i = 0; i < n; ++i) {
      uint8_t* p = guard_slot(i) + (at_end ? page - b.bytes[i].size() : 0);
      if (!b.bytes[i].empty()) std::memcpy(p, b.bytes[i].data(), b.bytes[i].size());
      ptrs[i] = p;
    }
    std::fill(out.begin(), out.end(), 0xDEADBEEF);
    compare(*prog, b, at_end ? "page end" : "page start", out,
            (*vec)->run_arrays(ptrs.data(), caplens.data(), b.wire.data(), n, out.data()));
  }

  // 4. One arena, packets back to back, kMaxWindow bytes of padding after the last.
  size_t total = 0;
  for (const auto& p : b.bytes) total += p.size();
  auto* arena = static_cast<uint8_t*>(std::malloc(total + FilterVec::kMaxWindow));
  std::memset(arena + total, 0xA5, FilterVec::kMaxWindow);
  size_t off = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!b.bytes[i].empty()) std::memcpy(arena + off, b.bytes[i].data(), b.bytes[i].size());
    ptrs[i] = arena + off;
    off += b.bytes[i].size();
  }
  std::fill(out.begin(), out.end(), 0xDEADBEEF);
  compare(*prog, b, "padded arena", out,
          (*vec)->run_arrays(ptrs.data(), caplens.data(), b.wire.data(), n, out.data(), true));
  std::free(arena);
  return 0;
}
