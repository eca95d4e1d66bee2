// `bombus gen object` (gen/link.h): links link_a.bpf.o (externs) with link_b.bpf.o (their
// definitions), loads and runs the result through the public API, and compares it with
// `bpftool gen object` on the same inputs where bpftool is installed.
#include "gen/link.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bombus/bombus.h"
#include "loader/object.h"

namespace bombus::gen {
namespace {

std::vector<uint8_t> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

const std::string kA = GEN_TEST_OBJ_DIR "/link_a.bpf.o";
const std::string kB = GEN_TEST_OBJ_DIR "/link_b.bpf.o";

std::vector<std::pair<std::string, std::vector<uint8_t>>> inputs() {
  return {{kA, slurp(kA)}, {kB, slurp(kB)}};
}

uint64_t u64_at(Map* m, uint32_t key, uint32_t off = 0) {
  auto v = m->lookup_u32(key);
  EXPECT_TRUE(v.ok());
  uint64_t x = 0;
  if (v.ok() && v->size() >= off + 8) std::memcpy(&x, v->data() + off, 8);
  return x;
}

TEST(GenLink, LinkedObjectLoadsAndRuns) {
  auto out = link_objects(inputs());
  ASSERT_TRUE(out.ok()) << out.error().format();
  auto obj = Object::open_memory(*out);
  ASSERT_TRUE(obj.ok()) << obj.error().format();
  auto st = (*obj)->load();
  ASSERT_TRUE(st.ok()) << st.error().format();
  Program* a = (*obj)->find_program("prog_a");
  Program* b = (*obj)->find_program("prog_b");
  ASSERT_TRUE(a && b);
  std::vector<uint8_t> pkt(20, 0);
  pkt[0] = 60;  // the programs' input value
  TestRun r;
  r.data_in = pkt;
  ASSERT_TRUE(a->test_run(r).ok());
  ASSERT_TRUE(b->test_run(r).ok());
  ASSERT_TRUE(b->test_run(r).ok());
  Map* counts = (*obj)->find_map("counts");
  Map* bss = (*obj)->find_map(".bss");
  ASSERT_TRUE(counts && bss);
  EXPECT_EQ(u64_at(counts, 0), 1u);  // prog_a through the extern map
  EXPECT_EQ(u64_at(counts, 1), 2u);  // prog_b through the definition: the same map
  // .bss holds A's `result` then B's `b_total` (8-byte aligned pieces).
  EXPECT_EQ(bss->value_size(), 16u);
  EXPECT_EQ(u64_at(bss, 0, 0), (60u + 10u) * 3u + 120u);  // add_bias, scale from B, twice
  EXPECT_EQ(u64_at(bss, 0, 8), 2u * 61u);                 // B's static subprogram after A's .text
}

TEST(GenLink, SameProgramsAsBpftool) {
  const char* bpftool = nullptr;
  for (const char* p : {"/usr/sbin/bpftool", "/usr/bin/bpftool", "/sbin/bpftool"})
    if (access(p, X_OK) == 0) bpftool = p;
  if (!bpftool) GTEST_SKIP() << "bpftool not installed";
  std::string ref = testing::TempDir() + "/gen_link_bpftool.o";
  std::string cmd = std::string(bpftool) + " gen object " + ref + " " + kA + " " + kB;
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "bpftool gen object failed: " << cmd;
  auto out = link_objects(inputs());
  ASSERT_TRUE(out.ok()) << out.error().format();
  loader::OpenOptions oo;
  oo.skip_core = true;
  auto mine = loader::open_object(*out, oo);
  ASSERT_TRUE(mine.ok()) << mine.error().format();
  auto theirs = loader::open_object_file(ref, oo);
  ASSERT_TRUE(theirs.ok()) << theirs.error().format();
  ASSERT_EQ(mine->programs.size(), theirs->programs.size());
  for (const auto& p : theirs->programs) {
    const loader::ProgramSpec* q = mine->find_program(p.name);
    ASSERT_NE(q, nullptr) << p.name;
    ASSERT_EQ(q->insns.size(), p.insns.size()) << p.name;
    EXPECT_EQ(std::memcmp(q->insns.data(), p.insns.data(), p.insns.size() * sizeof(isa::Insn)), 0)
        << p.name;
    ASSERT_EQ(q->map_refs.size(), p.map_refs.size());
    for (size_t i = 0; i < p.map_refs.size(); ++i) {
      EXPECT_EQ(mine->maps[q->map_refs[i].map_index].real_name,
                theirs->maps[p.map_refs[i].map_index].real_name);
      EXPECT_EQ(q->map_refs[i].offset, p.map_refs[i].offset);
    }
    EXPECT_EQ(q->func_info.size(), p.func_info.size()) << p.name;
    EXPECT_EQ(q->line_info.size(), p.line_info.size()) << p.name;
  }
  for (const auto& m : theirs->maps) {
    const loader::MapSpec* n = mine->find_map(m.real_name);
    ASSERT_NE(n, nullptr) << m.real_name;
    EXPECT_EQ(n->value_size, m.value_size) << m.real_name;
    EXPECT_EQ(n->initial_data, m.initial_data) << m.real_name;
  }
}

// Re-linking one corpus object alone must keep every program as it was (same instructions after
// the loader's relocation, same map references).
TEST(GenLink, SingleCorpusObjectsRoundTrip) {
  loader::OpenOptions oo;
  oo.skip_core = true;
  for (const char* n : {"xdp_fw", "subprogs", "global_data", "callbacks", "prog_array"}) {
    std::string path = std::string(BOMBUS_PROGS_DIR) + "/" + n + ".bpf.o";
    auto out = link_objects({{path, slurp(path)}});
    ASSERT_TRUE(out.ok()) << n << ": " << out.error().format();
    auto a = loader::open_object_file(path, oo);
    auto b = loader::open_object(*out, oo);
    ASSERT_TRUE(a.ok() && b.ok()) << n << ": " << (b.ok() ? "" : b.error().format());
    ASSERT_EQ(a->programs.size(), b->programs.size()) << n;
    for (const auto& p : a->programs) {
      const loader::ProgramSpec* q = b->find_program(p.name);
      ASSERT_NE(q, nullptr) << n << "/" << p.name;
      ASSERT_EQ(q->insns.size(), p.insns.size()) << n << "/" << p.name;
      EXPECT_EQ(std::memcmp(q->insns.data(), p.insns.data(), p.insns.size() * sizeof(isa::Insn)), 0)
          << n << "/" << p.name;
      EXPECT_EQ(q->func_info.size(), p.func_info.size()) << n << "/" << p.name;
    }
    ASSERT_EQ(a->maps.size(), b->maps.size()) << n;
  }
}

TEST(GenLink, DuplicateStrongDefinitionIsAnError) {
  auto out = link_objects({{kB, slurp(kB)}, {"again.o", slurp(kB)}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("again.o"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("more than one input"), std::string::npos);
}

TEST(GenLink, BadInputsNameTheFile) {
  std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'e', 'l', 'f'};
  auto out = link_objects({{kA, slurp(kA)}, {"junk.o", junk}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("junk.o"), std::string::npos);
  auto trunc = slurp(kA);
  trunc.resize(trunc.size() / 3);
  EXPECT_FALSE(link_objects({{"trunc.o", trunc}}).ok());
  EXPECT_FALSE(link_objects({}).ok());
}

}  // namespace
}  // namespace bombus::gen
