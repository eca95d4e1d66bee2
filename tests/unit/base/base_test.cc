#include <gtest/gtest.h>

#include "base/bytes.h"
#include "base/result.h"
#include "base/sha1.h"

using namespace bombus;

TEST(Sha1, KnownVectors) {
  auto hex = [](std::string_view s) {
    auto d = sha1({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
    return to_hex(d, "");
  };
  EXPECT_EQ(hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Hex, ParseForms) {
  auto r = parse_hex_bytes("de ad 0xbe,ef 0102");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_hex(*r, ""), "deadbeef0102");
  auto bad = parse_hex_bytes("12 3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'3'"), std::string::npos);
  EXPECT_FALSE(parse_hex_bytes("zz").ok());
}

TEST(Error, FormatNamesLocation) {
  Error e = make_error(Errc::kInvalid, "field 'data_end' not found",
                       Location{.object = "fw.o", .program = "xdp_fw", .relo = 3, .insn = 17});
  EXPECT_EQ(e.format(), "fw.o: prog 'xdp_fw': relo #3: insn 17: field 'data_end' not found");
  EXPECT_EQ(e.neg_errno(), -22);
}

TEST(Result, ValueAndError) {
  Result<int> ok = 5;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
  Result<int> err = make_error(Errc::kNotFound, "nope");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.error().code, Errc::kNotFound);
}
