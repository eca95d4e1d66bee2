// Memory and string helpers: probe_read*/probe_write_user through process_vm_readv/writev on
// this process (an unmapped address fails cleanly with -EFAULT instead of crashing), strncmp,
// and the printf family (trace_printk, trace_vprintk, snprintf) with the kernel's format rules.
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "vm/helpers/helpers.h"

namespace bombus::vm {

namespace {
using u64 = uint64_t;
void* P(u64 p) {
  return reinterpret_cast<void*>(p);
}
u64 R(long v) {
  return static_cast<u64>(static_cast<int64_t>(v));
}

std::mutex g_sink_mu;
std::function<void(std::string_view)>& global_sink() {
  static std::function<void(std::string_view)> s;
  return s;
}
}  // namespace

void set_trace_sink(std::function<void(std::string_view)> sink) {
  std::lock_guard g(g_sink_mu);
  global_sink() = std::move(sink);
}

long safe_read(void* dst, const void* src, size_t len) {
  if (len == 0) return 0;
  iovec local{dst, len}, remote{const_cast<void*>(src), len};
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(len)) return 0;
  std::memset(dst, 0, len);
  return -14;
}

long safe_write(void* dst, const void* src, size_t len) {
  if (len == 0) return 0;
  iovec local{const_cast<void*>(src), len}, remote{dst, len};
  ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
  return n == static_cast<ssize_t>(len) ? 0 : -14;
}

long safe_read_str(char* dst, const void* src, size_t size) {
  if (size == 0) return 0;
  size_t got = 0;
  auto addr = reinterpret_cast<uintptr_t>(src);
  while (got < size - 1) {
    size_t to_page = 4096 - ((addr + got) & 4095);
    size_t chunk = std::min(to_page, size - 1 - got);
    if (safe_read(dst + got, reinterpret_cast<const void*>(addr + got), chunk) != 0) {
      if (got == 0) {
        dst[0] = 0;
        return -14;
      }
      break;
    }
    if (void* z = std::memchr(dst + got, 0, chunk)) {
      return static_cast<char*>(z) - dst + 1;
    }
    got += chunk;
  }
  dst[got] = 0;
  return static_cast<long>(got + 1);
}

long bpf_format(std::string& out, const char* fmt, uint32_t fmt_size,
                std::span<const uint64_t> args) {
  if (fmt_size == 0 || fmt[fmt_size - 1] != 0) return -22;  // must be NUL-terminated
  size_t n = strnlen(fmt, fmt_size);
  size_t ai = 0;
  out.clear();
  for (size_t i = 0; i < n; ++i) {
    char c = fmt[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (++i >= n) return -22;
    if (fmt[i] == '%') {
      out += '%';
      continue;
    }
    // Flags, width, precision (the kernel allows them and passes them to its vsnprintf).
    std::string spec = "%";
    while (i < n && std::strchr("-+ #0", fmt[i])) spec += fmt[i++];
    while (i < n && ((fmt[i] >= '0' && fmt[i] <= '9') || fmt[i] == '.')) spec += fmt[i++];
    if (i >= n) return -22;
    if (ai >= args.size()) return -22;
    u64 a = args[ai++];
    char buf[128];
    if (fmt[i] == 'p') {
      char k = i + 1 < n ? fmt[i + 1] : 0;
      if (k == 'I' && i + 2 < n && (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
        bool v6 = fmt[i + 2] == '6';
        i += 2;
        uint8_t ip[16];
        if (safe_read(ip, P(a), v6 ? 16 : 4) != 0) return -22;
        if (!v6) {
          std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
        } else {
          char* p = buf;
          for (int j = 0; j < 16; j += 2)
            p += std::sprintf(p, j ? ":%02x%02x" : "%02x%02x", ip[j], ip[j + 1]);
        }
        out += buf;
        continue;
      }
      if (k == 'K' || k == 'x' || k == 'B' || k == 's' || k == 'S') ++i;
      std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(a));
      if (k == 'K') std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(a));
      if (k == 'x') std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(a));
      out += buf;
      continue;
    }
    if (fmt[i] == 's') {
      char s[256];
      if (safe_read_str(s, P(a), sizeof s) < 0) std::strcpy(s, "(invalid)");
      spec += 's';
      std::snprintf(buf, sizeof buf, spec.c_str(), s);
      out += buf;
      continue;
    }
    if (fmt[i] == 'c') {
      out += static_cast<char>(a);
      continue;
    }
    int longs = 0;
    bool half = false;
    while (i < n && (fmt[i] == 'l' || fmt[i] == 'h' || fmt[i] == 'z')) {
      if (fmt[i] == 'l' || fmt[i] == 'z') ++longs;
      if (fmt[i] == 'h') half = true;
      ++i;
    }
    if (i >= n || !std::strchr("diuxX", fmt[i])) return -22;
    char conv = fmt[i];
    bool is_signed = conv == 'd' || conv == 'i';
    if (longs == 0) {
      // 32-bit (or 16-bit) argument.
      if (is_signed)
        a = static_cast<u64>(
            static_cast<int64_t>(half ? static_cast<int16_t>(a) : static_cast<int32_t>(a)));
      else
        a = half ? static_cast<uint16_t>(a) : static_cast<uint32_t>(a);
    }
    spec += "ll";
    spec += conv;
    if (is_signed)
      std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<long long>(a));
    else
      std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<unsigned long long>(a));
    out += buf;
  }
  return static_cast<long>(out.size());
}

