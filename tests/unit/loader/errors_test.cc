// Bad objects: every rejection names the object, program, relocation and instruction, and no
// corruption of a real object crashes the loader.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "bombus_progs.h"
#include "btf/btf.h"
#include "elf/elf_file.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// File offset of a section's contents.
size_t section_offset(const std::vector<uint8_t>& bytes, std::string_view name) {
  auto f = elf::ElfFile::open(bytes);
  EXPECT_TRUE(f.ok());
  const elf::Section* s = f->find_section(name);
  EXPECT_NE(s, nullptr) << name;
  return static_cast<size_t>(s->data.data() - f->bytes().data());
}

std::string open_error(const std::vector<uint8_t>& bytes, OpenOptions o = {}) {
  if (o.object_name.empty()) o.object_name = "obj";
  auto r = open_object(bytes, o);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().format();
}

void expect_has(const std::string& s, const std::string& part) {
  EXPECT_NE(s.find(part), std::string::npos) << "'" << part << "' not in: " << s;
}

TEST(LoaderErrors, RelocationOnWrongInstruction) {
  auto bytes = read_all(progs::path("xdp_fw"));
  size_t rel = section_offset(bytes, ".relxdp");
  size_t code = section_offset(bytes, "xdp");
  uint64_t r_offset;
  std::memcpy(&r_offset, bytes.data() + rel, 8);  // relo #0
  bytes[code + r_offset] = 0xb7;                  // mov64 imm instead of lddw
  std::string e = open_error(bytes, OpenOptions{.object_name = "fw"});
  expect_has(e, "fw: prog 'xdp_fw': relo #0: insn " + std::to_string(r_offset / 8) + ": ");
  expect_has(e, "insn code 0xb7");
}

TEST(LoaderErrors, MisalignedRelocation) {
  auto bytes = read_all(progs::path("xdp_fw"));
  size_t rel = section_offset(bytes, ".relxdp");
  bytes[rel + 16] += 3;  // relo #1's r_offset
  std::string e = open_error(bytes);
  expect_has(e, "relo #1");
  expect_has(e, "is not an instruction");
}

TEST(LoaderErrors, RelocationSymbolOutOfRange) {
  auto bytes = read_all(progs::path("xdp_fw"));
  size_t rel = section_offset(bytes, ".relxdp");
  uint32_t sym = 0xfffff;
  std::memcpy(bytes.data() + rel + 8 + 4, &sym, 4);  // high half of r_info = symbol
  expect_has(open_error(bytes), "symbol index 1048575");
}

TEST(LoaderErrors, CallIntoTheMiddleOfAFunction) {
  auto bytes = read_all(progs::path("subprogs"));
  size_t code = section_offset(bytes, "xdp");
  auto spec = open_object(bytes);
  ASSERT_TRUE(spec.ok());
  // Find prog_a's first subprogram call in the section and shift its target by one insn.
  const ProgramSpec* a = spec->find_program("prog_a");
  size_t idx = 0;
  for (; idx < a->main_insn_count; ++idx)
    if (a->insns[idx].opcode == 0x85 && a->insns[idx].src == isa::kPseudoCall) break;
  ASSERT_LT(idx, a->main_insn_count);
  int32_t imm;
  size_t at = code + (a->sec_insn_off + idx) * 8 + 4;
  std::memcpy(&imm, bytes.data() + at, 4);
  imm += 1;
  std::memcpy(bytes.data() + at, &imm, 4);
  std::string e = open_error(bytes);
  expect_has(e, "prog 'prog_a'");
  expect_has(e, "insn " + std::to_string(idx));
  expect_has(e, "is not the start of a function");
}

TEST(LoaderErrors, UnknownMapField) {
  auto r = open_object_file(std::string(progs::kBadDir) + "/unknown_map_field.bpf.o");
  ASSERT_FALSE(r.ok());
  expect_has(r.error().format(),
             "unknown_map_field: section '.maps': map 'odd': unknown field "
             "'bombus_colour'");
}

