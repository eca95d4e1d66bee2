// Externs: undefined global symbols declared `extern ... __kconfig` (DATASEC ".kconfig") or
// `__ksym` (DATASEC ".ksyms"). Kconfig externs are laid out in one ".kconfig" array map (sorted
// by alignment, size and name like libbpf) whose value holds the resolved configuration;
// LINUX_KERNEL_VERSION and LINUX_HAS_SYSCALL_WRAPPER come from the options, else from the host
// the way libbpf computes them (uname; syscall_wrapper.h). Ksyms resolve
// through OpenOptions::ksym_resolver. Weak externs that resolve to nothing read as zero.
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "loader/kconfig.h"
#include "loader/state.h"
#include "loader/syscall_wrapper.h"

namespace bombus::loader::detail {

namespace {

enum class KcfgKind { kBool, kChar, kTristate, kInt, kCharArray };

struct Pending {
  ExternSpec spec;
  uint32_t sym = 0;
  KcfgKind kind = KcfgKind::kInt;
  bool is_signed = false;
  uint32_t align = 1;
};

uint32_t uname_kernel_version() {
  struct utsname u;
  if (uname(&u) != 0) return 0;
  unsigned a = 0, b = 0, c = 0;
  if (std::sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2) return 0;
  return (a << 16) | (b << 8) | std::min(c, 255u);
}

Result<KcfgKind> kcfg_kind(const btf::Btf& btf, uint32_t type_id, bool* is_signed) {
  btf::Type t = btf.type(btf.skip_modifiers(type_id));
  switch (t.kind()) {
    case btf::Kind::kInt: {
      *is_signed = t.int_encoding() & btf::kIntSigned;
      if (t.int_encoding() & btf::kIntBool) return KcfgKind::kBool;
      if (t.size() == 1 && (t.int_encoding() & btf::kIntChar)) return KcfgKind::kChar;
      if (t.size() == 1 || t.size() == 2 || t.size() == 4 || t.size() == 8) return KcfgKind::kInt;
      break;
    }
    case btf::Kind::kEnum:
      if (t.name() == "libbpf_tristate" && t.size() == 4) return KcfgKind::kTristate;
      *is_signed = t.is_signed_enum();
      return KcfgKind::kInt;
    case btf::Kind::kArray: {
      btf::Type e = btf.type(btf.skip_modifiers(t.array().type));
      if (e.kind() == btf::Kind::kInt && e.size() == 1) return KcfgKind::kCharArray;
      break;
    }
    default:
      break;
  }
  return make_error(Errc::kUnsupported, "type is not supported for a kconfig extern");
}

// Writes `value` (kconfig text) into `dst` according to the extern's kind.
Status set_kcfg_value(const Pending& p, std::string_view value, uint8_t* dst) {
  auto fail = [&](std::string m) {
    return make_error(Errc::kInvalid, "extern (kcfg) '" + p.spec.name + "': " + m);
  };
  if (value == "y" || value == "n" || value == "m") {
    char c = value[0];
    switch (p.kind) {
      case KcfgKind::kBool:
        if (c == 'm') return fail("value 'm' needs a tristate or char type");
        *dst = c == 'y';
        return Status{};
      case KcfgKind::kTristate: {
        uint32_t v = c == 'y' ? 1 : c == 'm' ? 2 : 0;
        std::memcpy(dst, &v, 4);
        return Status{};
      }
      case KcfgKind::kChar:
        *dst = static_cast<uint8_t>(c);
        return Status{};
      default:
        return fail("value '" + std::string(value) + "' is not a number");
    }
  }
  if (value.front() == '"') {
    if (p.kind != KcfgKind::kCharArray) return fail("string value for a non-string extern");
    if (value.size() < 2 || value.back() != '"') return fail("unterminated string value");
    std::string_view s = value.substr(1, value.size() - 2);
    size_t n = std::min<size_t>(s.size(), p.spec.kcfg_size - 1);
    std::memcpy(dst, s.data(), n);
    dst[n] = 0;
    return Status{};
  }
  if (p.kind != KcfgKind::kInt && p.kind != KcfgKind::kChar)
    return fail("numeric value '" + std::string(value) + "' for a non-integer extern");
  std::string text(value);
  char* end = nullptr;
  errno = 0;
  uint64_t v = p.is_signed ? static_cast<uint64_t>(std::strtoll(text.c_str(), &end, 0))
                           : std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || end == text.c_str() || *end != 0)
    return fail("cannot parse value '" + text + "'");
  uint32_t sz = p.spec.kcfg_size;
  if (sz < 8) {
    bool fits = p.is_signed ? (static_cast<int64_t>(v) >= -(int64_t{1} << (sz * 8 - 1)) &&
                               static_cast<int64_t>(v) < (int64_t{1} << (sz * 8 - 1)))
                            : v < (uint64_t{1} << (sz * 8));
    if (!fits) return fail("value " + text + " does not fit in " + std::to_string(sz) + " bytes");
  }
  std::memcpy(dst, &v, sz);  // little-endian: the low bytes
  return Status{};
}

}  // namespace