namespace helper_impl {
namespace {

u64 probe_read(u64 dst, u64 size, u64 src, u64, u64) {
  return R(safe_read(P(dst), P(src), size));
}
u64 probe_read_str(u64 dst, u64 size, u64 src, u64, u64) {
  return R(safe_read_str(static_cast<char*>(P(dst)), P(src), size));
}
u64 probe_write_user(u64 dst, u64 src, u64 size, u64, u64) {
  return R(safe_write(P(dst), P(src), size));
}
u64 strncmp_helper(u64 s1, u64 s1_sz, u64 s2, u64, u64) {
  const auto* a = static_cast<const unsigned char*>(P(s1));
  const auto* b = static_cast<const unsigned char*>(P(s2));
  for (u64 i = 0; i < s1_sz; ++i) {
    if (a[i] != b[i]) return R(a[i] < b[i] ? -1 : 1);
    if (!a[i]) break;
  }
  return 0;
}

void emit(const std::string& msg) {
  HelperEnv* e = env();
  if (e && e->trace) {
    e->trace(msg);
    return;
  }
  std::lock_guard g(g_sink_mu);
  if (global_sink()) global_sink()(msg);
}

u64 trace_printk(u64 fmt, u64 fmt_size, u64 a1, u64 a2, u64 a3) {
  uint64_t args[3] = {a1, a2, a3};
  std::string out;
  long r = bpf_format(out, static_cast<const char*>(P(fmt)), static_cast<uint32_t>(fmt_size), args);
  if (r < 0) return R(r);
  emit(out);
  return static_cast<u64>(r);
}
u64 trace_vprintk(u64 fmt, u64 fmt_size, u64 data, u64 data_len, u64) {
  if (data_len % 8 || data_len > 8 * 12 || (data_len && !data)) return R(-22);
  std::string out;
  long r = bpf_format(out, static_cast<const char*>(P(fmt)), static_cast<uint32_t>(fmt_size),
                      {static_cast<const uint64_t*>(P(data)), data_len / 8});
  if (r < 0) return R(r);
  emit(out);
  return static_cast<u64>(r);
}
u64 snprintf_helper(u64 str, u64 str_size, u64 fmt, u64 data, u64 data_len) {
  if (data_len % 8 || data_len > 8 * 12 || (data_len && !data)) return R(-22);
  const char* f = static_cast<const char*>(P(fmt));
  std::string out;
  long r = bpf_format(out, f, static_cast<uint32_t>(std::strlen(f) + 1),
                      {static_cast<const uint64_t*>(P(data)), data_len / 8});
  if (r < 0) {
    if (str_size) static_cast<char*>(P(str))[0] = 0;
    return R(r);
  }
  if (str_size) {
    size_t n = std::min<size_t>(out.size(), str_size - 1);
    std::memcpy(P(str), out.data(), n);
    static_cast<char*>(P(str))[n] = 0;
  }
  return out.size() + 1;
}

}  // namespace

void add_mem(Table& t) {
  t[4] = probe_read;
  t[6] = trace_printk;
  t[36] = probe_write_user;
  t[45] = probe_read_str;
  t[112] = probe_read;
  t[113] = probe_read;
  t[114] = probe_read_str;
  t[115] = probe_read_str;
  t[148] = probe_read;
  t[165] = snprintf_helper;
  t[177] = trace_vprintk;
  t[182] = strncmp_helper;
}

}  // namespace helper_impl
}  // namespace bombus::vm
