// Each open phase on its own, on real corpus objects: what it adds to the OpenState and that it
// needs nothing from the phases after it.
#include <gtest/gtest.h>

#include "bombus_progs.h"
#include "loader/state.h"

namespace bombus::loader::detail {
namespace {

struct Fixture {
  elf::ElfFile elf;
  OpenOptions opts;
  OpenState st;
  explicit Fixture(const char* name)
      : elf(std::move(elf::ElfFile::open_file(progs::path(name))).value()) {
    opts.skip_core = true;
    st.elf = &elf;
    st.opts = &opts;
    st.spec.name = name;
  }
};

TEST(Phases, CollectSectionsFindsCodeAndBtf) {
  Fixture f("subprogs");
  ASSERT_TRUE(collect_sections(f.st).ok());
  EXPECT_EQ(f.st.spec.license, "GPL");
  EXPECT_NE(f.st.text_sec, 0u);
  EXPECT_NE(f.st.maps_sec, 0u);
  EXPECT_EQ(f.st.legacy_maps_sec, 0u);
  std::vector<std::string> names;
  for (const CodeSection& c : f.st.code) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{".text", "xdp", "tc"}));
  ASSERT_NE(f.st.btf, nullptr);
  ASSERT_TRUE(f.st.btf_ext.has_value());
  EXPECT_TRUE(f.st.spec.programs.empty());  // programs come from collect_functions
}

TEST(Phases, CollectFunctionsSplitsProgramsAndSubprograms) {
  Fixture f("subprogs");
  ASSERT_TRUE(collect_sections(f.st).ok());
  ASSERT_TRUE(collect_functions(f.st).ok());
  ASSERT_EQ(f.st.spec.programs.size(), 3u);
  EXPECT_EQ(f.st.spec.programs[0].name, "prog_a");
  EXPECT_EQ(f.st.spec.programs[1].name, "prog_b");
  EXPECT_EQ(f.st.spec.programs[1].sec_insn_off,
            f.st.func_at(f.st.spec.programs[1].sec_index, f.st.spec.programs[1].sec_insn_off)->off);
  const CodeSection* text = f.st.code_section(f.st.text_sec);
  ASSERT_NE(text, nullptr);
  std::vector<std::string> subs;
  for (uint32_t i : text->funcs) subs.push_back(f.st.funcs[i].name);
  std::sort(subs.begin(), subs.end());
  EXPECT_EQ(subs, (std::vector<std::string>{"bump", "global_add", "square", "sum_squares"}));
  EXPECT_TRUE(f.st.spec.programs[0].insns.empty());  // filled by link_programs
}

TEST(Phases, MapPhasesEachAddTheirMaps) {
  Fixture f("global_data");
  ASSERT_TRUE(collect_sections(f.st).ok());
  ASSERT_TRUE(collect_legacy_maps(f.st).ok());
  ASSERT_TRUE(collect_btf_maps(f.st).ok());
  EXPECT_TRUE(f.st.spec.maps.empty());  // no .maps, no maps section
  ASSERT_TRUE(collect_data_maps(f.st).ok());
  EXPECT_EQ(f.st.spec.maps.size(), 4u);
  EXPECT_EQ(f.st.data_map_by_sec.size(), 4u);

  Fixture l("legacy_maps");
  ASSERT_TRUE(collect_sections(l.st).ok());
  ASSERT_TRUE(collect_legacy_maps(l.st).ok());
  EXPECT_EQ(l.st.spec.maps.size(), 2u);
}

TEST(Phases, RelocationsAreClassifiedThenApplied) {
  Fixture f("callbacks");
  for (auto phase : {collect_sections, collect_functions, collect_legacy_maps, collect_btf_maps,
                     collect_data_maps, collect_externs})
    ASSERT_TRUE(phase(f.st).ok());
  ASSERT_TRUE(collect_relocations(f.st).ok());
  const CodeSection* xdp = nullptr;
  for (const CodeSection& c : f.st.code)
    if (c.name == "xdp") xdp = &c;
  ASSERT_NE(xdp, nullptr);
  int maps = 0, addrs = 0;
  for (const Relo& r : xdp->relos) {
    maps += r.kind == ReloKind::kMap;
    addrs += r.kind == ReloKind::kSubprogAddr;
  }
  EXPECT_EQ(maps, 1);
  EXPECT_EQ(addrs, 2);
  // Still the compiler's instructions until the data relocations run.
  const Relo& first_map = *std::find_if(xdp->relos.begin(), xdp->relos.end(),
                                        [](const Relo& r) { return r.kind == ReloKind::kMap; });
  EXPECT_EQ(xdp->insns[first_map.insn].src, 0);
  ASSERT_TRUE(apply_data_relocations(f.st).ok());
  EXPECT_EQ(xdp->insns[first_map.insn].src, isa::kPseudoMapIdx);
  for (const Relo& r : xdp->relos) {
    if (r.kind == ReloKind::kSubprogAddr) {
      EXPECT_EQ(xdp->insns[r.insn].src, isa::kPseudoFunc);
    }
  }
  ASSERT_TRUE(link_programs(f.st).ok());
  EXPECT_EQ(f.st.spec.programs[0].subprogs.size(), 2u);
}

TEST(Phases, ExternsLayOutTheKconfigMap) {
  Fixture f("kconfig");
  f.opts.kconfig_path = "/dev/null";
  f.opts.kernel_version = 0x010203;
  ASSERT_TRUE(collect_sections(f.st).ok());
  ASSERT_TRUE(collect_externs(f.st).ok());
  ASSERT_TRUE(f.st.kconfig_map.has_value());
  const MapSpec& m = f.st.spec.maps[*f.st.kconfig_map];
  uint32_t end = 0, prev_align_off = 0;
  for (const ExternSpec& x : f.st.spec.externs) {
    EXPECT_GE(x.kcfg_offset, prev_align_off);  // laid out in order
    prev_align_off = x.kcfg_offset;
    end = std::max(end, x.kcfg_offset + x.kcfg_size);
  }
  EXPECT_EQ(m.value_size, end);
  EXPECT_EQ(f.st.extern_by_sym.size(), f.st.spec.externs.size());
}

TEST(Phases, BtfFixupFillsDatasecSizes) {
  Fixture f("global_data");
  ASSERT_TRUE(collect_sections(f.st).ok());
  auto ds = f.st.btf->find_datasec(".data");
  ASSERT_TRUE(ds.has_value());
  EXPECT_EQ(f.st.btf->type(*ds).size(), 0u);  // as clang wrote it
  ASSERT_TRUE(fixup_btf(f.st).ok());
  EXPECT_EQ(f.st.btf->type(*ds).size(), f.elf.find_section(".data")->size);
  EXPECT_EQ(f.st.spec.btf, f.st.btf);
}

}  // namespace
}  // namespace bombus::loader::detail
