// Parser tests: hand-built BTF (every kind), malformed inputs (truncation, bad offsets, bad ids,
// loops), split BTF, encode() round trip, and vmlinux when the machine has it.
#include <gtest/gtest.h>

#include <filesystem>

#include "btf/btf.h"

namespace bombus::btf {
namespace {

std::vector<uint8_t> sample(uint32_t* s_id = nullptr) {
  BtfBuilder b;
  uint32_t i32 = b.add_int("int", 4, kIntSigned);  // 1
  uint32_t u8 = b.add_int("unsigned char", 1);     // 2
  uint32_t p = b.add_ptr(i32);                     // 3
  uint32_t arr = b.add_array(u8, i32, 16);         // 4
  uint32_t s = b.add_struct("pair", 24, {{"a", i32, 0, 0}, {"b", p, 64, 0}, {"c", arr, 128, 0}});
  uint32_t td = b.add_typedef("pair_t", s);  // 6
  uint32_t c = b.add_const(td);              // 7
  uint32_t e = b.add_enum("color", 4, {{"RED", 0}, {"GREEN", 1}, {"BLUE", -1}}, true);
  uint32_t e64 = b.add_enum64("big", 8, {{"HUGE", int64_t(1) << 40}});
  uint32_t fwd = b.add_fwd("opaque");
  uint32_t proto = b.add_func_proto(i32, {{"x", c}, {"y", p}});
  uint32_t fn = b.add_func("f", proto);
  uint32_t var = b.add_var("g", i32);
  b.add_datasec(".data", 4, {{var, 0, 4}});
  b.add_float("double", 8);
  b.add_decl_tag("tag1", s, 1);
  b.add_decl_tag("tag2", fn, -1);
  b.add_type_tag("user", i32);
  uint32_t bf = b.add_struct("bits", 4, {{"x", i32, 0, 3}, {"y", i32, 3, 5}});
  (void)e;
  (void)e64;
  (void)fwd;
  if (s_id) *s_id = bf;
  return b.build();
}

TEST(BtfParse, EveryKind) {
  auto data = sample();
  auto r = Btf::parse(data);
  ASSERT_TRUE(r.ok()) << r.error().format();
  const Btf& btf = *r;
  EXPECT_EQ(btf.type_count(), 20u);
  EXPECT_EQ(btf.kind(1), Kind::kInt);
  EXPECT_EQ(btf.name(1), "int");
  EXPECT_EQ(btf.type(1).int_encoding(), kIntSigned);
  EXPECT_EQ(btf.type(1).int_bits(), 32);
  auto s = btf.find("pair", Kind::kStruct);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, 5u);
  Type st = btf.type(*s);
  ASSERT_EQ(st.vlen(), 3);
  EXPECT_EQ(st.member(1).name, "b");
  EXPECT_EQ(st.member(2).bit_offset, 128u);
  EXPECT_EQ(btf.resolve_size(7).value(), 24u);
  EXPECT_EQ(btf.resolve_size(4).value(), 16u);
  EXPECT_EQ(btf.skip_modifiers(7), 5u);
  EXPECT_EQ(btf.skip_modifiers(7, false), 6u);
  Type en = btf.type(8);
  EXPECT_EQ(en.enum_value(2).name, "BLUE");
  EXPECT_EQ(en.enum_value(2).value, -1);
  EXPECT_EQ(btf.type(9).enum_value(0).value, int64_t(1) << 40);
  EXPECT_FALSE(btf.resolve_size(10).ok());  // FWD has no size
  EXPECT_EQ(btf.type(11).param(0).name, "x");
  auto ds = btf.find_datasec(".data");
  ASSERT_TRUE(ds);
  auto entry = btf.datasec_entry(*ds, 13);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->size, 4u);
  EXPECT_EQ(btf.decl_tags(5, 1).size(), 1u);
  EXPECT_EQ(btf.decl_tags(5, -1).size(), 0u);
  EXPECT_EQ(btf.decl_tags(12).size(), 1u);
  Type bits = btf.type(19);
  EXPECT_TRUE(bits.kflag());
  EXPECT_EQ(bits.member(1).bit_offset, 3u);
  EXPECT_EQ(bits.member(1).bitfield_size, 5u);
  EXPECT_EQ(btf.find_all("int").size(), 1u);
  EXPECT_FALSE(btf.find("nope"));
}

TEST(BtfParse, EncodeRoundTrip) {
  auto data = sample();
  auto r = Btf::parse(data);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->encode(), data);
}

Error parse_err(const std::vector<uint8_t>& d) {
  auto r = Btf::parse(d);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{} : r.error();
}

TEST(BtfParse, TruncatedHeader) {
  auto d = sample();
  d.resize(10);
  EXPECT_NE(parse_err(d).message.find("truncated header"), std::string::npos);
}

TEST(BtfParse, BadMagic) {
  auto d = sample();
  d[0] = 0;
  EXPECT_NE(parse_err(d).message.find("magic"), std::string::npos);
}

TEST(BtfParse, SectionBeyondData) {
  auto d = sample();
  d.resize(d.size() - 4);
  EXPECT_NE(parse_err(d).message.find("string section"), std::string::npos);
}

TEST(BtfParse, EveryTruncationFailsCleanly) {
  auto d = sample();
  for (size_t n = 0; n < d.size(); ++n) {
    std::vector<uint8_t> cut(d.begin(), d.begin() + n);
    EXPECT_FALSE(Btf::parse(cut).ok()) << n;
  }
}

