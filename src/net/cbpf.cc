// Classic BPF decoding, the kernel's acceptance rules, disassembly and the reference
// interpreter. The rules follow the kernel's documented behaviour for sk_chk_filter and
// seccomp_check_filter (Documentation/networking/filter.rst, seccomp_filter.rst).
#include "net/cbpf.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace bombus::net {

using namespace cbpf;

namespace cbpf {

bool is_ancillary(const CbpfInsn& i, uint32_t* which) {
  if (cls(i.code) != kLd || mode(i.code) != kAbs || size(i.code) == 0x18) return false;
  if (i.k < kAdOff || i.k >= kAdOff + kAdMax) return false;
  uint32_t a = i.k - kAdOff;
  if (a % 4 != 0) return false;
  if (which) *which = a;
  return true;
}

const char* ancillary_name(uint32_t which) {
  static const char* kNames[] = {"proto",      "type",   "ifidx",  "nla",      "nlan",  "mark",
                                 "queue",      "hatype", "rxhash", "cpu",      "xor_x", "vlan_tci",
                                 "vlan_avail", "poff",   "rand",   "vlan_tpid"};
  if (which % 4 != 0 || which >= kAdMax) return "?";
  return kNames[which / 4];
}

}  // namespace cbpf

namespace {

// The opcodes the kernel accepts at all (the documented classic instruction set).
bool code_allowed(uint16_t code) {
  switch (code) {
    case kAlu | kAdd | kK:
    case kAlu | kAdd | kX:
    case kAlu | kSub | kK:
    case kAlu | kSub | kX:
    case kAlu | kMul | kK:
    case kAlu | kMul | kX:
    case kAlu | kDiv | kK:
    case kAlu | kDiv | kX:
    case kAlu | kMod | kK:
    case kAlu | kMod | kX:
    case kAlu | kAnd | kK:
    case kAlu | kAnd | kX:
    case kAlu | kOr | kK:
    case kAlu | kOr | kX:
    case kAlu | kXor | kK:
    case kAlu | kXor | kX:
    case kAlu | kLsh | kK:
    case kAlu | kLsh | kX:
    case kAlu | kRsh | kK:
    case kAlu | kRsh | kX:
    case kAlu | kNeg:
    case kLd | kW | kAbs:
    case kLd | kH | kAbs:
    case kLd | kB | kAbs:
    case kLd | kW | kLen:
    case kLd | kW | kInd:
    case kLd | kH | kInd:
    case kLd | kB | kInd:
    case kLd | kImm:
    case kLd | kMem:
    case kLdx | kW | kLen:
    case kLdx | kB | kMsh:
    case kLdx | kImm:
    case kLdx | kMem:
    case kSt:
    case kStx:
    case kMisc | kTax:
    case kMisc | kTxa:
    case kRet | kK:
    case kRet | kA:
    case kJmp | kJa:
    case kJmp | kJeq | kK:
    case kJmp | kJeq | kX:
    case kJmp | kJge | kK:
    case kJmp | kJge | kX:
    case kJmp | kJgt | kK:
    case kJmp | kJgt | kX:
    case kJmp | kJset | kK:
    case kJmp | kJset | kX:
      return true;
    default:
      return false;
  }
}

Error insn_error(size_t pc, std::string msg) {
  Location where;
  where.insn = static_cast<int64_t>(pc);
  return make_error(Errc::kInvalid, std::move(msg), where);
}

// Every load of a scratch cell M[k] must come after a store to it on every path (the kernel's
// check_load_and_stores). Facts flow forward only, since jumps only go forward; the set of
// cells valid at an instruction is the intersection over the edges into it. Like the kernel,
// the state after a RET carries into the next instruction (which only jumps can reach).
Status check_scratch(std::span<const CbpfInsn> prog) {
  std::vector<uint16_t> in_mask(prog.size(), 0xffff);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const CbpfInsn& i = prog[pc];
    valid &= in_mask[pc];
    if (i.code == kSt || i.code == kStx) {
      valid |= static_cast<uint16_t>(1u << i.k);
    } else if (i.code == (kLd | kMem) || i.code == (kLdx | kMem)) {
      if (!(valid & (1u << i.k)))
        return insn_error(pc,
                          fmt::format("load of scratch memory M[{}] before any store to it", i.k));
    } else if (i.code == (kJmp | kJa)) {
      // Backward jumps (kLibpcap only) target instructions already checked; their loads were
      // judged on the forward paths, which is as far as this forward-only check can see.
      const int64_t target = static_cast<int64_t>(pc) + 1 + static_cast<int32_t>(i.k);
      if (target > static_cast<int64_t>(pc)) in_mask[static_cast<size_t>(target)] &= valid;
      valid = 0xffff;
    } else if (is_cond_jump(i.code)) {
      in_mask[pc + 1 + i.jt] &= valid;
      in_mask[pc + 1 + i.jf] &= valid;
      valid = 0xffff;
    }
  }
  return {};
}

