// seccomp filter evaluation with the kernel's action precedence.
#include "net/seccomp.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>

#include "net/cbpf_to_ebpf.h"
#include "net/engines.h"

namespace bombus::net {

namespace {

constexpr uint32_t kRetActionFull = 0xffff0000u, kRetData = 0x0000ffffu;
constexpr uint32_t kMaxErrno = 4095;

// The kernel's ordering key: action bits as a signed number; lower wins.
int32_t precedence(uint32_t ret) {
  return static_cast<int32_t>(ret & kRetActionFull);
}

}  // namespace

const char* seccomp_action_name(SeccompAction a) {
  switch (a) {
    case SeccompAction::kKillProcess:
      return "KILL_PROCESS";
    case SeccompAction::kKillThread:
      return "KILL_THREAD";
    case SeccompAction::kTrap:
      return "TRAP";
    case SeccompAction::kErrno:
      return "ERRNO";
    case SeccompAction::kUserNotif:
      return "USER_NOTIF";
    case SeccompAction::kTrace:
      return "TRACE";
    case SeccompAction::kLog:
      return "LOG";
    case SeccompAction::kAllow:
      return "ALLOW";
  }
  return "?";
}

std::string format_seccomp_result(const SeccompResult& r) {
  switch (r.action) {
    case SeccompAction::kErrno:
    case SeccompAction::kTrace:
    case SeccompAction::kTrap:
      return fmt::format("{}({})", seccomp_action_name(r.action), r.data);
    default:
      return seccomp_action_name(r.action);
  }
}

SeccompResult decode_seccomp_ret(uint32_t ret) {
  SeccompResult r;
  r.raw = ret;
  r.data = static_cast<uint16_t>(ret & kRetData);
  switch (ret & kRetActionFull) {
    case 0x80000000u:
      r.action = SeccompAction::kKillProcess;
      break;
    case 0x00000000u:
      r.action = SeccompAction::kKillThread;
      break;
    case 0x00030000u:
      r.action = SeccompAction::kTrap;
      break;
    case 0x00050000u:
      r.action = SeccompAction::kErrno;
      if (r.data > kMaxErrno) r.data = kMaxErrno;
      break;
    case 0x7fc00000u:
      r.action = SeccompAction::kUserNotif;
      break;
    case 0x7ff00000u:
      r.action = SeccompAction::kTrace;
      break;
    case 0x7ffc0000u:
      r.action = SeccompAction::kLog;
      break;
    case 0x7fff0000u:
      r.action = SeccompAction::kAllow;
      break;
    default:
      r.action = SeccompAction::kKillProcess;
      break;  // unknown actions kill the process
  }
  return r;
}

SeccompFilterSet::SeccompFilterSet(EbpfEngineFactory engine)
    : engine_(engine ? std::move(engine) : interp_ebpf_engine(CbpfMode::kSeccomp, false)) {}

Status SeccompFilterSet::add(std::span<const CbpfInsn> prog) {
  auto ebpf = convert_cbpf(prog, CbpfMode::kSeccomp);
  if (!ebpf.ok()) {
    Error e = ebpf.error();
    e.where.program = fmt::format("seccomp filter #{}", filters_.size());
    return e;
  }
  BOMBUS_ASSIGN_OR_RETURN(auto run, engine_(std::move(*ebpf)));
  filters_.push_back(Filter{{prog.begin(), prog.end()}, std::move(run)});
  return {};
}

namespace {

template <typename Eval>
SeccompResult decide(size_t n, Eval&& eval) {
  // No filter: the system call is allowed.
  if (n == 0) return decode_seccomp_ret(0x7fff0000u);
  // Newest first; a later (older) filter replaces the answer only with a strictly lower key.
  size_t best = n - 1;
  uint32_t best_ret = eval(n - 1);
  for (size_t i = n - 1; i-- > 0;) {
    uint32_t ret = eval(i);
    if (precedence(ret) < precedence(best_ret)) {
      best = i;
      best_ret = ret;
    }
  }
  SeccompResult r = decode_seccomp_ret(best_ret);
  r.filter = best;
  return r;
}

}  // namespace

SeccompResult SeccompFilterSet::evaluate(const SeccompData& d) const {
  return decide(filters_.size(),
                [&](size_t i) { return static_cast<uint32_t>(filters_[i].run(&d)); });
}

SeccompResult SeccompFilterSet::evaluate_classic(const SeccompData& d) const {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(&d), sizeof d);
  return decide(filters_.size(), [&](size_t i) {
    return run_cbpf(filters_[i].cbpf, bytes, 0, {}, CbpfMode::kSeccomp);
  });
}

