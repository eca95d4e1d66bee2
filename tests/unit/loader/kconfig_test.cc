// .config parsing and the libbpf-style names of global data maps.
#include "loader/kconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include "loader/object.h"

namespace bombus::loader {
namespace {

TEST(Kconfig, ParsesValuesAndNotSet) {
  KconfigTable t;
  auto s = parse_kconfig_text(
      "#\n# Automatically generated\nCONFIG_HZ=250\nCONFIG_BPF=y\n# CONFIG_FOO is not set\n"
      "CONFIG_NAME=\"box\"\nCONFIG_M=m\n\nCONFIG_HEX=0x10\n",
      t);
  ASSERT_TRUE(s.ok()) << s.error().format();
  EXPECT_EQ(t["CONFIG_HZ"], "250");
  EXPECT_EQ(t["CONFIG_BPF"], "y");
  EXPECT_EQ(t["CONFIG_FOO"], "n");
  EXPECT_EQ(t["CONFIG_NAME"], "\"box\"");
  EXPECT_EQ(t["CONFIG_M"], "m");
  EXPECT_EQ(t["CONFIG_HEX"], "0x10");
}

TEST(Kconfig, BadLineNamesTheLine) {
  KconfigTable t;
  auto s = parse_kconfig_text("CONFIG_A=y\nGARBAGE\n", t);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().where.line, 2);
  EXPECT_NE(s.error().format().find("GARBAGE"), std::string::npos);
}

TEST(Kconfig, ReadsGzipAndPlainFiles) {
  char gz_path[] = "/tmp/bombus_kconfig_XXXXXX";
  int fd = mkstemp(gz_path);
  ASSERT_GE(fd, 0);
  close(fd);
  gzFile g = gzopen(gz_path, "wb");
  ASSERT_NE(g, nullptr);
  const char text[] = "CONFIG_X=1\n";
  gzwrite(g, text, sizeof text - 1);
  gzclose(g);
  auto t = read_kconfig_file(gz_path);
  ASSERT_TRUE(t.ok()) << t.error().format();
  EXPECT_EQ((*t)["CONFIG_X"], "1");
  {
    std::ofstream plain(gz_path, std::ios::trunc);
    plain << "CONFIG_Y=y\n";
  }
  t = read_kconfig_file(gz_path);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)["CONFIG_Y"], "y");
  std::remove(gz_path);
  auto missing = read_kconfig_file("/nonexistent/bombus.config");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/bombus.config"), std::string::npos);
}

TEST(InternalMapName, LibbpfRules) {
  EXPECT_EQ(internal_map_name("global_data", ".rodata"), "global_d.rodata");
  EXPECT_EQ(internal_map_name("global_data", ".data"), "global_d.data");
  EXPECT_EQ(internal_map_name("global_data", ".bss"), "global_d.bss");
  EXPECT_EQ(internal_map_name("fw", ".kconfig"), "fw.kconfig");
  EXPECT_EQ(internal_map_name("global_data", ".data.counters"), ".data.counters");
  EXPECT_EQ(internal_map_name("x", ".rodata.str1.1"), ".rodata.str1.1");
  EXPECT_EQ(internal_map_name("x", ".data.a_very_long_name"), ".data.a_very_lo");
  EXPECT_EQ(internal_map_name("my-obj", ".data"), "my_obj.data");
  for (const char* o : {"a", "abcdefghijklmnopqrstuvwxyz"})
    for (const char* s : {".data", ".rodata", ".bss", ".kconfig", ".data.x", ".rodata.cst16"})
      EXPECT_LE(internal_map_name(o, s).size(), 15u) << o << s;
}

}  // namespace
}  // namespace bombus::loader