Status check_seccomp_insn(const CbpfInsn& i, size_t pc) {
  switch (i.code) {
    case kLd | kW | kAbs:
      if (i.k >= 64 || (i.k & 3) != 0)
        return insn_error(pc, fmt::format("seccomp: load at offset {} is outside struct "
                                          "seccomp_data or not 4-byte aligned",
                                          i.k));
      return {};
    case kLd | kW | kLen:
    case kLdx | kW | kLen:
    case kRet | kK:
    case kRet | kA:
    case kLd | kImm:
    case kLdx | kImm:
    case kMisc | kTax:
    case kMisc | kTxa:
    case kLd | kMem:
    case kLdx | kMem:
    case kSt:
    case kStx:
      return {};
    default:
      if (cls(i.code) == kAlu || cls(i.code) == kJmp) return {};
      return insn_error(pc, fmt::format("seccomp: instruction code {:#06x} ({}) is not "
                                        "allowed in a seccomp filter",
                                        i.code, disasm_cbpf(i, pc)));
  }
}

}  // namespace

Result<std::vector<CbpfInsn>> decode_cbpf(std::span<const uint8_t> bytes) {
  if (bytes.size() % sizeof(CbpfInsn) != 0)
    return make_error(Errc::kInvalid,
                      fmt::format("classic BPF program is {} bytes, not a multiple of 8; "
                                  "{} trailing bytes at offset {}",
                                  bytes.size(), bytes.size() % 8, bytes.size() / 8 * 8));
  std::vector<CbpfInsn> out(bytes.size() / sizeof(CbpfInsn));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::vector<uint8_t> encode_cbpf(std::span<const CbpfInsn> prog) {
  std::vector<uint8_t> out(prog.size() * sizeof(CbpfInsn));
  if (!out.empty()) std::memcpy(out.data(), prog.data(), out.size());
  return out;
}

Result<std::vector<CbpfInsn>> parse_cbpf_text(std::string_view text) {
  // Collect every integer token (decimal or 0x hex); commas, braces and newlines separate them.
  std::vector<uint64_t> nums;
  std::vector<int64_t> lines;
  int64_t line = 1;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') ++line;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      int base = 10;
      if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
        base = 16;
        j = i + 2;
      }
      size_t e = j;
      while (e < text.size() && std::isxdigit(static_cast<unsigned char>(text[e]))) ++e;
      uint64_t v = 0;
      auto r = std::from_chars(text.data() + j, text.data() + e, v, base);
      if (r.ec != std::errc() || r.ptr != text.data() + e) {
        Location where;
        where.line = line;
        return make_error(Errc::kInvalid, fmt::format("bad number '{}'", text.substr(i, e - i)),
                          where);
      }
      nums.push_back(v);
      lines.push_back(line);
      i = e;
      continue;
    }
    if (!(std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '{' || c == '}')) {
      Location where;
      where.line = line;
      return make_error(Errc::kInvalid, fmt::format("unexpected character '{}'", c), where);
    }
    ++i;
  }
  // tcpdump -ddd starts with the instruction count; -dd does not.
  size_t start = 0;
  if (nums.size() % 4 == 1) {
    if (nums[0] != (nums.size() - 1) / 4) {
      Location where;
      where.line = lines[0];
      return make_error(Errc::kInvalid,
                        fmt::format("instruction count {} does not match the {} instructions "
                                    "that follow",
                                    nums[0], (nums.size() - 1) / 4),
                        where);
    }
    start = 1;
  } else if (nums.size() % 4 != 0) {
    return make_error(Errc::kInvalid,
                      "classic BPF text must be groups of 4 numbers (code jt jf k), "
                      "optionally preceded by the count");
  }
  std::vector<CbpfInsn> out;
  for (size_t n = start; n + 3 < nums.size(); n += 4) {
    if (nums[n] > 0xffff || nums[n + 1] > 0xff || nums[n + 2] > 0xff || nums[n + 3] > 0xffffffffu) {
      Location where;
      where.line = lines[n];
      return make_error(Errc::kInvalid, "field out of range (code 16 bits, jt/jf 8, k 32)", where);
    }
    out.push_back(CbpfInsn{static_cast<uint16_t>(nums[n]), static_cast<uint8_t>(nums[n + 1]),
                           static_cast<uint8_t>(nums[n + 2]), static_cast<uint32_t>(nums[n + 3])});
  }
  return out;
}

