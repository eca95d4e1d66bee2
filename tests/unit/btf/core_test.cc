// CO-RE tests: a clang-compiled program relocated against a target BTF that the test builds with
// deliberately different layouts (moved, renamed, missing fields, flavours, bitfields, enums),
// plus hand-built cases for ambiguity, memory-size adjustment, enum64, type matching and errors.
#include "btf/core.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "btf/btf_ext.h"
#include "test_util.h"

namespace bombus::btf {
namespace {

// Target layout for "struct thing" and friends, different from progs/core_prog.bpf.c.
std::vector<uint8_t> target_blob() {
  BtfBuilder b;
  uint32_t i32 = b.add_int("int", 4, kIntSigned);
  uint32_t u32 = b.add_int("unsigned int", 4);
  uint32_t i64 = b.add_int("long", 8, kIntSigned);
  uint32_t inner = b.add_struct("", 8, {{"inner", i64, 0, 0}}, /*is_union=*/true);
  uint32_t arr = b.add_array(i32, i32, 8);
  b.add_struct("thing", 48,
               {{"pad", i64, 0, 0},
                {"b", i32, 64, 0},
                {"a", i32, 96, 0},
                {"flag", u32, 128, 3},
                {"sflag", i32, 140, 5},
                {"", inner, 192, 0},
                {"arr", arr, 256, 0},
                {"renamed_b", i64, 320, 0}});
  b.add_enum("color", 4, {{"RED", 0}, {"BLUE", 5}});
  return b.build();
}

struct Compiled {
  std::string path;
  Btf btf;
  std::vector<uint8_t> ext_data;
  std::vector<isa::Insn> insns;
};

class CoreProg : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_clang()) GTEST_SKIP() << "clang not installed";
    path_ = testing::compile_bpf("core_prog");
    ASSERT_FALSE(path_.empty()) << "clang failed";
    auto btf_data = read_elf_section(path_, ".BTF");
    ASSERT_TRUE(btf_data.ok()) << btf_data.error().format();
    auto btf = Btf::parse(*btf_data);
    ASSERT_TRUE(btf.ok()) << btf.error().format();
    local_ = std::move(*btf);
    auto ext_data = read_elf_section(path_, ".BTF.ext");
    ASSERT_TRUE(ext_data.ok());
    ext_bytes_ = std::move(*ext_data);
    auto ext = BtfExt::parse(ext_bytes_, local_);
    ASSERT_TRUE(ext.ok()) << ext.error().format();
    ext_ = std::move(*ext);
    auto code = read_elf_section(path_, "tp/test");
    ASSERT_TRUE(code.ok());
    insns_.resize(code->size() / 8);
    std::memcpy(insns_.data(), code->data(), insns_.size() * 8);
    target_data_ = target_blob();
    auto t = Btf::parse(target_data_);
    ASSERT_TRUE(t.ok()) << t.error().format();
    target_ = std::move(*t);
  }

  std::string path_;
  Btf local_, target_;
  std::vector<uint8_t> ext_bytes_, target_data_;
  BtfExt ext_;
  std::vector<isa::Insn> insns_;
};

TEST_F(CoreProg, ExtSectionsParsed) {
  const ExtSection* s = ext_.section("tp/test");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->funcs.size(), 1u);
  EXPECT_EQ(local_.name(s->funcs[0].type_id), "prog");
  ASSERT_FALSE(s->lines.empty());
  EXPECT_NE(s->lines[0].file.find("core_prog.bpf.c"), std::string_view::npos);
  EXPECT_GT(s->lines[0].line, 0u);
  const LineInfo* li = ext_.line_at("tp/test", 8);
  ASSERT_NE(li, nullptr);
  EXPECT_NE(li->text.find("out["), std::string_view::npos) << li->text;
  EXPECT_GE(s->relos.size(), 15u);
}