Result<std::vector<SeccompData>> decode_seccomp_records(std::span<const uint8_t> bytes) {
  if (bytes.size() % sizeof(SeccompData) != 0)
    return make_error(Errc::kInvalid,
                      fmt::format("seccomp_data records: {} bytes is not a multiple of 64; the "
                                  "last record starts at offset {} and is incomplete",
                                  bytes.size(), bytes.size() / 64 * 64));
  std::vector<SeccompData> out(bytes.size() / sizeof(SeccompData));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

Result<std::vector<SeccompData>> parse_seccomp_text(std::string_view text) {
  std::vector<SeccompData> out;
  int64_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<uint64_t> nums;
    size_t i = 0;
    while (i < line.size()) {
      if (std::isspace(static_cast<unsigned char>(line[i])) || line[i] == ',') {
        ++i;
        continue;
      }
      size_t e = i;
      while (e < line.size() && !std::isspace(static_cast<unsigned char>(line[e])) &&
             line[e] != ',')
        ++e;
      std::string_view tok = line.substr(i, e - i);
      bool neg = !tok.empty() && tok[0] == '-';
      std::string_view digits = neg ? tok.substr(1) : tok;
      int base = 10;
      if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits = digits.substr(2);
      }
      uint64_t v = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
      if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || digits.empty()) {
        Location where;
        where.line = line_no;
        return make_error(Errc::kInvalid, fmt::format("bad number '{}'", tok), where);
      }
      nums.push_back(neg ? 0 - v : v);
      i = e;
    }
    if (nums.empty()) continue;
    if (nums.size() > 9) {
      Location where;
      where.line = line_no;
      return make_error(
          Errc::kInvalid,
          fmt::format("{} fields; expected NR [ARCH [IP [ARG0 .. ARG5]]]", nums.size()), where);
    }
    SeccompData d;
    d.nr = static_cast<int32_t>(nums[0]);
    if (nums.size() > 1) d.arch = static_cast<uint32_t>(nums[1]);
    if (nums.size() > 2) d.instruction_pointer = nums[2];
    for (size_t a = 3; a < nums.size(); ++a) d.args[a - 3] = nums[a];
    out.push_back(d);
  }
  return out;
}

namespace {

Result<std::vector<uint8_t>> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Location where;
  where.object = path;
  if (!f) return make_error(Errc::kNotFound, "cannot open file", where);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

bool looks_like_text(const std::vector<uint8_t>& b) {
  if (b.empty()) return false;
  for (uint8_t c : b)
    if (!(c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f))) return false;
  return true;
}

template <typename T>
Result<T> with_file(Result<T> r, const std::string& path) {
  if (!r.ok()) r.error().where.object = path;
  return r;
}

}  // namespace

Result<std::vector<CbpfInsn>> load_cbpf_file(const std::string& path) {
  BOMBUS_ASSIGN_OR_RETURN(auto bytes, slurp(path));
  if (looks_like_text(bytes))
    return with_file(parse_cbpf_text({reinterpret_cast<const char*>(bytes.data()), bytes.size()}),
                     path);
  return with_file(decode_cbpf(bytes), path);
}

Result<std::vector<SeccompData>> load_seccomp_records(const std::string& path) {
  BOMBUS_ASSIGN_OR_RETURN(auto bytes, slurp(path));
  if (looks_like_text(bytes))
    return with_file(
        parse_seccomp_text({reinterpret_cast<const char*>(bytes.data()), bytes.size()}), path);
  return with_file(decode_seccomp_records(bytes), path);
}

std::string format_seccomp_report(std::span<const SeccompData> calls,
                                  std::span<const SeccompResult> results, bool json) {
  std::string out = json ? "[" : "";
  for (size_t i = 0; i < calls.size() && i < results.size(); ++i) {
    const SeccompData& d = calls[i];
    const SeccompResult& r = results[i];
    if (json) {
      out += fmt::format(
          "{}{{\"nr\":{},\"arch\":{},\"action\":\"{}\",\"data\":{},\"ret\":{},\"filter\":{}}}",
          i ? "," : "", d.nr, d.arch, seccomp_action_name(r.action), r.data, r.raw, r.filter);
    } else {
      out += fmt::format("nr {} arch {:#x} args {:#x} {:#x} {:#x}: {}\n", d.nr, d.arch, d.args[0],
                         d.args[1], d.args[2], format_seccomp_result(r));
    }
  }
  if (json) out += "]";
  return out;
}

}  // namespace bombus::net