Status check_cbpf(std::span<const CbpfInsn> prog, CbpfMode mode) {
  if (prog.empty()) return make_error(Errc::kInvalid, "classic BPF program is empty");
  if (prog.size() > kMaxInsns)
    return make_error(Errc::kTooBig, fmt::format("classic BPF program has {} instructions, more "
                                                 "than the limit of {}",
                                                 prog.size(), kMaxInsns));
  const size_t n = prog.size();
  for (size_t pc = 0; pc < n; ++pc) {
    const CbpfInsn& i = prog[pc];
    if (!code_allowed(i.code))
      return insn_error(pc, fmt::format("invalid instruction code {:#06x}", i.code));
    switch (i.code) {
      case kAlu | kDiv | kK:
      case kAlu | kMod | kK:
        if (i.k == 0) return insn_error(pc, "division by constant zero");
        break;
      case kAlu | kLsh | kK:
      case kAlu | kRsh | kK:
        if (i.k >= 32) return insn_error(pc, fmt::format("shift by {} (must be < 32)", i.k));
        break;
      case kLd | kMem:
      case kLdx | kMem:
      case kSt:
      case kStx:
        if (i.k >= kMemWords)
          return insn_error(pc,
                            fmt::format("scratch memory index {} out of range (M[0..15])", i.k));
        break;
      case kJmp | kJa:
        if (mode == CbpfMode::kLibpcap) {
          const int64_t target = static_cast<int64_t>(pc) + 1 + static_cast<int32_t>(i.k);
          if (target < 0 || target >= static_cast<int64_t>(n) || target == static_cast<int64_t>(pc))
            return insn_error(pc, fmt::format("jump {:+} lands outside the program ({} "
                                              "instructions) or on itself",
                                              static_cast<int32_t>(i.k), n));
          break;
        }
        if (i.k >= n - pc - 1)
          return insn_error(pc, fmt::format("jump +{} lands outside the program ({} "
                                            "instructions)",
                                            i.k, n));
        break;
      case kLd | kW | kAbs:
      case kLd | kH | kAbs:
      case kLd | kB | kAbs:
        if (i.k >= kAdOff && !is_ancillary(i))
          return insn_error(pc, fmt::format("unknown ancillary load at offset {:#x}", i.k));
        break;
      default:
        if (is_cond_jump(i.code) && (pc + i.jt + 1 >= n || pc + i.jf + 1 >= n))
          return insn_error(pc, fmt::format("conditional jump (jt {}, jf {}) lands outside "
                                            "the program ({} instructions)",
                                            i.jt, i.jf, n));
        break;
    }
  }
  uint16_t last = prog[n - 1].code;
  if (last != (kRet | kK) && last != (kRet | kA))
    return insn_error(n - 1, "program does not end with a RET instruction");
  BOMBUS_TRY(check_scratch(prog));
  if (mode == CbpfMode::kSeccomp) {
    for (size_t pc = 0; pc < n; ++pc) BOMBUS_TRY(check_seccomp_insn(prog[pc], pc));
  }
  return {};
}