TEST_F(CoreProg, ValuesAgainstDifferentTarget) {
  const ExtSection* s = ext_.section("tp/test");
  ASSERT_NE(s, nullptr);
  // (root type name, kind, access) -> new value; poisoned entries map to -1.
  std::map<std::tuple<std::string, ReloKind, std::string>, int64_t> got;
  for (size_t i = 0; i < s->relos.size(); ++i) {
    const CoreRelo& r = s->relos[i];
    auto res = core_calculate(local_, r, target_, static_cast<int>(i));
    ASSERT_TRUE(res.ok()) << res.error().format();
    got[{std::string(local_.name(r.type_id)), r.kind, std::string(r.access)}] =
        res->poison ? -1 : static_cast<int64_t>(res->new_val);
  }
  auto at = [&](const char* n, ReloKind k, const char* a) -> int64_t {
    auto it = got.find({n, k, a});
    EXPECT_NE(it, got.end()) << n << " " << relo_kind_name(k) << " " << a;
    return it == got.end() ? -2 : it->second;
  };
  EXPECT_EQ(at("thing", ReloKind::kFieldByteOffset, "0:0"), 12);  // a moved
  EXPECT_EQ(at("thing", ReloKind::kFieldByteOffset, "0:1"), 8);   // b moved
  EXPECT_EQ(at("thing", ReloKind::kFieldExists, "0:2"), 0);       // gone
  EXPECT_EQ(at("thing", ReloKind::kFieldByteOffset, "0:2"), -1);  // poisoned access
  EXPECT_EQ(at("thing", ReloKind::kFieldByteOffset, "0:3"), 16);
  EXPECT_EQ(at("thing", ReloKind::kFieldByteSize, "0:3"), 4);
  EXPECT_EQ(at("thing", ReloKind::kFieldLShiftU64, "0:3"), 61);
  EXPECT_EQ(at("thing", ReloKind::kFieldRShiftU64, "0:3"), 61);
  EXPECT_EQ(at("thing", ReloKind::kFieldSigned, "0:3"), 0);
  EXPECT_EQ(at("thing", ReloKind::kFieldLShiftU64, "0:4"), 64 - (140 + 5 - 128));
  EXPECT_EQ(at("thing", ReloKind::kFieldRShiftU64, "0:4"), 59);
  EXPECT_EQ(at("thing", ReloKind::kFieldSigned, "0:4"), 1);
  EXPECT_EQ(at("thing", ReloKind::kFieldByteOffset, "0:5:0"), 24);  // through anon member
  EXPECT_EQ(at("thing", ReloKind::kFieldByteOffset, "0:6:2"), 40);  // array element
  EXPECT_EQ(at("thing___v2", ReloKind::kFieldExists, "0:0"), 1);    // flavour
  EXPECT_EQ(at("color", ReloKind::kEnumvalExists, "3"), 0);
  EXPECT_EQ(at("color", ReloKind::kEnumvalValue, "2"), 5);
  EXPECT_EQ(at("only_local", ReloKind::kTypeExists, "0"), 0);
  EXPECT_EQ(at("thing", ReloKind::kTypeSize, "0"), 48);
  EXPECT_EQ(at("thing", ReloKind::kFieldByteSize, "0:1"), 4);
}

TEST_F(CoreProg, ApplyPatchesAndPoisons) {
  const ExtSection* s = ext_.section("tp/test");
  ASSERT_NE(s, nullptr);
  int poisoned = 0;
  for (size_t i = 0; i < s->relos.size(); ++i) {
    const CoreRelo& r = s->relos[i];
    auto res = core_relocate(insns_, local_, r, target_, static_cast<int>(i));
    ASSERT_TRUE(res.ok()) << res.error().format();
    const isa::Insn& in = insns_[r.insn_off / 8];
    if (res->poison) {
      ++poisoned;
      EXPECT_EQ(in.opcode, 0x85);
      EXPECT_EQ(in.imm, kCorePoisonHelper);
      EXPECT_FALSE(res->reason.empty());
    } else if (r.kind == ReloKind::kFieldByteOffset && r.access == "0:0") {
      EXPECT_EQ(in.off, 12);  // ldx of t->a now reads offset 12
    }
  }
  EXPECT_EQ(poisoned, 1);
}

// ---- hand-built cases ----

struct Pair {
  std::vector<uint8_t> ld, td;
  Btf local, target;
};

CoreRelo relo(uint32_t type, const char* access, ReloKind k) {
  return CoreRelo{0, type, access, k};
}

TEST(Core, EssentialName) {
  EXPECT_EQ(essential_name_len("task_struct___v2"), 11u);
  EXPECT_EQ(essential_name_len("task_struct"), 11u);
  EXPECT_EQ(essential_name_len("a___b___c"), 5u);  // the last separator counts
  EXPECT_EQ(essential_name_len("__x___"), 6u);
}

