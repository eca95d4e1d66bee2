// Kernel and module BTF for ksyms, kfuncs, struct_ops and CO-RE candidates (see kernel_btf.h).
#include "loader/kernel_btf.h"

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "btf/core.h"

namespace bombus::loader {

Result<std::shared_ptr<const btf::Btf>> system_vmlinux_btf() {
  static std::mutex mu;
  static std::shared_ptr<const btf::Btf> vmlinux;
  std::lock_guard<std::mutex> lock(mu);
  if (!vmlinux) {
    BOMBUS_ASSIGN_OR_RETURN(btf::Btf b, btf::load_target_btf(""));
    vmlinux = std::make_shared<btf::Btf>(std::move(b));
  }
  return vmlinux;
}

Result<std::shared_ptr<const btf::Btf>> KernelBtf::vmlinux() {
  if (vmlinux_) return vmlinux_;
  if (opts_.kernel_btf) {
    vmlinux_ = opts_.kernel_btf;
  } else {
    BOMBUS_ASSIGN_OR_RETURN(vmlinux_, system_vmlinux_btf());
  }
  return vmlinux_;
}

Result<const std::vector<ModuleBtf>*> KernelBtf::modules() {
  if (modules_) return &*modules_;
  BOMBUS_ASSIGN_OR_RETURN(auto base, vmlinux());
  std::vector<ModuleBtf> out;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!opts_.kernel_btf && opts_.load_module_btfs && fs::is_directory("/sys/kernel/btf", ec)) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator("/sys/kernel/btf", ec))
      if (e.path().filename() != "vmlinux") names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      auto b = btf::Btf::load_file("/sys/kernel/btf/" + n, base.get());
      if (!b.ok()) continue;  // a module whose BTF does not parse is skipped, as libbpf warns
      out.push_back({n, std::make_shared<btf::Btf>(std::move(b).value())});
    }
  }
  for (const std::string& path : opts_.module_btf_paths) {
    auto b = btf::Btf::load_file(path, base.get());
    if (!b.ok()) {
      Error e = b.error();
      e.message = "module BTF '" + path + "': " + e.message;
      return e;
    }
    std::string name = fs::path(path).filename();
    out.push_back({name, std::make_shared<btf::Btf>(std::move(b).value())});
  }
  modules_ = std::move(out);
  // The base must outlive the modules: it is held by vmlinux_ for this object's lifetime, and
  // the system vmlinux lives for the process.
  return &*modules_;
}

}  // namespace bombus::loader
