// .ksyms externs, resolved the way libbpf resolves them, after the platform's own table
// (OpenOptions::ksym_resolver) has had its say:
// - typeless variables (`extern const void x __ksym`): an address from a kallsyms-format table;
//   two different addresses for one name are an error ("resolution is ambiguous");
// - typed variables (`extern const struct rq runqueues __ksym`): a VAR of that name in vmlinux
//   BTF, else in a module's own types; the local and kernel types must be compatible (CO-RE's
//   rules). The lddw becomes src kPseudoBtfId with the VAR's id;
// - kfuncs (`extern void bpf_rcu_read_lock(void) __ksym`): a FUNC likewise; an incompatible
//   prototype fails a strong kfunc and leaves a weak one unresolved (call imm 0, as libbpf 1.1).
// Weak externs that stay unresolved read as zero; collect_externs reports strong ones.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>

#include "btf/core.h"
#include "loader/state.h"

namespace bombus::loader::detail {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// libbpf's btf_kind_str(): lower-case kind names, "void" for type 0.
std::string kind_str(const btf::Btf& b, uint32_t id) {
  if (id == 0) return "void";
  std::string s(btf::kind_name(b.kind(id)));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads `path` once for the names in `want`: name -> every distinct address seen.
Result<std::map<std::string, std::vector<uint64_t>, std::less<>>> read_kallsyms(
    const std::string& path, const std::map<std::string, bool, std::less<>>& want) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::kNotFound, "kallsyms: cannot open '" + path + "'");
  std::map<std::string, std::vector<uint64_t>, std::less<>> out;
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long addr = 0;
    char type = 0;
    char name[512];
    if (std::sscanf(line.c_str(), "%llx %c %511s", &addr, &type, name) != 3) continue;
    auto it = want.find(std::string_view(name));
    if (it == want.end()) continue;
    auto& v = out[it->first];
    if (std::find(v.begin(), v.end(), addr) == v.end()) v.push_back(addr);
  }
  return out;
}

struct Found {
  const btf::Btf* btf = nullptr;
  uint32_t id = 0;
  std::string module;  // "" = vmlinux
};

// libbpf's find_ksym_btf_id(): vmlinux first, then each module's own types.
Result<std::optional<Found>> find_kernel(OpenState& st, std::string_view name, btf::Kind kind) {
  BOMBUS_ASSIGN_OR_RETURN(auto vm, st.kernel->vmlinux());
  if (auto id = vm->find(name, kind)) return std::optional<Found>(Found{vm.get(), *id, {}});
  BOMBUS_ASSIGN_OR_RETURN(const std::vector<ModuleBtf>* mods, st.kernel->modules());
  for (const ModuleBtf& m : *mods)
    for (uint32_t id : m.btf->find_all(name))
      if (id >= m.btf->start_id() && m.btf->kind(id) == kind)
        return std::optional<Found>(Found{m.btf.get(), id, m.name});
  return std::optional<Found>();
}

uint32_t module_slot(OpenState& st, const std::string& module) {
  if (module.empty()) return 0;
  auto& mods = st.spec.btf_modules;
  auto it = std::find(mods.begin(), mods.end(), module);
  if (it == mods.end()) it = mods.insert(mods.end(), module);
  return static_cast<uint32_t>(it - mods.begin()) + 1;
}

Status resolve_typed(OpenState& st, ExternSpec& x) {
  const btf::Btf& local = *st.btf;
  const char* what = x.is_func ? "extern (func ksym) '" : "extern (var ksym) '";
  auto fail = [&](Errc c, std::string m) {
    return make_error(c, what + x.name + "': " + m, st.at());
  };
  auto f = find_kernel(st, x.name, x.is_func ? btf::Kind::kFunc : btf::Kind::kVar);
  if (!f.ok()) return fail(f.error().code, "no kernel BTF: " + f.error().message);
  if (!*f) {
    if (x.weak) return Status{};
    return fail(Errc::kNotFound,
                x.is_func ? "not found in kernel or module BTFs" : "not found in kernel BTF");
  }
  const Found& k = **f;
  uint32_t ktype = k.btf->skip_modifiers(k.btf->type(k.id).ref());
  if (!btf::core_types_compatible(local, x.local_type_id, *k.btf, ktype)) {
    if (x.is_func) {
      if (x.weak) return Status{};
      return fail(Errc::kInvalid, "func_proto [" + std::to_string(x.local_type_id) +
                                      "] incompatible with " +
                                      (k.module.empty() ? std::string("vmlinux") : k.module) +
                                      " [" + std::to_string(ktype) + "]");
    }
    return fail(Errc::kInvalid, "incompatible types, expected [" + std::to_string(x.local_type_id) +
                                    "] " + kind_str(local, x.local_type_id) + " " +
                                    std::string(local.name(x.local_type_id)) +
                                    ", but kernel has [" + std::to_string(ktype) + "] " +
                                    kind_str(*k.btf, ktype) + " " +
                                    std::string(k.btf->name(ktype)));
  }
  x.kernel_btf_id = k.id;
  x.btf_module = k.module;
  module_slot(st, k.module);
  if (x.is_func) x.ksym_value = k.id;
  x.resolved = true;
  return Status{};
}

}  // namespace

Status resolve_ksyms(OpenState& st) {
  std::map<std::string, bool, std::less<>> typeless;  // unresolved typeless names
  for (ExternSpec& x : st.spec.externs) {
    if (x.kconfig) continue;
    if (st.opts->ksym_resolver) {
      if (auto v = st.opts->ksym_resolver(x.name, x.is_func)) {
        x.ksym_value = *v;
        if (x.is_func) x.kernel_btf_id = static_cast<uint32_t>(*v);
        x.resolved = true;
        continue;
      }
    }
    if (x.is_func || x.local_type_id != 0) {
      BOMBUS_TRY(resolve_typed(st, x));
    } else {
      typeless[x.name] = true;
    }
  }
  if (typeless.empty() || st.opts->kallsyms_path.empty()) return Status{};
  auto table = read_kallsyms(st.opts->kallsyms_path, typeless);
  if (!table.ok()) {
    Error e = table.error();
    e.where = st.at();
    return e;
  }
  for (ExternSpec& x : st.spec.externs) {
    if (x.kconfig || x.resolved || !typeless.count(x.name)) continue;
    auto it = table->find(x.name);
    if (it == table->end()) continue;
    if (it->second.size() > 1)
      return make_error(Errc::kInvalid,
                        "extern (ksym) '" + x.name + "': resolution is ambiguous: " +
                            hex(it->second[0]) + " or " + hex(it->second[1]),
                        st.at());
    x.ksym_value = it->second[0];
    x.resolved = true;
  }
  return Status{};
}

}  // namespace bombus::loader::detail