TEST(Core, AmbiguousCandidatesAreAnError) {
  BtfBuilder lb;
  uint32_t li = lb.add_int("int", 4, kIntSigned);
  uint32_t ls = lb.add_struct("s", 8, {{"x", li, 0, 0}, {"y", li, 32, 0}});
  BtfBuilder tb;
  uint32_t ti = tb.add_int("int", 4, kIntSigned);
  tb.add_struct("s", 8, {{"x", ti, 0, 0}, {"y", ti, 32, 0}});
  tb.add_struct("s___other", 8, {{"y", ti, 0, 0}, {"x", ti, 32, 0}});
  auto ld = lb.build(), td = tb.build();
  auto l = Btf::parse(ld), t = Btf::parse(td);
  ASSERT_TRUE(l.ok() && t.ok());
  auto r = core_calculate(*l, relo(ls, "0:1", ReloKind::kFieldByteOffset), *t, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().format(), "relo #3: insn 0: " + r.error().message);
  EXPECT_NE(r.error().message.find("ambiguity"), std::string::npos) << r.error().message;
  // Candidates that agree are fine (both 8 bytes).
  auto e = core_calculate(*l, relo(ls, "0", ReloKind::kTypeSize), *t, 0);
  ASSERT_TRUE(e.ok()) << e.error().format();
  EXPECT_EQ(e->new_val, 8u);
}

TEST(Core, MemSizeAdjustment) {
  BtfBuilder lb;
  uint32_t lu = lb.add_int("unsigned int", 4);
  uint32_t li = lb.add_int("int", 4, kIntSigned);
  uint32_t ls = lb.add_struct("s", 8, {{"u", lu, 0, 0}, {"i", li, 32, 0}});
  BtfBuilder tb;
  uint32_t tu = tb.add_int("long unsigned int", 8);
  uint32_t ti = tb.add_int("long", 8, kIntSigned);
  tb.add_struct("s", 16, {{"u", tu, 0, 0}, {"i", ti, 64, 0}});
  auto ld = lb.build(), td = tb.build();
  auto l = Btf::parse(ld), t = Btf::parse(td);
  ASSERT_TRUE(l.ok() && t.ok());
  // ldxw r2, [r1+0] of an unsigned field grows to ldxdw.
  std::vector<isa::Insn> p1 = {isa::Insn{0x61, 2, 1, 0, 0}};
  auto r1 = core_relocate(p1, *l, relo(ls, "0:0", ReloKind::kFieldByteOffset), *t, 0);
  ASSERT_TRUE(r1.ok()) << r1.error().format();
  EXPECT_EQ(p1[0].opcode, 0x79);
  // ldxw r2, [r1+4] of a signed field cannot be resized: poisoned.
  std::vector<isa::Insn> p2 = {isa::Insn{0x61, 2, 1, 4, 0}};
  auto r2 = core_relocate(p2, *l, relo(ls, "0:1", ReloKind::kFieldByteOffset), *t, 0);
  ASSERT_TRUE(r2.ok()) << r2.error().format();
  EXPECT_TRUE(r2->fail_memsz_adjust);
  EXPECT_EQ(p2[0].opcode, 0x85);
  EXPECT_EQ(p2[0].imm, kCorePoisonHelper);
  // An instruction that does not hold the expected original value is an error.
  std::vector<isa::Insn> p3 = {isa::Insn{0x61, 2, 1, 9, 0}};
  auto r3 = core_relocate(p3, *l, relo(ls, "0:1", ReloKind::kFieldByteOffset), *t, 5);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().format().find("relo #5: insn 0: unexpected insn (LDX/ST/STX) value"),
            std::string::npos)
      << r3.error().format();
}

TEST(Core, Enum64AndLddw) {
  BtfBuilder lb;
  uint32_t le = lb.add_enum64("big", 8, {{"A", 1}, {"B", 2}});
  BtfBuilder tb;
  tb.add_enum64("big", 8, {{"B", int64_t(1) << 40}, {"A", 1}});
  auto ld = lb.build(), td = tb.build();
  auto l = Btf::parse(ld), t = Btf::parse(td);
  ASSERT_TRUE(l.ok() && t.ok());
  std::vector<isa::Insn> p = {isa::Insn{0x18, 1, 0, 0, 2}, isa::Insn{}};
  auto r = core_relocate(p, *l, relo(le, "1", ReloKind::kEnumvalValue), *t, 0);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(isa::lddw_imm64(p[0], p[1]), uint64_t(1) << 40);
}

TEST(Core, EnumMatchesEnum64Candidate) {
  BtfBuilder lb;
  uint32_t le = lb.add_enum("mixed", 4, {{"A", 1}, {"B", 2}});
  BtfBuilder tb;
  tb.add_enum64("mixed", 8, {{"B", int64_t(1) << 36}});
  auto ld = lb.build(), td = tb.build();
  auto l = Btf::parse(ld), t = Btf::parse(td);
  ASSERT_TRUE(l.ok() && t.ok());
  auto r = core_calculate(*l, relo(le, "1", ReloKind::kEnumvalValue), *t, 0);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_FALSE(r->poison);
  EXPECT_EQ(r->new_val, uint64_t(1) << 36);
}

