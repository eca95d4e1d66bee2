// Platform tables: helper prototypes, ctx access rules and the ctx-rewrite pass.
#include <gtest/gtest.h>

#include "platform/ctx_rewrite.h"
#include "platform/ctx_structs.h"
#include "platform/helper_protos.h"
#include "platform/program_types.h"

namespace bombus::platform {
namespace {

TEST(HelperProtos, KnownSignatures) {
  const HelperProto* l = helper_proto(1);
  ASSERT_TRUE(l && l->known);
  EXPECT_EQ(l->name, "map_lookup_elem");
  EXPECT_EQ(l->ret, RetType::kPtrToMapValueOrNull);
  EXPECT_EQ(l->args[0], ArgType::kConstMapPtr);
  EXPECT_EQ(l->args[1], ArgType::kPtrToMapKey);
  EXPECT_EQ(l->num_args(), 2);
  EXPECT_TRUE(helper_proto(6)->gpl_only());
  EXPECT_TRUE(helper_proto(44)->changes_pkt_data());
  EXPECT_EQ(helper_proto(209)->name, "user_ringbuf_drain");
  EXPECT_EQ(helper_proto(500), nullptr);
  EXPECT_FALSE(helper_proto(49)->known);  // setsockopt: name only
}

TEST(HelperProtos, MapCompatibility) {
  EXPECT_TRUE(helper_accepts_map(1, MapType::kHash));
  EXPECT_FALSE(helper_accepts_map(1, MapType::kRingbuf));
  EXPECT_FALSE(helper_accepts_map(12, MapType::kArray));
  EXPECT_TRUE(helper_accepts_map(12, MapType::kProgArray));
  EXPECT_FALSE(helper_accepts_map(2, MapType::kQueue));
  EXPECT_TRUE(helper_accepts_map(87, MapType::kQueue));
  EXPECT_TRUE(helper_accepts_map(51, MapType::kDevmap));
}

TEST(ProgTypes, HelpersAndSections) {
  EXPECT_TRUE(helper_allowed(ProgType::kXdp, 44));
  EXPECT_FALSE(helper_allowed(ProgType::kSchedCls, 44));
  EXPECT_TRUE(helper_allowed(ProgType::kKprobe, 14));
  EXPECT_FALSE(helper_allowed(ProgType::kXdp, 9));  // skb_store_bytes: skb programs only
  EXPECT_EQ(prog_type_from_section("xdp"), ProgType::kXdp);
  EXPECT_EQ(prog_type_from_section("tc/ingress"), ProgType::kSchedCls);
  EXPECT_EQ(prog_type_from_section("kprobe/do_sys_open"), ProgType::kKprobe);
  EXPECT_EQ(prog_type_from_section("nonsense"), std::nullopt);
  EXPECT_EQ(prog_type_by_name("sched_cls")->type, ProgType::kSchedCls);
}

TEST(CtxAccess, XdpAndSkbRules) {
  const auto& xdp = *prog_type_info(ProgType::kXdp);
  auto r = check_ctx_access(xdp, 4, 4, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.access->real_off, 8u);
  EXPECT_EQ(r.access->real_size, 8u);
  EXPECT_EQ(r.access->kind, FieldKind::kPktEnd);
  EXPECT_FALSE(check_ctx_access(xdp, 0, 4, true).ok());
  EXPECT_FALSE(check_ctx_access(xdp, 0, 2, false).ok());
  EXPECT_FALSE(check_ctx_access(xdp, 24, 4, false).ok());
  EXPECT_EQ(check_ctx_access(xdp, 2, 4, false).error, "invalid bpf_context access off=2 size=4");
  const auto& tc = *prog_type_info(ProgType::kSchedCls);
  EXPECT_TRUE(check_ctx_access(tc, skb_off::kMark, 4, true).ok());
  EXPECT_FALSE(check_ctx_access(tc, skb_off::kLen, 4, true).ok());
  auto narrow = check_ctx_access(tc, skb_off::kProtocol + 2, 2, false);
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow.access->real_off, skb_off::kProtocol + 2);
  EXPECT_TRUE(check_ctx_access(tc, skb_off::kCb + 8, 8, true).ok());
  auto data = check_ctx_access(tc, skb_off::kData, 4, false);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data.access->real_off, kSkbRealData);
  const auto& sf = *prog_type_info(ProgType::kSocketFilter);
  EXPECT_FALSE(check_ctx_access(sf, skb_off::kData, 4, false).ok());
  EXPECT_FALSE(check_ctx_access(sf, skb_off::kMark, 4, true).ok());
  const auto& kp = *prog_type_info(ProgType::kKprobe);
  EXPECT_TRUE(check_ctx_access(kp, 16, 8, false).ok());
  EXPECT_FALSE(check_ctx_access(kp, 16, 8, true).ok());
}

isa::Insn I(uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  isa::Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

TEST(CtxRewrite, FollowsCopiesAndSpills) {
  // r6 = r1; *(u64*)(r10-8) = r6; r7 = *(u64*)(r10-8); r2 = *(u32*)(r7+4); r3 = *(u32*)(r1+0);
  // r4 = *(u32*)(r2+0)  <- not ctx (packet); exit
  std::vector<isa::Insn> p = {I(0xbf, 6, 1, 0, 0), I(0x7b, 10, 6, -8, 0), I(0x79, 7, 10, -8, 0),
                              I(0x61, 2, 7, 4, 0), I(0x61, 3, 1, 0, 0),   I(0x61, 4, 2, 0, 0),
                              I(0x95, 0, 0, 0, 0)};
  auto st = rewrite_ctx_accesses(p, *prog_type_info(ProgType::kXdp));
  ASSERT_TRUE(st.ok()) << st.error().format();
  EXPECT_EQ(p[3].opcode, 0x79);  // ldxdw
  EXPECT_EQ(p[3].off, 8);
  EXPECT_EQ(p[4].opcode, 0x79);
  EXPECT_EQ(p[4].off, 0);
  EXPECT_EQ(p[5].opcode, 0x61);  // untouched
  // Bad access is reported with its instruction.
  std::vector<isa::Insn> bad = {I(0x61, 2, 1, 40, 0), I(0x95, 0, 0, 0, 0)};
  auto e = rewrite_ctx_accesses(bad, *prog_type_info(ProgType::kXdp));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().where.insn, 0);
  // Mixed pointer types at one instruction are refused.
  std::vector<isa::Insn> mixed = {I(0x15, 2, 0, 1, 0), I(0xbf, 1, 10, 0, 0), I(0x61, 3, 1, 0, 0),
                                  I(0x95, 0, 0, 0, 0)};
  EXPECT_FALSE(find_ctx_accesses(mixed).ok());
}

}  // namespace
}  // namespace bombus::platform