std::string disasm_cbpf(const CbpfInsn& i, size_t pc) {
  static const char* kAluNames[] = {"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
                                    "neg", "mod", "xor", "?",   "?",  "?",   "?",   "?"};
  static const char* kJmpNames[] = {"ja", "jeq", "jgt", "jge", "jset"};
  const char* sz = size(i.code) == kW ? "" : size(i.code) == kH ? "h" : "b";
  switch (cls(i.code)) {
    case kLd:
    case kLdx: {
      const char* ld = cls(i.code) == kLd ? "ld" : "ldx";
      uint32_t which = 0;
      if (is_ancillary(i, &which)) return fmt::format("{}{} #{}", ld, sz, ancillary_name(which));
      switch (mode(i.code)) {
        case kImm:
          return fmt::format("{} #{:#x}", ld, i.k);
        case kAbs:
          return fmt::format("{}{} [{}]", ld, sz, i.k);
        case kInd:
          return fmt::format("{}{} [x + {}]", ld, sz, i.k);
        case kMem:
          return fmt::format("{} M[{}]", ld, i.k);
        case kLen:
          return fmt::format("{} #len", ld);
        case kMsh:
          return fmt::format("ldxb 4*([{}]&0xf)", i.k);
      }
      break;
    }
    case kSt:
      return fmt::format("st M[{}]", i.k);
    case kStx:
      return fmt::format("stx M[{}]", i.k);
    case kAlu:
      if (op(i.code) == kNeg) return "neg";
      if (src(i.code) == kX) return fmt::format("{} x", kAluNames[op(i.code) >> 4]);
      return fmt::format("{} #{:#x}", kAluNames[op(i.code) >> 4], i.k);
    case kJmp:
      if (op(i.code) == kJa)
        return fmt::format("ja {}", static_cast<int64_t>(pc) + 1 + static_cast<int32_t>(i.k));
      if ((op(i.code) >> 4) <= 4)
        return fmt::format("{} {} jt {} jf {}", kJmpNames[op(i.code) >> 4],
                           src(i.code) == kX ? std::string("x") : fmt::format("#{:#x}", i.k),
                           pc + 1 + i.jt, pc + 1 + i.jf);
      break;
    case kRet:
      if ((i.code & 0x18) == kA) return "ret a";
      if ((i.code & 0x18) == kX) return "ret x";
      return fmt::format("ret #{}", i.k);
    case kMisc:
      return (i.code & 0xf8) == kTxa ? "txa" : "tax";
  }
  return fmt::format(".word {:#06x} {} {} {:#x}", i.code, i.jt, i.jf, i.k);
}

std::string disasm_cbpf(std::span<const CbpfInsn> prog) {
  std::string out;
  for (size_t pc = 0; pc < prog.size(); ++pc)
    out += fmt::format("({:03}) {}\n", pc, disasm_cbpf(prog[pc], pc));
  return out;
}

namespace {

uint32_t ancillary_value(uint32_t which, const SkbMeta& m, uint32_t wire_len, uint32_t a,
                         uint32_t x) {
  switch (which) {
    case kAdProtocol:
      return m.protocol;
    case kAdPktType:
      return m.pkttype;
    case kAdIfIndex:
      return m.ifindex;
    case kAdMark:
      return m.mark;
    case kAdQueue:
      return m.queue;
    case kAdHaType:
      return m.hatype;
    case kAdRxHash:
      return m.rxhash;
    case kAdCpu:
      return m.cpu;
    case kAdAluXorX:
      return a ^ x;
    case kAdVlanTag:
      return m.vlan_tci;
    case kAdVlanTagPresent:
      return m.vlan_present;
    case kAdVlanTpid:
      return m.vlan_tpid;
    default:
      return 0;  // netlink attributes, payload offset, random: not modelled
  }
}

// Big-endian load of `n` bytes at `off`; false when it does not fit in the captured data.
bool load_be(std::span<const uint8_t> d, uint64_t off, int n, uint32_t* out) {
  if (off + n > d.size()) return false;
  uint32_t v = 0;
  for (int b = 0; b < n; ++b) v = (v << 8) | d[off + b];
  *out = v;
  return true;
}

}  // namespace

