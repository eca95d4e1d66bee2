// Disassembler tests: exact kernel/bpftool text for each instruction family (including a listing
// captured from a real "bpftool prog dump xlated ... opcodes"), and the round trip
// assemble(disasm(x)) == x over every opcode of the table and every variant.
#include "isa/disasm.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "isa/asm.h"

using namespace bombus::isa;

namespace {

Insn I(uint8_t op, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

std::string one(std::vector<Insn> p, const DisasmOptions& o = {}) {
  return disasm_insn(p, 0, o);
}

std::string fmt(const Insn& i) {
  std::ostringstream s;
  s << std::hex << "{op=0x" << int(i.opcode) << " dst=" << int(i.dst) << " src=" << int(i.src)
    << std::dec << " off=" << i.off << " imm=" << i.imm << "}";
  return s.str();
}

}  // namespace

TEST(Disasm, KernelText) {
  EXPECT_EQ(one({I(0x61, 0, 1, 4)}), "r0 = *(u32 *)(r1 +4)");
  EXPECT_EQ(one({I(0x89, 0, 1, 2)}), "r0 = *(s16 *)(r1 +2)");
  EXPECT_EQ(one({I(0x2d, 2, 3, 5)}), "if r2 > r3 goto pc+5");
  EXPECT_EQ(one({I(0xc6, 1, 0, -2, 7)}), "if w1 s< 0x7 goto pc-2");
  EXPECT_EQ(one({I(0x15, 1, 0, 0, -1)}), "if r1 == 0xffffffff goto pc+0");
  EXPECT_EQ(one({I(0xdb, 10, 1, -8, 0)}), "lock *(u64 *)(r10 -8) += r1");
  EXPECT_EQ(one({I(0xc3, 10, 1, -8, 0x50)}), "lock *(u32 *)(r10 -8) &= r1");
  EXPECT_EQ(one({I(0xdb, 10, 0, -8, 1)}), "r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)");
  EXPECT_EQ(one({I(0xc3, 1, 2, 0, 0xa1)}), "r2 = atomic_fetch_xor((u32 *)(r1 +0), r2)");
  EXPECT_EQ(one({I(0xdb, 1, 2, 0, 0xe1)}), "r2 = atomic64_xchg((u64 *)(r1 +0), r2)");
  EXPECT_EQ(one({I(0xdb, 10, 3, -8, 0xf1)}), "r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r3)");
  EXPECT_EQ(one({I(0x04, 0, 0, 0, 1)}), "w0 += 1");
  EXPECT_EQ(one({I(0x3f, 0, 2, 1)}), "r0 s/= r2");
  EXPECT_EQ(one({I(0x94, 0, 0, 1, -3)}), "w0 s%= -3");
  EXPECT_EQ(one({I(0xbf, 1, 2, 8)}), "r1 = (s8)r2");
  EXPECT_EQ(one({I(0xbc, 1, 2, 16)}), "w1 = (s16)w2");
  EXPECT_EQ(one({I(0x87, 3)}), "r3 = -r3");
  EXPECT_EQ(one({I(0xdc, 1, 0, 0, 16)}), "r1 = be16 r1");
  EXPECT_EQ(one({I(0xd4, 1, 0, 0, 64)}), "r1 = le64 r1");
  EXPECT_EQ(one({I(0xd7, 1, 0, 0, 64)}), "r1 = bswap64 r1");
  EXPECT_EQ(one({I(0x72, 10, 0, -1, 5)}), "*(u8 *)(r10 -1) = 5");
  EXPECT_EQ(one({I(0x20, 0, 0, 0, 12)}), "r0 = *(u32 *)skb[12]");
  EXPECT_EQ(one({I(0x48, 0, 3, 0, 2)}), "r0 = *(u16 *)skb[r3 + 2]");
  EXPECT_EQ(one({I(0x05, 0, 0, 1)}), "goto pc+1");
  EXPECT_EQ(one({I(0x06, 0, 0, 0, 100)}), "gotol pc+100");
  EXPECT_EQ(one({I(0x85, 0, 1, 0, 3)}), "call pc+3");
  EXPECT_EQ(one({I(0x85, 0, 0, 0, 5)}), "call unknown#5");
  EXPECT_EQ(one({I(0x8d, 2)}), "callx r2");
  EXPECT_EQ(one({I(0x95)}), "exit");
  EXPECT_EQ(one({I(0xbf, 1, 2, 1, 1)}), "r1 = addr_space_cast(r2, 0, 1)");
}

TEST(Disasm, HelperNamesAndWideLoads) {
  auto names = [](int32_t id) { return id == 1 ? std::string("bpf_map_lookup_elem") : ""; };
  std::vector<Insn> p = {I(0x85, 0, 0, 0, 1)};
  EXPECT_EQ(disasm_insn(p, 0, names), "call bpf_map_lookup_elem#1");
  p = {I(0x85, 0, 0, 0, 9)};
  EXPECT_EQ(disasm_insn(p, 0, names), "call unknown#9");
  EXPECT_EQ(one({I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)}),
            "r1 = 0x1122334455667788 ll");
  DisasmOptions bare;
  bare.ll_suffix = false;
  EXPECT_EQ(one({I(0x18, 1, 0, 0, 42), I(0)}, bare), "r1 = 0x2a");
  EXPECT_EQ(one({I(0x18, 1, 1, 0, 3), I(0)}), "r1 = map[id:3]");
  EXPECT_EQ(one({I(0x18, 2, 2, 0, 4), I(0, 0, 0, 0, 16)}), "r2 = map[id:4][0]+16");
  EXPECT_EQ(one({I(0x18, 1, 6, 0, 0), I(0)}), "r1 = map[idx:0]+0");
  EXPECT_EQ(one({I(0x18, 1, 5, 0, 2), I(0)}), "r1 = map[idx:2]");
  EXPECT_EQ(one({I(0x18, 1, 4, 0, 7), I(0)}), "r1 = subprog[+7]");
  EXPECT_EQ(one({I(0x18, 1, 3, 0, 9), I(0)}), "r1 = btf_id[9]");
}

