// Dump tests: hand-built BTF rendered as raw and C text (declarators, bitfields, padding, packed,
// forward declarations for pointer cycles, duplicate names).
#include "btf/dump.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace bombus::btf {
namespace {

Btf parse_or_die(const std::vector<uint8_t>& d) {
  auto r = Btf::parse(d);
  EXPECT_TRUE(r.ok()) << r.error().format();
  return r.ok() ? std::move(*r) : Btf();
}

TEST(DumpRaw, EveryKindLayout) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4, kIntSigned);
  uint32_t u = b.add_int("unsigned int", 4);
  b.add_struct("s", 8, {{"a", i, 0, 0}, {"f", u, 32, 3}});
  b.add_enum("e", 4, {{"A", -1}}, true);
  b.add_enum64("e64", 8, {{"B", int64_t(1) << 33}});
  b.add_fwd("u", true);
  uint32_t proto = b.add_func_proto(i, {{"x", i}, {"", 0}});
  b.add_func("fn", proto, kFuncStatic);
  uint32_t v = b.add_var("g", i);
  b.add_datasec(".data", 4, {{v, 0, 4}});
  b.add_decl_tag("tag", v);
  auto data = b.build();
  Btf btf = parse_or_die(data);
  EXPECT_EQ(dump_raw(btf),
            "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n"
            "[2] INT 'unsigned int' size=4 bits_offset=0 nr_bits=32 encoding=(none)\n"
            "[3] STRUCT 's' size=8 vlen=2\n"
            "\t'a' type_id=1 bits_offset=0\n"
            "\t'f' type_id=2 bits_offset=32 bitfield_size=3\n"
            "[4] ENUM 'e' encoding=SIGNED size=4 vlen=1\n"
            "\t'A' val=-1\n"
            "[5] ENUM64 'e64' encoding=UNSIGNED size=8 vlen=1\n"
            "\t'B' val=8589934592ULL\n"
            "[6] FWD 'u' fwd_kind=union\n"
            "[7] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2\n"
            "\t'x' type_id=1\n"
            "\t'(anon)' type_id=0\n"
            "[8] FUNC 'fn' type_id=7 linkage=static\n"
            "[9] VAR 'g' type_id=1, linkage=global\n"
            "[10] DATASEC '.data' size=4 vlen=1\n"
            "\ttype_id=9 offset=0 size=4 (VAR 'g')\n"
            "[11] DECL_TAG 'tag' type_id=9 component_idx=-1\n");
}

TEST(DumpC, DeclaratorsBitfieldsAndCycles) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4, kIntSigned);                // 1
  uint32_t c = b.add_int("char", 1, kIntSigned);               // 2
  uint32_t cc = b.add_const(c);                                // 3
  uint32_t pcc = b.add_ptr(cc);                                // 4
  uint32_t proto = b.add_func_proto(i, {{"", pcc}, {"", 0}});  // 5
  uint32_t fp = b.add_ptr(proto);                              // 6
  uint32_t fparr = b.add_array(fp, i, 4);                      // 7
  uint32_t pa = b.add_ptr(10);                                 // 8: struct a *
  uint32_t bs = b.add_struct("b", 8, {{"back", pa, 0, 0}});    // 9
  uint32_t as = b.add_struct("a", 64,
                             {{"x", i, 0, 3},
                              {"y", i, 3, 5},
                              {"bb", bs, 64, 0},
                              {"handlers", fparr, 128, 0},
                              {"last", c, 384, 0}});
  ASSERT_EQ(as, 10u);
  uint32_t anon = b.add_struct("", 4, {{"v", i, 0, 0}});
  b.add_struct("p", 5, {{"c", c, 0, 0}, {"n", i, 8, 0}});
  b.add_typedef("anon_t", anon);
  b.add_typedef("cb_t", fp);
  auto data = b.build();
  Btf btf = parse_or_die(data);
  std::string h = dump_c(btf);
  EXPECT_NE(h.find("#ifndef __VMLINUX_H__"), std::string::npos);
  EXPECT_NE(h.find("struct a;\n\nstruct b {\n\tstruct a *back;\n};"), std::string::npos) << h;
  EXPECT_NE(h.find("\tint x: 3;\n\tint y: 5;\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\tint (*handlers[4])(const char *, ...);\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\tchar last;\n\tlong: 64;\n};"), std::string::npos) << h;
  EXPECT_NE(h.find("struct p {\n\tchar c;\n\tint n;\n} __attribute__((packed));"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("typedef struct {\n\tint v;\n} anon_t;"), std::string::npos) << h;
  EXPECT_NE(h.find("typedef int (*cb_t)(const char *, ...);"), std::string::npos) << h;
  EXPECT_LT(h.find("struct b {"), h.find("struct a {"));
}

TEST(DumpC, HugePaddingStaysSmall) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4, kIntSigned);
  b.add_struct("huge", 1u << 30, {{"a", i, 0, 0}});
  auto data = b.build();
  Btf btf = parse_or_die(data);
  std::string h = dump_c(btf);
  EXPECT_LT(h.size(), 4096u);
  EXPECT_NE(h.find("\tint a;\n\tchar __pad_4[1073741820];\n};"), std::string::npos) << h;
}

TEST(DumpC, DuplicateNamesGetSuffixes) {
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4, kIntSigned);
  b.add_struct("dup", 4, {{"a", i, 0, 0}});
  b.add_struct("dup", 8, {{"a", i, 0, 0}, {"b", i, 32, 0}});
  b.add_enum("", 4, {{"X", 1}});
  b.add_enum("", 4, {{"X", 2}});
  auto data = b.build();
  Btf btf = parse_or_die(data);
  std::string h = dump_c(btf);
  EXPECT_NE(h.find("struct dup {\n\tint a;\n};"), std::string::npos) << h;
  EXPECT_NE(h.find("struct dup___2 {"), std::string::npos) << h;
  EXPECT_NE(h.find("\tX___2 = 2,"), std::string::npos) << h;
}

}  // namespace
}  // namespace bombus::btf