TEST(Core, MissingEnumValuePoisonsLddwPair) {
  BtfBuilder lb;
  uint32_t le = lb.add_enum("e", 4, {{"A", 1}});
  BtfBuilder tb;
  tb.add_enum("e", 4, {{"Z", 1}});
  auto ld = lb.build(), td = tb.build();
  auto l = Btf::parse(ld), t = Btf::parse(td);
  ASSERT_TRUE(l.ok() && t.ok());
  std::vector<isa::Insn> p = {isa::Insn{0x18, 1, 0, 0, 1}, isa::Insn{}};
  auto r = core_relocate(p, *l, relo(le, "0", ReloKind::kEnumvalValue), *t, 0);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_TRUE(r->poison);
  EXPECT_EQ(core_poison_error(*r, 4, 0).format(),
            "relo #4: insn 0: enum value not found in target: [1] enum e::A = 1 has no match in "
            "target BTF");
  EXPECT_EQ(p[0].imm, kCorePoisonHelper);
  EXPECT_EQ(p[1].imm, kCorePoisonHelper);
}

TEST(Core, TypeIdsAndMatches) {
  BtfBuilder lb;
  uint32_t li = lb.add_int("int", 4, kIntSigned);
  uint32_t lp = lb.add_ptr(li);
  uint32_t ls = lb.add_struct("s", 16, {{"p", lp, 0, 0}, {"v", li, 64, 0}});
  BtfBuilder tb;
  tb.add_int("char", 1);
  uint32_t ti = tb.add_int("int", 4, kIntSigned);
  uint32_t tl = tb.add_int("long", 8, kIntSigned);
  uint32_t tp = tb.add_ptr(ti);
  uint32_t ts = tb.add_struct("s", 24, {{"x", tl, 0, 0}, {"p", tp, 64, 0}, {"v", ti, 128, 0}});
  BtfBuilder tb2;
  uint32_t t2l = tb2.add_int("long", 8, kIntSigned);
  tb2.add_struct("s", 16, {{"p", t2l, 0, 0}, {"v", t2l, 64, 0}});
  auto ld = lb.build(), td = tb.build(), td2 = tb2.build();
  auto l = Btf::parse(ld), t = Btf::parse(td), t2 = Btf::parse(td2);
  ASSERT_TRUE(l.ok() && t.ok() && t2.ok());
  auto target_id = core_calculate(*l, relo(ls, "0", ReloKind::kTypeIdTarget), *t, 0);
  ASSERT_TRUE(target_id.ok());
  EXPECT_EQ(target_id->new_val, ts);
  auto local_id = core_calculate(*l, relo(ls, "0", ReloKind::kTypeIdLocal), *t, 0);
  ASSERT_TRUE(local_id.ok());
  EXPECT_EQ(local_id->new_val, ls);
  EXPECT_TRUE(core_types_match(*l, ls, *t, ts));
  auto m2 = core_calculate(*l, relo(ls, "0", ReloKind::kTypeMatches), *t2, 0);
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->new_val, 0u);  // p is a long, v a different size int
  auto e2 = core_calculate(*l, relo(ls, "0", ReloKind::kTypeExists), *t2, 0);
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ(e2->new_val, 1u);  // compatible: struct vs struct
}

TEST(Core, BadInputsAreErrors) {
  BtfBuilder lb;
  uint32_t li = lb.add_int("int", 4, kIntSigned);
  uint32_t anon = lb.add_struct("", 4, {{"x", li, 0, 0}});
  uint32_t ls = lb.add_struct("s", 4, {{"x", li, 0, 0}});
  auto ld = lb.build();
  auto l = Btf::parse(ld);
  ASSERT_TRUE(l.ok());
  auto r1 = core_calculate(*l, relo(anon, "0:0", ReloKind::kFieldByteOffset), *l, 1);
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.error().message.find("anonymous"), std::string::npos);
  auto r2 = core_calculate(*l, relo(ls, "0:x", ReloKind::kFieldByteOffset), *l, 2);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("malformed access string"), std::string::npos);
  auto r3 = core_calculate(*l, relo(ls, "0:7", ReloKind::kFieldByteOffset), *l, 3);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().message.find("out of range"), std::string::npos);
  auto r4 = core_calculate(*l, relo(ls, "0:0", ReloKind::kTypeSize), *l, 4);
  ASSERT_FALSE(r4.ok());
  auto r5 = core_calculate(*l, relo(99, "0", ReloKind::kTypeSize), *l, 5);
  ASSERT_FALSE(r5.ok());
}

}  // namespace
}  // namespace bombus::btf
