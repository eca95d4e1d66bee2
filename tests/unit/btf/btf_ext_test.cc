// BTF.ext tests on hand-built blobs: records of all three kinds, larger record sizes (forward
// compatibility), and malformed inputs that must fail with a message naming the problem.
#include "btf/btf_ext.h"

#include <gtest/gtest.h>

#include <cstring>

namespace bombus::btf {
namespace {

struct Fixture {
  std::vector<uint8_t> btf_data;
  Btf btf;
  uint32_t sec_off = 0, file_off = 0, line_off = 0, acc_off = 0;
};

Fixture make_btf() {
  Fixture f;
  BtfBuilder b;
  uint32_t i = b.add_int("int", 4, kIntSigned);
  uint32_t proto = b.add_func_proto(i, {});
  b.add_func("main_fn", proto);
  b.add_struct("s", 4, {{"x", i, 0, 0}});
  f.sec_off = b.add_str("xdp");
  f.file_off = b.add_str("/src/prog.c");
  f.line_off = b.add_str("  return x + 1;");
  f.acc_off = b.add_str("0:0");
  f.btf_data = b.build();
  auto r = Btf::parse(f.btf_data);
  EXPECT_TRUE(r.ok()) << r.error().format();
  f.btf = std::move(*r);
  return f;
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
  uint8_t b[4];
  std::memcpy(b, &x, 4);
  v.insert(v.end(), b, b + 4);
}

// func info (rec 8 or more), line info (rec 16), core relos (rec 16).
std::vector<uint8_t> make_ext(const Fixture& f, uint32_t func_rec = 8) {
  std::vector<uint8_t> func, line, core;
  put32(func, func_rec);
  put32(func, f.sec_off);
  put32(func, 1);
  put32(func, 0);  // insn_off
  put32(func, 3);  // FUNC main_fn
  for (uint32_t k = 8; k < func_rec; k += 4) put32(func, 0xdeadbeef);
  put32(line, 16);
  put32(line, f.sec_off);
  put32(line, 2);
  for (uint32_t n = 0; n < 2; ++n) {
    put32(line, n * 16);
    put32(line, f.file_off);
    put32(line, f.line_off);
    put32(line, ((7 + n) << 10) | 5);
  }
  put32(core, 16);
  put32(core, f.sec_off);
  put32(core, 1);
  put32(core, 8);
  put32(core, 4);  // struct s
  put32(core, f.acc_off);
  put32(core, 0);  // byte_off
  std::vector<uint8_t> out;
  uint32_t hdr = 32;
  out.push_back(0x9f);
  out.push_back(0xeb);
  out.push_back(1);
  out.push_back(0);
  put32(out, hdr);
  put32(out, 0);
  put32(out, uint32_t(func.size()));
  put32(out, uint32_t(func.size()));
  put32(out, uint32_t(line.size()));
  put32(out, uint32_t(func.size() + line.size()));
  put32(out, uint32_t(core.size()));
  out.insert(out.end(), func.begin(), func.end());
  out.insert(out.end(), line.begin(), line.end());
  out.insert(out.end(), core.begin(), core.end());
  return out;
}

TEST(BtfExt, ParsesAllBlocks) {
  Fixture f = make_btf();
  auto d = make_ext(f);
  auto r = BtfExt::parse(d, f.btf);
  ASSERT_TRUE(r.ok()) << r.error().format();
  const ExtSection* s = r->section("xdp");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->funcs.size(), 1u);
  EXPECT_EQ(s->funcs[0].type_id, 3u);
  ASSERT_EQ(s->lines.size(), 2u);
  EXPECT_EQ(s->lines[1].file, "/src/prog.c");
  EXPECT_EQ(s->lines[1].text, "  return x + 1;");
  EXPECT_EQ(s->lines[1].line, 8u);
  EXPECT_EQ(s->lines[1].col, 5u);
  EXPECT_EQ(r->line_at("xdp", 24)->line, 8u);  // insn 3 is still under the second record
  EXPECT_EQ(r->line_at("xdp", 0)->line, 7u);
  EXPECT_EQ(r->line_at("other", 0), nullptr);
  ASSERT_EQ(s->relos.size(), 1u);
  EXPECT_EQ(s->relos[0].access, "0:0");
  EXPECT_EQ(s->relos[0].kind, ReloKind::kFieldByteOffset);
  EXPECT_EQ(s->relos[0].insn_off, 8u);
}

TEST(BtfExt, LargerRecordSizeIsSkippedOver) {
  Fixture f = make_btf();
  auto d = make_ext(f, 16);
  auto r = BtfExt::parse(d, f.btf);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->section("xdp")->funcs.size(), 1u);
}

std::string err(const std::vector<uint8_t>& d, const Btf& btf) {
  auto r = BtfExt::parse(d, btf);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().format();
}

TEST(BtfExt, Malformed) {
  Fixture f = make_btf();
  auto good = make_ext(f);
  for (size_t n = 0; n < good.size(); n += 3) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    EXPECT_FALSE(BtfExt::parse(cut, f.btf).ok()) << n;
  }
  auto d = good;
  d[0] = 0;
  EXPECT_NE(err(d, f.btf).find("bad magic"), std::string::npos);
  d = good;
  d[32] = 6;  // func_info record size
  EXPECT_NE(err(d, f.btf).find("record size 6"), std::string::npos);
  d = good;
  std::memcpy(&d[32 + 4], "\xff\xff\x00\x00", 4);  // section name offset
  EXPECT_NE(err(d, f.btf).find("section name offset 65535"), std::string::npos);
  d = good;
  d[32 + 16] = 2;  // func info type id -> the FUNC_PROTO
  EXPECT_NE(err(d, f.btf).find("type 2 is not a FUNC"), std::string::npos);
  d = good;
  d[32 + 12] = 3;  // insn_off not a multiple of 8
  EXPECT_NE(err(d, f.btf).find("not a multiple of 8"), std::string::npos);
  d = good;
  d[d.size() - 1] = 0x40;  // relo kind
  EXPECT_NE(err(d, f.btf).find("unknown relocation kind"), std::string::npos);
  d = good;
  std::memcpy(&d[d.size() - 8], "\x00\x00\x01\x00", 4);  // access string offset
  EXPECT_NE(err(d, f.btf).find("access string offset 65536"), std::string::npos);
}

}  // namespace
}  // namespace bombus::btf
