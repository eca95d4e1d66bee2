// Arena maps: type 33 with map_extra (the user-space start address) carried from __uint (libbpf
// 1.1) and from libbpf 1.3's enum-encoded __ulong, read as libbpf reads it (ENUM values are s32,
// sign-extended).
#include <gtest/gtest.h>

#include "bombus_progs.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

TEST(Arena, MapExtraFromUint) {
  auto r = open_object_file(progs::path("arena"));
  ASSERT_TRUE(r.ok()) << r.error().format();
  const MapSpec* m = r->find_map("arena");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, MapType::kArena);
  EXPECT_EQ(map_type_name(m->type), "arena");
  EXPECT_EQ(m->max_entries, 4u);
  EXPECT_EQ(m->map_flags, kMapFlagMmapable);
  EXPECT_EQ(m->map_extra, 0x40000000u);
  EXPECT_EQ(m->key_size, 0u);
  EXPECT_EQ(m->value_size, 0u);
}

TEST(Arena, MapExtraFromUlongEnum) {
  auto r = open_object_file(progs::path("arena_ulong"));
  ASSERT_TRUE(r.ok()) << r.error().format();
  const MapSpec* big = r->find_map("big_arena");
  const MapSpec* high = r->find_map("high_arena");
  ASSERT_NE(big, nullptr);
  ASSERT_NE(high, nullptr);
  EXPECT_EQ(big->type, MapType::kArena);
  EXPECT_EQ(big->max_entries, 100u);
  EXPECT_EQ(big->map_extra, 0x7ff00000u);
  // 0x80000000 in a 32-bit ENUM: libbpf reads the s32 value and sign-extends it.
  EXPECT_EQ(high->map_extra, 0xffffffff80000000ull);
}

}  // namespace
}  // namespace bombus::loader