Status collect_externs(OpenState& st) {
  std::vector<Pending> ext;
  for (const elf::Symbol& y : st.elf->symbols()) {
    if (y.index == 0 || y.shndx != elf::kShnUndef || y.name.empty() ||
        (y.bind != elf::kStbGlobal && y.bind != elf::kStbWeak) || y.type != elf::kSttNotype)
      continue;
    Location at = st.at();
    if (!st.btf)
      return make_error(Errc::kInvalid,
                        "extern '" + std::string(y.name) + "' needs BTF to be resolved", at);
    const btf::Btf& btf = *st.btf;
    // The VAR/FUNC of that name, and the DATASEC that lists it.
    std::optional<uint32_t> var;
    std::string_view sec_name;
    for (uint32_t id : btf.find_all(y.name)) {
      btf::Kind k = btf.kind(id);
      if (k != btf::Kind::kVar && k != btf::Kind::kFunc) continue;
      for (std::string_view sn : {std::string_view(".kconfig"), std::string_view(".ksyms")}) {
        auto ds = btf.find_datasec(sn);
        if (ds && btf.datasec_entry(*ds, id)) {
          var = id;
          sec_name = sn;
        }
      }
      if (var) break;
    }
    if (!var)
      return make_error(Errc::kInvalid,
                        "extern '" + std::string(y.name) +
                            "' is in neither .kconfig nor .ksyms (missing __kconfig/__ksym?)",
                        at);
    Pending p;
    p.sym = y.index;
    p.spec.name = std::string(y.name);
    p.spec.weak = y.bind == elf::kStbWeak;
    p.spec.kconfig = sec_name == ".kconfig";
    p.spec.is_func = btf.kind(*var) == btf::Kind::kFunc;
    if (!p.spec.kconfig) p.spec.local_type_id = btf.skip_modifiers(btf.type(*var).ref());
    if (p.spec.kconfig) {
      if (p.spec.is_func)
        return make_error(Errc::kInvalid, "extern (kcfg) '" + p.spec.name + "' is a function", at);
      uint32_t t = btf.type(*var).ref();
      auto kind = kcfg_kind(btf, t, &p.is_signed);
      if (!kind.ok())
        return make_error(Errc::kUnsupported,
                          "extern (kcfg) '" + p.spec.name + "': " + kind.error().message, at);
      p.kind = *kind;
      auto sz = btf.resolve_size(t);
      if (!sz.ok() || *sz == 0)
        return make_error(Errc::kInvalid, "extern (kcfg) '" + p.spec.name + "': no size", at);
      p.spec.kcfg_size = *sz;
      p.align = std::max<uint32_t>(1, btf.alignment(t));
    }
    ext.push_back(std::move(p));
  }
  if (ext.empty()) return Status{};
  std::sort(ext.begin(), ext.end(), [](const Pending& a, const Pending& b) {
    if (a.spec.kconfig != b.spec.kconfig) return a.spec.kconfig;
    if (a.spec.kconfig) {
      if (a.align != b.align) return a.align > b.align;
      if (a.spec.kcfg_size != b.spec.kcfg_size) return a.spec.kcfg_size < b.spec.kcfg_size;
    }
    return a.spec.name < b.spec.name;
  });

  // Lay out and fill the .kconfig map.
  uint32_t off = 0;
  bool need_config = false;
  for (Pending& p : ext) {
    if (!p.spec.kconfig) continue;
    p.spec.kcfg_offset = (off + p.align - 1) / p.align * p.align;
    off = p.spec.kcfg_offset + p.spec.kcfg_size;
    if (p.spec.name.starts_with("CONFIG_")) need_config = true;
  }
  std::vector<uint8_t> data(off, 0);
  KconfigTable cfg;
  if (need_config) {
    const std::string& path =
        st.opts->kconfig_path.empty() ? std::string("/proc/config.gz") : st.opts->kconfig_path;
    auto t = read_kconfig_file(path);
    if (t.ok()) {
      cfg = std::move(t).value();
    } else if (!st.opts->kconfig_path.empty()) {
      return t.error();  // a file the user named must be readable
    }
  }
  if (!st.opts->kconfig_extra.empty()) BOMBUS_TRY(parse_kconfig_text(st.opts->kconfig_extra, cfg));
  for (Pending& p : ext) {
    Location at = st.at();
    if (p.spec.kconfig) {
      uint8_t* dst = data.data() + p.spec.kcfg_offset;
      if (p.spec.name == "LINUX_KERNEL_VERSION") {
        if (p.kind != KcfgKind::kInt || p.spec.kcfg_size < 4)
          return make_error(Errc::kInvalid, "extern (kcfg) 'LINUX_KERNEL_VERSION' must be u32", at);
        uint32_t v = st.opts->kernel_version.value_or(uname_kernel_version());
        std::memcpy(dst, &v, 4);
        p.spec.resolved = true;
      } else if (p.spec.name == "LINUX_HAS_SYSCALL_WRAPPER" ||
                 p.spec.name == "LINUX_HAS_BPF_COOKIE") {
        if (p.kind != KcfgKind::kBool)
          return make_error(Errc::kInvalid, "extern (kcfg) '" + p.spec.name + "' must be bool", at);
        *dst = p.spec.name == "LINUX_HAS_BPF_COOKIE"
                   ? 1
                   : st.opts->has_syscall_wrapper.value_or(
                         has_syscall_wrapper(host_syscall_wrapper_facts()));
        p.spec.resolved = true;
      } else if (p.spec.name.starts_with("LINUX_")) {
        return make_error(Errc::kUnsupported,
                          "unrecognized LINUX-specific extern '" + p.spec.name + "'", at);
      } else if (auto it = cfg.find(p.spec.name); it != cfg.end()) {
        auto s = set_kcfg_value(p, it->second, dst);
        if (!s.ok()) {
          Error e = s.error();
          e.where = at;
          return e;
        }
        p.spec.resolved = true;
      }
    }
    st.extern_by_sym[p.sym] = static_cast<uint32_t>(st.spec.externs.size());
    st.spec.externs.push_back(p.spec);
  }
  BOMBUS_TRY(resolve_ksyms(st));
  for (const ExternSpec& x : st.spec.externs)
    if (!x.resolved && !x.weak)  // libbpf's wording
      return make_error(Errc::kNotFound, "extern '" + x.name + "' (strong): not resolved", st.at());
  if (off > 0) {
    MapSpec m;
    m.real_name = ".kconfig";
    m.name = internal_map_name(st.spec.name, ".kconfig");
    m.origin = MapOrigin::kKconfig;
    m.type = MapType::kArray;
    m.key_size = 4;
    m.value_size = off;
    m.max_entries = 1;
    m.map_flags = kMapFlagMmapable | kMapFlagRdonlyProg;
    m.frozen = true;
    m.initial_data = std::move(data);
    if (auto id = st.btf->find_datasec(".kconfig")) m.btf_value_type_id = *id;
    st.kconfig_map = static_cast<uint32_t>(st.spec.maps.size());
    st.spec.maps.push_back(std::move(m));
  }
  return Status{};
}

}  // namespace bombus::loader::detail
