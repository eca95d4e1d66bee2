// Classic BPF (cBPF): the instruction format of struct sock_filter, decoding from raw bytes,
// the kernel's structural checker (the rules of sk_chk_filter / bpf_check_classic, plus the
// extra restrictions seccomp places on its filters), a reference interpreter with the kernel's
// semantics, and a disassembler. The eBPF conversion lives in cbpf_to_ebpf.h.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace bombus::net {

// One classic instruction: the 8-byte wire format of struct sock_filter (host byte order).
struct CbpfInsn {
  uint16_t code = 0;
  uint8_t jt = 0;
  uint8_t jf = 0;
  uint32_t k = 0;
  friend bool operator==(const CbpfInsn&, const CbpfInsn&) = default;
};
static_assert(sizeof(CbpfInsn) == 8);

namespace cbpf {
// Classes, sizes, modes, operations (uapi linux/filter.h, linux/bpf_common.h).
inline constexpr uint16_t kLd = 0x00, kLdx = 0x01, kSt = 0x02, kStx = 0x03, kAlu = 0x04,
                          kJmp = 0x05, kRet = 0x06, kMisc = 0x07;
inline constexpr uint16_t kW = 0x00, kH = 0x08, kB = 0x10;
inline constexpr uint16_t kImm = 0x00, kAbs = 0x20, kInd = 0x40, kMem = 0x60, kLen = 0x80,
                          kMsh = 0xa0;
inline constexpr uint16_t kAdd = 0x00, kSub = 0x10, kMul = 0x20, kDiv = 0x30, kOr = 0x40,
                          kAnd = 0x50, kLsh = 0x60, kRsh = 0x70, kNeg = 0x80, kMod = 0x90,
                          kXor = 0xa0;
inline constexpr uint16_t kJa = 0x00, kJeq = 0x10, kJgt = 0x20, kJge = 0x30, kJset = 0x40;
inline constexpr uint16_t kK = 0x00, kX = 0x08, kA = 0x10;
inline constexpr uint16_t kTax = 0x00, kTxa = 0x80;

inline constexpr uint32_t kMaxInsns = 4096;  // BPF_MAXINSNS
inline constexpr uint32_t kMemWords = 16;    // BPF_MEMWORDS

// Special offsets of LD ABS (SKF_*): ancillary data, network and link-layer relative loads.
inline constexpr uint32_t kAdOff = static_cast<uint32_t>(-0x1000);
inline constexpr uint32_t kNetOff = static_cast<uint32_t>(-0x100000);
inline constexpr uint32_t kLlOff = static_cast<uint32_t>(-0x200000);
enum Ancillary : uint32_t {
  kAdProtocol = 0,
  kAdPktType = 4,
  kAdIfIndex = 8,
  kAdNlAttr = 12,
  kAdNlAttrNest = 16,
  kAdMark = 20,
  kAdQueue = 24,
  kAdHaType = 28,
  kAdRxHash = 32,
  kAdCpu = 36,
  kAdAluXorX = 40,
  kAdVlanTag = 44,
  kAdVlanTagPresent = 48,
  kAdPayOffset = 52,
  kAdRandom = 56,
  kAdVlanTpid = 60,
  kAdMax = 64,
};

inline uint16_t cls(uint16_t code) {
  return code & 0x07;
}
inline uint16_t size(uint16_t code) {
  return code & 0x18;
}
inline uint16_t mode(uint16_t code) {
  return code & 0xe0;
}
inline uint16_t op(uint16_t code) {
  return code & 0xf0;
}
inline uint16_t src(uint16_t code) {
  return code & 0x08;
}
inline bool is_cond_jump(uint16_t code) {
  return cls(code) == kJmp && op(code) != kJa;
}
// True when `i` is an LD ABS of a known ancillary field; `which` receives the SKF_AD_* value.
bool is_ancillary(const CbpfInsn& i, uint32_t* which = nullptr);
const char* ancillary_name(uint32_t which);
}  // namespace cbpf

// What a filter is for: a socket filter (packets; the kernel's sk_chk_filter rules) or a
// seccomp filter (struct seccomp_data; sk_chk_filter plus seccomp_check_filter).
// kLibpcap is a socket filter as libpcap's own userland bpf_filter() accepts it: the kernel's
// rules except that JA offsets are signed, so jumps may go backward (libpcap's "protochain"
// needs them; the kernel refuses such programs and tcpdump then filters in user space).
enum class CbpfMode { kSocket, kSeccomp, kLibpcap };

// Raw bytes (a multiple of 8, host byte order struct sock_filter records) -> instructions.
Result<std::vector<CbpfInsn>> decode_cbpf(std::span<const uint8_t> bytes);
std::vector<uint8_t> encode_cbpf(std::span<const CbpfInsn> prog);

// tcpdump -ddd style text ("N" then "code jt jf k" lines) or -dd style ("{ 0x28, 0, 0, 0x0000000c
// },")
Result<std::vector<CbpfInsn>> parse_cbpf_text(std::string_view text);

// The kernel's acceptance rules. Errors carry the instruction index in Location::insn.
Status check_cbpf(std::span<const CbpfInsn> prog, CbpfMode mode = CbpfMode::kSocket);

// One line of disassembly in the style of bpf_dbg / tcpdump -d ("ldh [12]", "jeq #0x800 jt 2 jf
// 5").
std::string disasm_cbpf(const CbpfInsn& insn, size_t pc);
std::string disasm_cbpf(std::span<const CbpfInsn> prog);

// Metadata a socket filter can see beside the packet bytes (SKF_AD_* ancillary loads).
struct SkbMeta {
  uint32_t protocol = 0;  // host byte order ethertype, e.g. 0x0800
  uint32_t pkttype = 0;
  uint32_t ifindex = 0;
  uint32_t mark = 0;
  uint32_t queue = 0;
  uint32_t hatype = 1;  // ARPHRD_ETHER
  uint32_t rxhash = 0;
  uint32_t cpu = 0;
  uint32_t vlan_tci = 0;
  uint32_t vlan_present = 0;
  uint32_t vlan_tpid = 0;
};

// Reference interpreter with the kernel's classic semantics: out-of-bounds packet loads and
// division by X == 0 end the program with 0, shifts by X use X & 31, A/X start at 0. `wire_len`
// is what BPF_LEN reads (skb->len); `data` holds the captured bytes. The program must have
// passed check_cbpf. In seccomp mode `data` is the 64-byte struct seccomp_data.
uint32_t run_cbpf(std::span<const CbpfInsn> prog, std::span<const uint8_t> data, uint32_t wire_len,
                  const SkbMeta& meta = {}, CbpfMode mode = CbpfMode::kSocket);

}  // namespace bombus::net