TEST(LoaderErrors, StrongExternsMustResolve) {
  auto k = open_object_file(std::string(progs::kBadDir) + "/strong_kconfig.bpf.o",
                            OpenOptions{.kconfig_extra = "CONFIG_OTHER=y"});
  ASSERT_FALSE(k.ok());
  expect_has(k.error().format(), "extern 'CONFIG_BOMBUS_NEVER_SET' (strong): not resolved");
  auto ok = open_object_file(std::string(progs::kBadDir) + "/strong_kconfig.bpf.o",
                             OpenOptions{.kconfig_extra = "CONFIG_BOMBUS_NEVER_SET=77"});
  ASSERT_TRUE(ok.ok()) << ok.error().format();
  int32_t v;
  std::memcpy(&v, ok->find_map(".kconfig")->initial_data.data(), 4);
  EXPECT_EQ(v, 77);

  auto s = open_object_file(std::string(progs::kBadDir) + "/strong_ksym.bpf.o");
  ASSERT_FALSE(s.ok());
  expect_has(s.error().format(), "extern 'bombus_strong_symbol' (strong): not resolved");
  auto u = open_object_file(std::string(progs::kBadDir) + "/uninit_global.bpf.o");
  ASSERT_FALSE(u.ok());
  expect_has(u.error().format(), "extern 'never_defined'");
}

TEST(LoaderErrors, KsymsResolveThroughThePlatformTable) {
  OpenOptions o;
  o.ksym_resolver = [](std::string_view name, bool is_func) -> std::optional<uint64_t> {
    if (name == "bpf_prog_active" && !is_func) return 0x1122334455667788ull;
    if (name == "bpf_rcu_read_lock" && is_func) return 7;
    return std::nullopt;
  };
  // Names the table does not know resolve against kernel BTF: here one without the unlock kfunc.
  btf::BtfBuilder kb;
  kb.add_int("int", 4, btf::kIntSigned);
  auto kernel = btf::Btf::parse(kb.build());
  ASSERT_TRUE(kernel.ok());
  o.kernel_btf = std::make_shared<btf::Btf>(std::move(kernel).value());
  o.load_module_btfs = false;
  auto r = open_object_file(progs::path("ksyms"), o);
  ASSERT_TRUE(r.ok()) << r.error().format();
  const ProgramSpec& p = r->programs.at(0);
  int kfuncs = 0, addr = 0, zero = 0;
  for (size_t i = 0; i < p.insns.size(); ++i) {
    const isa::Insn& in = p.insns[i];
    if (in.opcode == 0x85 && in.src == isa::kPseudoKfuncCall) {
      ++kfuncs;
      EXPECT_TRUE(in.imm == 7 || in.imm == 0);  // bpf_rcu_read_unlock is unresolved (weak)
    }
    if (in.opcode == 0x18) {
      uint64_t v = isa::lddw_imm64(in, p.insns[i + 1]);
      EXPECT_EQ(in.src, 0);
      if (v == 0x1122334455667788ull) ++addr;
      if (v == 0) ++zero;
      ++i;
    }
  }
  EXPECT_EQ(kfuncs, 2);
  EXPECT_EQ(addr, 1);
  EXPECT_EQ(zero, 1);
  auto strong = open_object_file(std::string(progs::kBadDir) + "/strong_ksym.bpf.o",
                                 OpenOptions{.ksym_resolver = [](std::string_view, bool) {
                                   return std::optional<uint64_t>(0x1000);
                                 }});
  EXPECT_TRUE(strong.ok());
}

TEST(LoaderErrors, CorruptedObjectsNeverCrash) {
  std::mt19937 rng(1234);
  for (const char* n : {"xdp_fw", "subprogs", "global_data", "map_in_map", "kconfig"}) {
    auto orig = read_all(progs::path(n));
    OpenOptions o;
    o.skip_core = true;
    o.kconfig_extra = "CONFIG_HZ=100";
    for (int round = 0; round < 60; ++round) {
      auto bytes = orig;
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      auto r = open_object(bytes, o);
      if (!r.ok()) {
        EXPECT_FALSE(r.error().message.empty());
      }
    }
    for (size_t len = 0; len < orig.size(); len += orig.size() / 40 + 1)
      (void)open_object(std::span<const uint8_t>(orig.data(), len), o);
  }
}

}  // namespace
}  // namespace bombus::loader
