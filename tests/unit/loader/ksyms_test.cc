// .ksyms resolution against a hand-built kernel BTF: typed variables become lddw src 3 with the
// kernel VAR's id, kfunc calls src 2 with the FUNC's id (off 0 for vmlinux, 1 + module slot for
// a module), weak ones the kernel lacks read as zero / call imm 0, and strong ones fail with
// libbpf's messages. Typeless ones resolve through a kallsyms-format table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "bombus_progs.h"
#include "btf/btf.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

struct Kernel {
  std::shared_ptr<const btf::Btf> btf;
  uint32_t runqueues = 0, prog_active = 0, lock = 0, unlock = 0;
};

// struct rq { long pad; int cpu; } runqueues; int bpf_prog_active; void bpf_rcu_read_(un)lock().
// `rq_as_int` gives runqueues the wrong type; `no_unlock` leaves out bpf_rcu_read_unlock.
Kernel make_kernel(bool rq_as_int = false, bool no_unlock = false) {
  btf::BtfBuilder b;
  Kernel k;
  uint32_t i32 = b.add_int("int", 4, btf::kIntSigned);
  uint32_t i64 = b.add_int("long", 8, btf::kIntSigned);
  uint32_t rq = b.add_struct("rq", 16, {{"pad", i64, 0, 0}, {"cpu", i32, 64, 0}});
  k.runqueues = b.add_var("runqueues", rq_as_int ? i32 : rq);
  k.prog_active = b.add_var("bpf_prog_active", i32);
  uint32_t proto = b.add_func_proto(0, {});
  k.lock = b.add_func("bpf_rcu_read_lock", proto);
  if (!no_unlock) k.unlock = b.add_func("bpf_rcu_read_unlock", proto);
  auto parsed = btf::Btf::parse(b.build());
  EXPECT_TRUE(parsed.ok()) << parsed.error().format();
  k.btf = std::make_shared<btf::Btf>(std::move(parsed).value());
  return k;
}

OpenOptions with_kernel(const Kernel& k) {
  OpenOptions o;
  o.kernel_btf = k.btf;
  o.target_btf = k.btf;  // CO-RE (rq->cpu) against the same kernel
  o.load_module_btfs = false;
  return o;
}

TEST(Ksyms, TypedVariablesAndKfuncsResolveAgainstKernelBtf) {
  Kernel k = make_kernel();
  auto r = open_object_file(progs::path("ksyms_typed"), with_kernel(k));
  ASSERT_TRUE(r.ok()) << r.error().format();
  const ProgramSpec& p = r->programs.at(0);
  std::vector<std::pair<int, int>> btf_ids;  // (imm, second imm) of src-3 lddws
  std::vector<isa::Insn> kcalls;
  int zero_lddw = 0;
  for (size_t i = 0; i < p.insns.size(); ++i) {
    const isa::Insn& in = p.insns[i];
    if (in.opcode == 0x85 && in.src == isa::kPseudoKfuncCall) kcalls.push_back(in);
    if (in.opcode == 0x18) {
      if (in.src == isa::kPseudoBtfId) btf_ids.emplace_back(in.imm, p.insns[i + 1].imm);
      if (in.src == 0 && isa::lddw_imm64(in, p.insns[i + 1]) == 0) ++zero_lddw;
      ++i;
    }
  }
  // runqueues, bpf_prog_active; the missing weak variable and missing weak kfunc address are 0.
  ASSERT_EQ(btf_ids.size(), 2u);
  EXPECT_EQ(btf_ids[0], std::make_pair(static_cast<int>(k.runqueues), 0));
  EXPECT_EQ(btf_ids[1], std::make_pair(static_cast<int>(k.prog_active), 0));
  EXPECT_EQ(zero_lddw, 2);
  ASSERT_EQ(kcalls.size(), 3u);
  EXPECT_EQ(kcalls[0].imm, static_cast<int>(k.lock));
  EXPECT_EQ(kcalls[1].imm, static_cast<int>(k.unlock));
  EXPECT_EQ(kcalls[2].imm, 0);  // weak bombus_missing_kfunc: unresolved
  for (const isa::Insn& c : kcalls) EXPECT_EQ(c.off, 0);
  EXPECT_TRUE(r->btf_modules.empty());
  // rq->cpu was relocated to the kernel's offset 8.
  bool found = false;
  for (const isa::Insn& in : p.insns)
    if (in.opcode == 0x61 && in.off == 8) found = true;
  EXPECT_TRUE(found);
  int weak_unresolved = 0;
  for (const ExternSpec& x : r->externs) {
    if (!x.resolved) {
      EXPECT_TRUE(x.weak) << x.name;
      ++weak_unresolved;
    }
  }
  EXPECT_EQ(weak_unresolved, 2);
}

TEST(Ksyms, LibbpfMessagesForStrongAndIncompatibleExterns) {
  Kernel k = make_kernel();
  auto v =
      open_object_file(std::string(progs::kBadDir) + "/strong_typed_ksym.bpf.o", with_kernel(k));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(
      v.error().message.find("extern (var ksym) 'bombus_strong_var': not found in kernel BTF"),
      std::string::npos)
      << v.error().format();
  auto f = open_object_file(std::string(progs::kBadDir) + "/strong_kfunc.bpf.o", with_kernel(k));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find(
                "extern (func ksym) 'bombus_strong_kfunc': not found in kernel or module BTFs"),
            std::string::npos)
      << f.error().format();
  Kernel bad = make_kernel(/*rq_as_int=*/true);
  auto t = open_object_file(progs::path("ksyms_typed"), with_kernel(bad));
  ASSERT_FALSE(t.ok());
  const std::string m = t.error().message;
  EXPECT_NE(m.find("extern (var ksym) 'runqueues': incompatible types, expected ["),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("] struct rq, but kernel has [1] int int"), std::string::npos) << m;
  // A strong kfunc the kernel lacks fails too.
  Kernel no_unlock = make_kernel(false, /*no_unlock=*/true);
  auto u = open_object_file(progs::path("ksyms_typed"), with_kernel(no_unlock));
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("'bpf_rcu_read_unlock': not found in kernel or module BTFs"),
            std::string::npos)
      << u.error().format();
}

TEST(Ksyms, TypelessFromAKallsymsTable) {
  char path[] = "/tmp/bombus_kallsyms_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "ffffffff81000000 T _stext\n000000000002a1b0 D bpf_prog_active\n"
         "ffffffffc0001000 t helper\t[some_mod]\n";
  }
  Kernel k = make_kernel();
  OpenOptions o = with_kernel(k);
  o.kallsyms_path = path;
  auto r = open_object_file(progs::path("ksyms"), o);
  ASSERT_TRUE(r.ok()) << r.error().format();
  uint64_t addr = 0;
  for (const ExternSpec& x : r->externs)
    if (x.name == "bpf_prog_active") addr = x.ksym_value;
  EXPECT_EQ(addr, 0x2a1b0u);
  {
    std::ofstream f(path, std::ios::app);
    f << "000000000002a1c0 D bpf_prog_active\n";
  }
  auto amb = open_object_file(progs::path("ksyms"), o);
  std::remove(path);
  ASSERT_FALSE(amb.ok());
  EXPECT_NE(amb.error().message.find(
                "extern (ksym) 'bpf_prog_active': resolution is ambiguous: 0x2a1b0 or 0x2a1c0"),
            std::string::npos)
      << amb.error().format();
}

}  // namespace
}  // namespace bombus::loader
