// gen/skeleton.h: the header text for a corpus object — names, embedded bytes, layout asserts —
// and errors for bad input.
#include "gen/skeleton.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace bombus::gen {
namespace {

std::vector<uint8_t> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

TEST(GenSkeleton, DefaultNameLikeBpftool) {
  EXPECT_EQ(default_object_name("/a/b/xdp_fw.bpf.o"), "xdp_fw_bpf");
  EXPECT_EQ(default_object_name("my-prog.o"), "my_prog");
  EXPECT_EQ(default_object_name("plain"), "plain");
}

TEST(GenSkeleton, HeaderForObjectWithGlobals) {
  auto bytes = slurp(GEN_TEST_OBJ_DIR "/link_b.bpf.o");
  ASSERT_FALSE(bytes.empty());
  auto h = skeleton(bytes, "lb");
  ASSERT_TRUE(h.ok()) << h.error().format();
  EXPECT_NE(h->find("struct lb {"), std::string::npos);
  EXPECT_NE(h->find("bombus::Program* prog_b"), std::string::npos);
  EXPECT_NE(h->find("bombus::Map* counts"), std::string::npos);
  EXPECT_NE(h->find("bombus::Map* bss"), std::string::npos);
  EXPECT_NE(h->find("struct lb__data {"), std::string::npos);
  EXPECT_NE(h->find("__u32 scale;"), std::string::npos);
  EXPECT_NE(h->find("static_assert(offsetof(lb__bss, b_total) == 0);"), std::string::npos);
  // The embedded bytes: the ELF magic first.
  EXPECT_NE(h->find("0x7f, 0x45, 0x4c, 0x46"), std::string::npos);
}

TEST(GenSkeleton, Errors) {
  std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_FALSE(skeleton(junk, "x").ok());
  auto bytes = slurp(GEN_TEST_OBJ_DIR "/link_b.bpf.o");
  EXPECT_FALSE(skeleton(bytes, "9bad").ok());
  EXPECT_FALSE(skeleton(bytes, "").ok());
}

}  // namespace
}  // namespace bombus::gen
