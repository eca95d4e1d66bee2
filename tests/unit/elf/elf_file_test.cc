// ElfFile: reading the corpus objects (sections, symbols, relocations, license, version) and
// rejecting malformed files with a message that names the problem.
#include "elf/elf_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "bombus_progs.h"

namespace bombus::elf {
namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ElfFile, ReadsSectionsSymbolsAndLicense) {
  auto f = ElfFile::open_file(progs::path("xdp_fw"));
  ASSERT_TRUE(f.ok()) << f.error().format();
  EXPECT_EQ(f->license(), "GPL");
  EXPECT_FALSE(f->kern_version().has_value());
  const Section* xdp = f->find_section("xdp");
  ASSERT_NE(xdp, nullptr);
  EXPECT_TRUE(xdp->is_exec());
  EXPECT_EQ(xdp->data.size() % 8, 0u);
  EXPECT_EQ(f->sections()[xdp->index].name, "xdp");
  const Section* maps = f->find_section(".maps");
  ASSERT_NE(maps, nullptr);
  EXPECT_FALSE(maps->is_exec());
  // The program symbol and the two map symbols.
  int found = 0;
  for (const Symbol& y : f->symbols()) {
    if (y.name == "xdp_fw") {
      EXPECT_EQ(y.type, kSttFunc);
      EXPECT_EQ(y.shndx, xdp->index);
      EXPECT_EQ(y.size, xdp->size);
      ++found;
    }
    if (y.name == "blocklist" || y.name == "verdicts") {
      EXPECT_EQ(y.shndx, maps->index);
      ++found;
    }
  }
  EXPECT_EQ(found, 3);
  auto rels = f->relocation_sections_for(xdp->index);
  ASSERT_EQ(rels.size(), 1u);
  auto relos = f->relocations(*rels[0]);
  ASSERT_TRUE(relos.ok());
  ASSERT_FALSE(relos->empty());
  for (const Reloc& r : *relos) {
    EXPECT_EQ(r.type, kRBpf64_64);
    EXPECT_LT(r.offset, xdp->size);
    const std::string_view n = f->symbols()[r.sym].name;
    EXPECT_TRUE(n == "blocklist" || n == "verdicts") << n;
  }
}

TEST(ElfFile, VersionSection) {
  auto f = ElfFile::open_file(progs::path("socket_filter"));
  ASSERT_TRUE(f.ok()) << f.error().format();
  ASSERT_TRUE(f->kern_version().has_value());
  EXPECT_EQ(*f->kern_version(), 0x060100u);
}

TEST(ElfFile, MemoryAndFileAgree) {
  auto bytes = read_all(progs::path("subprogs"));
  auto a = ElfFile::open(bytes, "mem");
  auto b = ElfFile::open_file(progs::path("subprogs"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->sections().size(), b->sections().size());
  for (size_t i = 0; i < a->sections().size(); ++i) {
    EXPECT_EQ(a->sections()[i].name, b->sections()[i].name);
    EXPECT_TRUE(std::equal(a->sections()[i].data.begin(), a->sections()[i].data.end(),
                           b->sections()[i].data.begin(), b->sections()[i].data.end()));
  }
  EXPECT_EQ(a->symbols().size(), b->symbols().size());
  // The bytes were copied: the caller's buffer may go away.
  bytes.assign(bytes.size(), 0);
  EXPECT_EQ(a->license(), "GPL");
}

TEST(ElfFile, RejectsNonElf) {
  std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'e', 'l', 'f', 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto f = ElfFile::open(junk, "junk.o");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().format().find("junk.o"), std::string::npos);
  EXPECT_NE(f.error().message.find("bad magic"), std::string::npos);
  EXPECT_FALSE(ElfFile::open({}, "empty").ok());
}

TEST(ElfFile, RejectsWrongMachineAndByteOrder) {
  auto bytes = read_all(progs::path("xdp_fw"));
  auto machine = bytes;
  machine[18] = 62;  // e_machine = EM_X86_64
  machine[19] = 0;
  auto f = ElfFile::open(machine, "x");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("not a BPF object"), std::string::npos) << f.error().message;
  auto be = bytes;
  be[5] = 2;  // ELFDATA2MSB
  f = ElfFile::open(be, "x");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("big-endian"), std::string::npos);
}

TEST(ElfFile, RejectsSectionOutsideFile) {
  auto bytes = read_all(progs::path("xdp_fw"));
  auto f = ElfFile::open(bytes, "x");
  ASSERT_TRUE(f.ok());
  const Section* xdp = f->find_section("xdp");
  // Patch the section header's sh_size to run past the end of the file.
  uint64_t shoff;
  std::memcpy(&shoff, bytes.data() + 0x28, 8);
  uint8_t* sh = bytes.data() + shoff + xdp->index * 64;
  uint64_t huge = bytes.size() * 4;
  std::memcpy(sh + 32, &huge, 8);
  auto g = ElfFile::open(bytes, "x");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().format().find("section 'xdp'"), std::string::npos) << g.error().format();
}

TEST(ElfFile, TruncatedFilesNeverCrash) {
  auto bytes = read_all(progs::path("global_data"));
  for (size_t n = 0; n < bytes.size(); n += 7) {
    auto f = ElfFile::open(std::span<const uint8_t>(bytes.data(), n), "t");
    if (f.ok()) {
      for (const Section& s : f->sections())
        if (s.type == kShtRel) (void)f->relocations(s);
    }
  }
}

TEST(ElfFile, ObjectNameFromPath) {
  EXPECT_EQ(object_name_from_path("/a/b/xdp_fw.bpf.o"), "xdp_fw");
  EXPECT_EQ(object_name_from_path("fw.o"), "fw");
  EXPECT_EQ(object_name_from_path("noext"), "noext");
  EXPECT_EQ(object_name_from_path("dir.d/x"), "x");
}

}  // namespace
}  // namespace bombus::elf