TEST(Disasm, NeverCrashesOnBadInput) {
  std::vector<Insn> p = {I(0x18, 1)};  // truncated lddw
  EXPECT_NE(disasm_insn(p, 0).find("missing"), std::string::npos);
  EXPECT_NE(disasm_insn(p, 5).find("past the end"), std::string::npos);
  for (int b = 0; b < 256; ++b) {
    std::vector<Insn> q = {I(static_cast<uint8_t>(b), 15, 15, -1, -1)};
    EXPECT_FALSE(disasm_insn(q, 0).empty());
  }
  EXPECT_NE(one({I(0xff)}).find("BUG_ff"), std::string::npos);
  EXPECT_EQ(disassemble({}), "");
}

// Captured from "bpftool prog dump xlated ... opcodes" on this machine's kernel (clang -O2 of a
// small socket filter; the call line is left out because xlated calls carry kernel addresses).
TEST(Disasm, MatchesBpftoolListing) {
  std::vector<Insn> p = {I(0x18, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344),
                         I(0x7b, 10, 1, -8),           I(0xb7, 1, 0, 0, 3),
                         I(0xdb, 10, 1, -8),           I(0xbf, 1, 0),
                         I(0x67, 1, 0, 0, 32),         I(0x2d, 2, 1, 2),
                         I(0x79, 0, 10, -8),           I(0x05, 0, 0, 1),
                         I(0x57, 0, 0, 0, 5),          I(0x95)};
  DisasmOptions o;
  o.opcodes = true;
  o.ll_suffix = false;
  EXPECT_EQ(disassemble(p, o),
            "   0: (18) r1 = 0x1122334455667788\n"
            "       18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\n"
            "   2: (7b) *(u64 *)(r10 -8) = r1\n"
            "       7b 1a f8 ff 00 00 00 00\n"
            "   3: (b7) r1 = 3\n"
            "       b7 01 00 00 03 00 00 00\n"
            "   4: (db) lock *(u64 *)(r10 -8) += r1\n"
            "       db 1a f8 ff 00 00 00 00\n"
            "   5: (bf) r1 = r0\n"
            "       bf 01 00 00 00 00 00 00\n"
            "   6: (67) r1 <<= 32\n"
            "       67 01 00 00 20 00 00 00\n"
            "   7: (2d) if r2 > r1 goto pc+2\n"
            "       2d 12 02 00 00 00 00 00\n"
            "   8: (79) r0 = *(u64 *)(r10 -8)\n"
            "       79 a0 f8 ff 00 00 00 00\n"
            "   9: (05) goto pc+1\n"
            "       05 00 01 00 00 00 00 00\n"
            "  10: (57) r0 &= 5\n"
            "       57 00 00 00 05 00 00 00\n"
            "  11: (95) exit\n"
            "       95 00 00 00 00 00 00 00\n");
}