TEST(BtfParse, BadStringOffset) {
  BtfBuilder b;
  uint32_t w[] = {9999, uint32_t(Kind::kInt) << 24, 4, 32};
  b.add_raw(w);
  Error e = parse_err(b.build());
  EXPECT_NE(e.message.find("type [1]"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("name offset 9999"), std::string::npos) << e.message;
}

TEST(BtfParse, BadTypeId) {
  BtfBuilder b;
  b.add_int("int", 4);
  b.add_ptr(77);
  Error e = parse_err(b.build());
  EXPECT_NE(e.message.find("type [2]"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("77 out of range"), std::string::npos) << e.message;
}

TEST(BtfParse, BadKind) {
  BtfBuilder b;
  uint32_t w[] = {0, 25u << 24, 0};
  b.add_raw(w);
  EXPECT_NE(parse_err(b.build()).message.find("invalid kind 25"), std::string::npos);
}

TEST(BtfParse, ModifierLoop) {
  BtfBuilder b;
  b.add_const(2);
  b.add_volatile(1);
  EXPECT_NE(parse_err(b.build()).message.find("loop"), std::string::npos);
}

TEST(BtfParse, PointerToSelfIsALoop) {
  BtfBuilder b;
  b.add_ptr(1);
  EXPECT_NE(parse_err(b.build()).message.find("loop"), std::string::npos);
}

TEST(BtfParse, FuncProtoLoopWithoutStruct) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4);
  b.add_func_proto(i, {{"self", 3}});  // 2: int (*)(<ptr to 2>)
  b.add_ptr(2);                        // 3
  EXPECT_NE(parse_err(b.build()).message.find("no struct or union"), std::string::npos);
  BtfBuilder ok;
  uint32_t oi = ok.add_int("int", 4);
  ok.add_struct("s", 8, {{"f", 3, 0, 0}});  // 2: struct s { int (*f)(struct s *); }
  ok.add_ptr(4);                            // 3
  ok.add_func_proto(oi, {{"", 5}});         // 4
  ok.add_ptr(2);                            // 5
  auto r = Btf::parse(ok.build());
  EXPECT_TRUE(r.ok()) << r.error().format();
}

TEST(BtfParse, StructContainingItself) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4);
  b.add_struct("s", 8, {{"a", i, 0, 0}, {"self", 4, 32, 0}});
  b.add_array(2, i, 1);
  b.add_typedef("t", 3);
  Error e = parse_err(b.build());
  EXPECT_NE(e.message.find("contains itself"), std::string::npos) << e.message;
}

TEST(BtfParse, SelfReferenceThroughPointerIsFine) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4);
  b.add_struct("node", 16, {{"v", i, 0, 0}, {"next", 3, 64, 0}});
  b.add_ptr(2);
  auto r = Btf::parse(b.build());
  EXPECT_TRUE(r.ok()) << r.error().format();
}

TEST(BtfParse, MemberBeyondStruct) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4);
  b.add_struct("s", 4, {{"a", i, 64, 0}});
  EXPECT_NE(parse_err(b.build()).message.find("member #0"), std::string::npos);
}

TEST(BtfParse, FuncMustPointToProto) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4);
  b.add_func("f", i);
  EXPECT_NE(parse_err(b.build()).message.find("not a FUNC_PROTO"), std::string::npos);
}

TEST(BtfParse, NameViewsSurviveMove) {
  BtfBuilder b;
  b.add_int("i", 4);  // a string section shorter than any small-string buffer
  auto data = b.build();
  auto r = Btf::parse(data);
  ASSERT_TRUE(r.ok());
  std::string_view n = r->name(1);
  Btf moved = std::move(*r);
  EXPECT_EQ(n.data(), moved.name(1).data());
  EXPECT_EQ(n, "i");
}

TEST(BtfParse, SplitBtf) {
  auto base_data = sample();
  auto base = Btf::parse(base_data);
  ASSERT_TRUE(base.ok());
  BtfBuilder b(base->type_count(), base->strings_size());
  uint32_t p = b.add_ptr(5);  // pointer to base's struct pair
  uint32_t s = b.add_struct("mod_s", 8, {{"pp", p, 0, 0}});
  EXPECT_EQ(p, 20u);
  auto split = Btf::parse(b.build(), &*base);
  ASSERT_TRUE(split.ok()) << split.error().format();
  EXPECT_EQ(split->type_count(), 22u);
  EXPECT_EQ(split->name(5), "pair");
  EXPECT_EQ(split->name(s), "mod_s");
  EXPECT_EQ(split->type(s).member(0).name, "pp");
  EXPECT_EQ(*split->find("mod_s"), s);
  EXPECT_EQ(*split->find("pair"), 5u);
  EXPECT_EQ(split->resolve_size(s).value(), 8u);
}

TEST(BtfParse, Vmlinux) {
  const char* path = "/sys/kernel/btf/vmlinux";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto r = Btf::load_file(path);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_GT(r->type_count(), 1000u);
  auto tp = r->find("task_struct", Kind::kStruct);
  ASSERT_TRUE(tp);
  EXPECT_GT(r->resolve_size(*tp).value(), 1000u);
}

}  // namespace
}  // namespace bombus::btf