uint32_t run_cbpf(std::span<const CbpfInsn> prog, std::span<const uint8_t> data, uint32_t wire_len,
                  const SkbMeta& meta, CbpfMode mode) {
  uint32_t a = 0, x = 0;
  uint32_t mem[kMemWords] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const CbpfInsn& i = prog[pc];
    const int bytes = size(i.code) == kW ? 4 : size(i.code) == kH ? 2 : 1;
    switch (i.code) {
      case kLd | kW | kAbs:
      case kLd | kH | kAbs:
      case kLd | kB | kAbs: {
        uint32_t which = 0;
        if (is_ancillary(i, &which)) {
          a = ancillary_value(which, meta, wire_len, a, x);
        } else if (mode == CbpfMode::kSeccomp) {
          if (i.k + 4 > data.size()) return 0;
          std::memcpy(&a, data.data() + i.k, 4);  // seccomp_data is read in host order
        } else {
          uint64_t off = i.k >= kLlOff && i.k < kNetOff ? i.k - kLlOff : i.k;
          if (!load_be(data, off, bytes, &a)) return 0;
        }
        break;
      }
      case kLd | kW | kInd:
      case kLd | kH | kInd:
      case kLd | kB | kInd:
        if (!load_be(data, static_cast<uint32_t>(x + i.k), bytes, &a)) return 0;
        break;
      case kLd | kW | kLen:
        a = mode == CbpfMode::kSeccomp ? 64 : wire_len;
        break;
      case kLdx | kW | kLen:
        x = mode == CbpfMode::kSeccomp ? 64 : wire_len;
        break;
      case kLdx | kB | kMsh: {
        uint32_t b = 0;
        if (!load_be(data, i.k, 1, &b)) return 0;
        x = (b & 0xf) << 2;
        break;
      }
      case kLd | kImm:
        a = i.k;
        break;
      case kLdx | kImm:
        x = i.k;
        break;
      case kLd | kMem:
        a = mem[i.k & 15];
        break;
      case kLdx | kMem:
        x = mem[i.k & 15];
        break;
      case kSt:
        mem[i.k & 15] = a;
        break;
      case kStx:
        mem[i.k & 15] = x;
        break;
      case kMisc | kTax:
        x = a;
        break;
      case kMisc | kTxa:
        a = x;
        break;
      case kRet | kK:
        return i.k;
      case kRet | kA:
        return a;
      case kAlu | kNeg:
        a = 0u - a;
        break;
      case kJmp | kJa:  // signed: only kLibpcap programs have negative offsets
        pc = static_cast<size_t>(static_cast<int64_t>(pc) + static_cast<int32_t>(i.k));
        break;
      default:
        if (cls(i.code) == kAlu) {
          uint32_t v = src(i.code) == kX ? x : i.k;
          switch (op(i.code)) {
            case kAdd:
              a += v;
              break;
            case kSub:
              a -= v;
              break;
            case kMul:
              a *= v;
              break;
            case kDiv:
              if (v == 0) return 0;
              a /= v;
              break;
            case kMod:
              if (v == 0) return 0;
              a %= v;
              break;
            case kOr:
              a |= v;
              break;
            case kAnd:
              a &= v;
              break;
            case kXor:
              a ^= v;
              break;
            case kLsh:
              a <<= (v & 31);
              break;
            case kRsh:
              a >>= (v & 31);
              break;
          }
        } else if (is_cond_jump(i.code)) {
          uint32_t v = src(i.code) == kX ? x : i.k;
          bool taken = false;
          switch (op(i.code)) {
            case kJeq:
              taken = a == v;
              break;
            case kJgt:
              taken = a > v;
              break;
            case kJge:
              taken = a >= v;
              break;
            case kJset:
              taken = (a & v) != 0;
              break;
          }
          pc += taken ? i.jt : i.jf;
        } else {
          return 0;  // unreachable for checked programs
        }
    }
  }
  return 0;
}

}  // namespace bombus::net
