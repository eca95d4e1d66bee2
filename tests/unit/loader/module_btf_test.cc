// Module BTF: split BTF files over the kernel's vmlinux (OpenOptions::module_btf_paths here; the
// system's /sys/kernel/btf/<module> in the same way). CO-RE looks at modules only when vmlinux
// has no candidate, and candidates from several modules compete (ambiguity is an error); kfuncs
// found in a module call with off = 1 + the module's slot in ObjectSpec::btf_modules.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "bombus_progs.h"
#include "btf/btf.h"
#include "btf/core.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

std::shared_ptr<const btf::Btf> make_vmlinux(bool with_obj) {
  btf::BtfBuilder b;
  uint32_t i32 = b.add_int("int", 4, btf::kIntSigned);
  b.add_struct("task_struct", 4, {{"pid", i32, 0, 0}});
  b.add_func("bpf_rcu_read_lock", b.add_func_proto(0, {}));
  if (with_obj) b.add_struct("bombus_mod_obj", 8, {{"a", i32, 0, 0}, {"b", i32, 32, 0}});
  auto r = btf::Btf::parse(b.build());
  EXPECT_TRUE(r.ok());
  return std::make_shared<btf::Btf>(std::move(r).value());
}

// A module's split BTF over `base`, written to a temporary file: struct bombus_mod_obj with `b`
// at byte `b_off` (and `c` when with_c), and optionally the kfunc bpf_rcu_read_unlock.
std::string write_module(const btf::Btf& base, const std::string& name, uint32_t b_off, bool with_c,
                         bool with_kfunc = false) {
  btf::BtfBuilder b(base.type_count(), base.strings_size());
  const uint32_t i32 = 1;  // base "int"
  std::vector<btf::Member> m = {{"a", i32, 0, 0}, {"b", i32, b_off * 8, 0}};
  if (with_c) m.push_back({"c", i32, (b_off + 4) * 8, 0});
  b.add_struct("bombus_mod_obj", b_off + 8, m);
  if (with_kfunc) b.add_func("bpf_rcu_read_unlock", b.add_func_proto(0, {}));
  std::string path = "/tmp/bombus_" + name + "_" + std::to_string(getpid()) + ".btf";
  std::ofstream f(path, std::ios::binary);
  auto bytes = b.build();
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// The two CO-RE results of core_module: (offset of b, existence of c) read back from the movs
// (clang emits the existence check first).
std::pair<int, int> results(const ObjectSpec& o) {
  std::vector<int> imms;
  for (const isa::Insn& in : o.programs.at(0).insns)
    if (in.opcode == 0xb7 || in.opcode == 0xb4) imms.push_back(in.imm);
  EXPECT_GE(imms.size(), 2u);
  return imms.size() >= 2 ? std::make_pair(imms[1], imms[0]) : std::make_pair(-1, -1);
}

OpenOptions kernel_opts(std::shared_ptr<const btf::Btf> vm, std::vector<std::string> mods) {
  OpenOptions o;
  o.kernel_btf = vm;
  o.load_module_btfs = false;
  o.module_btf_paths = std::move(mods);
  return o;
}

TEST(ModuleBtf, CoreFindsCandidatesInModulesWhenVmlinuxHasNone) {
  auto vm = make_vmlinux(false);
  std::string mod = write_module(*vm, "mod_a", 8, true);
  auto r = open_object_file(progs::path("core_module"), kernel_opts(vm, {mod}));
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(results(*r), std::make_pair(8, 1));
  // Without the module, nothing matches: the offset relocation poisons its instruction and the
  // existence check reads 0.
  auto none = open_object_file(progs::path("core_module"), kernel_opts(vm, {}));
  ASSERT_TRUE(none.ok()) << none.error().format();
  bool poisoned = false;
  for (const isa::Insn& in : none->programs.at(0).insns)
    if (in.opcode == 0x85 && in.imm == btf::kCorePoisonHelper) poisoned = true;
  EXPECT_TRUE(poisoned);
  std::remove(mod.c_str());
}

TEST(ModuleBtf, VmlinuxCandidatesWinAndModulesCompete) {
  auto vm_with = make_vmlinux(true);
  std::string mod = write_module(*vm_with, "mod_b", 8, true);
  auto r = open_object_file(progs::path("core_module"), kernel_opts(vm_with, {mod}));
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(results(*r), std::make_pair(4, 0));  // vmlinux's struct: b at 4, no c
  std::remove(mod.c_str());

  auto vm = make_vmlinux(false);
  std::string m1 = write_module(*vm, "mod_c", 8, false);
  std::string m2 = write_module(*vm, "mod_d", 12, false);
  auto amb = open_object_file(progs::path("core_module"), kernel_opts(vm, {m1, m2}));
  ASSERT_FALSE(amb.ok());
  EXPECT_NE(amb.error().format().find("field offset ambiguity: 8 != 12"), std::string::npos)
      << amb.error().format();
  std::remove(m1.c_str());
  std::remove(m2.c_str());

  auto bad = open_object_file(progs::path("core_module"),
                              kernel_opts(vm, {"/nonexistent/bombus_mod.btf"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().format().find("module BTF '/nonexistent/bombus_mod.btf'"),
            std::string::npos)
      << bad.error().format();
}

TEST(ModuleBtf, KfuncFromAModule) {
  auto vm = make_vmlinux(false);
  std::string mod = write_module(*vm, "mod_k", 8, true, /*with_kfunc=*/true);
  OpenOptions o = kernel_opts(vm, {mod});
  o.target_btf = vm;  // ksyms_typed's CO-RE (struct rq) needs no match for this test
  o.ksym_resolver = [](std::string_view name, bool) -> std::optional<uint64_t> {
    if (name == "runqueues" || name == "bpf_prog_active") return 0x1000;
    return std::nullopt;
  };
  auto r = open_object_file(progs::path("ksyms_typed"), o);
  ASSERT_TRUE(r.ok()) << r.error().format();
  ASSERT_EQ(r->btf_modules.size(), 1u);
  EXPECT_EQ(r->btf_modules[0], mod.substr(mod.rfind('/') + 1));
  std::vector<isa::Insn> calls;
  for (const isa::Insn& in : r->programs.at(0).insns)
    if (in.opcode == 0x85 && in.src == isa::kPseudoKfuncCall) calls.push_back(in);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].off, 0);  // bpf_rcu_read_lock: vmlinux
  EXPECT_EQ(calls[1].off, 1);  // bpf_rcu_read_unlock: the module, slot 1
  EXPECT_EQ(calls[1].imm, static_cast<int>(vm->type_count()) + 2);  // struct, proto, FUNC
  EXPECT_EQ(calls[2].imm, 0);                                       // unresolved weak kfunc
  std::remove(mod.c_str());
}

}  // namespace
}  // namespace bombus::loader