namespace {

// Every opcode of the table with every field variant the assembler can express.
std::vector<std::vector<Insn>> all_variants() {
  std::vector<std::vector<Insn>> out;
  auto add = [&](Insn i) { out.push_back({i}); };
  for (const OpInfo& e : kOpTable) {
    const uint8_t op = e.opcode;
    switch (e.kind) {
      case OpKind::kInvalid:
        break;
      case OpKind::AluK:
        for (int32_t imm : {0, 1, -1, 7, INT32_MIN, INT32_MAX}) add(I(op, 3, 0, 0, imm));
        if ((op & 0xf0) == 0x30 || (op & 0xf0) == 0x90) add(I(op, 4, 0, 1, -5));
        add(I(op, 10, 0, 0, 1));
        break;
      case OpKind::AluX:
        add(I(op, 0, 10));
        add(I(op, 9, 1));
        if ((op & 0xf0) == 0x30 || (op & 0xf0) == 0x90) add(I(op, 4, 5, 1));
        if ((op & 0xf0) == 0xb0) {
          add(I(op, 1, 2, 8));
          add(I(op, 1, 2, 16));
          if (op == 0xbf) {
            add(I(op, 1, 2, 32));
            add(I(op, 1, 2, 1, 1));  // addr_space_cast
          }
        }
        break;
      case OpKind::Neg:
        add(I(op, 6));
        break;
      case OpKind::End:
      case OpKind::Bswap:
        for (int32_t w : {16, 32, 64}) add(I(op, 2, 0, 0, w));
        break;
      case OpKind::Ldx:
      case OpKind::Ldxsx:
        for (int16_t off : {0, 4, -8, INT16_MAX, INT16_MIN}) add(I(op, 0, 1, off));
        break;
      case OpKind::St:
        for (int32_t imm : {0, -1, 0x7fffffff}) add(I(op, 10, 0, -8, imm));
        break;
      case OpKind::Stx:
        add(I(op, 10, 1, -16));
        break;
      case OpKind::Atomic:
        for (int32_t a : {kAtomicAdd, kAtomicOr, kAtomicAnd, kAtomicXor}) {
          add(I(op, 10, 1, -8, a));
          add(I(op, 10, 2, -8, a | kAtomicFetch));
        }
        add(I(op, 10, 3, -8, kAtomicXchg));
        add(I(op, 10, 4, 16, kAtomicCmpxchg));
        break;
      case OpKind::Lddw:
        out.push_back({I(op, 1, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)});
        out.push_back({I(op, 1, 0, 0, 5), I(0)});
        out.push_back({I(op, 2, 0, 0, -1), I(0, 0, 0, 0, -1)});
        out.push_back({I(op, 1, kPseudoMapFd, 0, 3), I(0)});
        out.push_back({I(op, 1, kPseudoMapValue, 0, 4), I(0, 0, 0, 0, 12)});
        out.push_back({I(op, 1, kPseudoBtfId, 0, 42), I(0)});
        out.push_back({I(op, 1, kPseudoBtfId, 0, 42), I(0, 0, 0, 0, 3)});
        out.push_back({I(op, 1, kPseudoFunc, 0, -3), I(0)});
        out.push_back({I(op, 1, kPseudoMapIdx, 0, 1), I(0)});
        out.push_back({I(op, 1, kPseudoMapIdxValue, 0, 2), I(0, 0, 0, 0, 8)});
        break;
      case OpKind::LdAbs:
        add(I(op, 0, 0, 0, 14));
        break;
      case OpKind::LdInd:
        add(I(op, 0, 7, 0, -2));
        break;
      case OpKind::Ja:
        for (int16_t off : {0, 1, -1, INT16_MAX, INT16_MIN}) add(I(op, 0, 0, off));
        break;
      case OpKind::Jal:
        for (int32_t imm : {0, 100, -100000, INT32_MAX}) add(I(op, 0, 0, 0, imm));
        break;
      case OpKind::JccK:
        for (int32_t imm : {0, 7, -1, INT32_MIN}) add(I(op, 1, 0, -3, imm));
        break;
      case OpKind::JccX:
        add(I(op, 1, 2, 9));
        break;
      case OpKind::Call:
        add(I(op, 0, kPseudoCallHelper, 0, 1));
        add(I(op, 0, kPseudoCallHelper, 0, 212));
        add(I(op, 0, kPseudoCall, 0, 3));
        add(I(op, 0, kPseudoCall, 0, -7));
        add(I(op, 0, kPseudoKfuncCall, 0, 1234));
        add(I(op, 0, kPseudoKfuncCall, 2, 1234));
        break;
      case OpKind::Callx:
        add(I(op, 2));
        break;
      case OpKind::Exit:
        add(I(op));
        break;
      case OpKind::MayGoto:
        for (int16_t off : {0, 3, -1, INT16_MAX, INT16_MIN}) add(I(op, 0, 0, off));
        break;
    }
  }
  return out;
}

}  // namespace

TEST(Disasm, RoundTripEveryVariant) {
  auto names = [](int32_t id) { return id == 1 ? std::string("bpf_map_lookup_elem") : ""; };
  int checked = 0;
  for (const auto& prog : all_variants()) {
    for (bool named : {false, true}) {
      DisasmOptions o;
      if (named) o.helper_name = names;
      std::string text = disasm_insn(prog, 0, o);
      auto back = assemble(text);
      ASSERT_TRUE(back.ok()) << fmt(prog[0]) << " -> '" << text << "': " << back.error().format();
      ASSERT_EQ(back->size(), prog.size()) << text;
      for (size_t i = 0; i < prog.size(); ++i)
        EXPECT_EQ(fmt((*back)[i]), fmt(prog[i])) << "'" << text << "'";
      ++checked;
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(Disasm, ListingRoundTrips) {
  std::vector<Insn> prog;
  for (const auto& p : all_variants()) prog.insert(prog.end(), p.begin(), p.end());
  for (bool opcodes : {false, true}) {
    DisasmOptions o;
    o.opcodes = opcodes;
    auto back = assemble(disassemble(prog, o));
    ASSERT_TRUE(back.ok()) << back.error().format();
    ASSERT_EQ(back->size(), prog.size());
    for (size_t i = 0; i < prog.size(); ++i) EXPECT_EQ(fmt((*back)[i]), fmt(prog[i])) << i;
  }
}
