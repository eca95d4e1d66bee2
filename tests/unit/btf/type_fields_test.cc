// describe_type: the per-kind field description both raw dumps (text and -j JSON) render. A
// recording sink checks the events for each kind; dump_raw_type must equal that type's lines of
// the whole dump.
#include "btf/type_fields.h"

#include <gtest/gtest.h>

#include "btf/dump.h"
#include "test_util.h"

namespace bombus::btf {
namespace {

// Records every event as one token: "#id KIND name", "key=v", "key=-v", "[list", "{", "}", "]".
class Recorder final : public FieldSink {
 public:
  void header(uint32_t id, std::string_view kind, std::string_view name) override {
    add("#" + std::to_string(id) + " " + std::string(kind) + " " + std::string(name));
  }
  void number(std::string_view k, uint64_t v) override { add(key(k) + std::to_string(v)); }
  void signed_number(std::string_view k, int64_t v) override {
    add(key(k) + "s" + std::to_string(v));
  }
  void text(std::string_view k, std::string_view v) override { add(key(k) + std::string(v)); }
  void enum_value(std::string_view k, EnumField v) override {
    add(key(k) + std::to_string(v.raw) + (v.is64 ? "/64" : "/32") + (v.is_signed ? "s" : "u"));
  }
  void list_begin(std::string_view k) override { add("[" + std::string(k)); }
  void item_begin() override { add("{"); }
  void item_end() override { add("}"); }
  void list_end() override { add("]"); }

  std::string out;

 private:
  static std::string key(std::string_view k) { return std::string(k) + "="; }
  void add(const std::string& s) { out += (out.empty() ? "" : " ") + s; }
};

Btf sample() {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4, kIntSigned);
  b.add_struct("s", 8, {{"a", i, 0, 0}, {"", i, 32, 3}});
  b.add_enum("e", 4, {{"A", -1}, {"B", 7}}, false);
  b.add_enum64("e64", 8, {{"C", -2}}, true);
  uint32_t v = b.add_var("g", i);
  b.add_datasec(".data", 4, {{v, 0, 4}});
  b.add_decl_tag("tag", v);
  auto r = Btf::parse(b.build());
  EXPECT_TRUE(r.ok()) << r.error().format();
  return r.ok() ? std::move(*r) : Btf();
}

std::string record(const Btf& b, uint32_t id) {
  Recorder r;
  describe_type(b, id, r);
  return r.out;
}

TEST(TypeFields, EventsPerKind) {
  Btf b = sample();
  ASSERT_EQ(b.type_count(), 8u);
  EXPECT_EQ(record(b, 1), "#1 INT int size=4 bits_offset=0 nr_bits=32 encoding=SIGNED");
  EXPECT_EQ(record(b, 2),
            "#2 STRUCT s size=8 vlen=2 [members { name=a type_id=1 bits_offset=0 } "
            "{ name=(anon) type_id=1 bits_offset=32 bitfield_size=3 } ]");
  EXPECT_EQ(record(b, 3),
            "#3 ENUM e encoding=UNSIGNED size=4 vlen=2 [values { name=A val=4294967295/32u } "
            "{ name=B val=7/32u } ]");
  EXPECT_EQ(record(b, 4),
            "#4 ENUM64 e64 encoding=SIGNED size=8 vlen=1 [values { name=C val=-2/64s } ]");
  EXPECT_EQ(record(b, 5), "#5 VAR g type_id=1 linkage=global");
  EXPECT_EQ(record(b, 6), "#6 DATASEC .data size=4 vlen=1 [vars { type_id=5 offset=0 size=4 } ]");
  EXPECT_EQ(record(b, 7), "#7 DECL_TAG tag type_id=5 component_idx=s-1");
}

TEST(TypeFields, OneTypeTextIsItsSliceOfTheWholeDump) {
  Btf b = sample();
  std::string each;
  for (uint32_t id = b.start_id(); id < b.type_count(); ++id) dump_raw_type(b, id, each);
  EXPECT_EQ(each, dump_raw(b));
  std::string one;
  dump_raw_type(b, 3, one);
  EXPECT_EQ(one,
            "[3] ENUM 'e' encoding=UNSIGNED size=4 vlen=2\n\t'A' val=4294967295\n\t'B' val=7\n");
}

}  // namespace
}  // namespace bombus::btf
