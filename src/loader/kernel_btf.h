// The kernel's BTF as the loader consults it: vmlinux (OpenOptions::kernel_btf, else
// /sys/kernel/btf/vmlinux, parsed once per process) and module BTFs split over it — every
// /sys/kernel/btf/<module> file (only when vmlinux comes from the system) plus the files named in
// OpenOptions::module_btf_paths. Modules are loaded on first use, as libbpf loads them only when
// vmlinux has no candidate for a CO-RE relocation or no type for a ksym.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "btf/btf.h"
#include "loader/object.h"

namespace bombus::loader {

struct ModuleBtf {
  std::string name;  // module name ("nf_conntrack"), or the file name for a named file
  std::shared_ptr<const btf::Btf> btf;
};

class KernelBtf {
 public:
  explicit KernelBtf(const OpenOptions& opts) : opts_(opts) {}
  // vmlinux BTF; the error says why it is unavailable.
  Result<std::shared_ptr<const btf::Btf>> vmlinux();
  // Module BTFs over vmlinux, in name order (system modules, then named files in their order).
  Result<const std::vector<ModuleBtf>*> modules();

 private:
  const OpenOptions& opts_;
  std::shared_ptr<const btf::Btf> vmlinux_;
  std::optional<std::vector<ModuleBtf>> modules_;
};

// The system's /sys/kernel/btf/vmlinux, parsed once per process.
Result<std::shared_ptr<const btf::Btf>> system_vmlinux_btf();

}  // namespace bombus::loader
