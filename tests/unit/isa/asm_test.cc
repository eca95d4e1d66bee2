// Assembler tests: exact encodings for both dialects, label and error handling, and every
// bpf_conformance program in ../shared/conformance (skipped when that folder is absent).
#include "isa/asm.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace bombus::isa;

namespace {

Insn I(uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  Insn i;
  i.opcode = op;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

std::vector<Insn> ok(std::string_view text) {
  auto r = assemble(text);
  EXPECT_TRUE(r.ok()) << text << "\n -> " << (r.ok() ? "" : r.error().format());
  return r.ok() ? *r : std::vector<Insn>{};
}

Insn one(std::string_view text) {
  auto v = ok(text);
  EXPECT_EQ(v.size(), 1u) << text;
  return v.empty() ? Insn{} : v[0];
}

std::string fmt(const Insn& i) {
  std::ostringstream s;
  s << std::hex << "{op=0x" << int(i.opcode) << " dst=" << int(i.dst) << " src=" << int(i.src)
    << std::dec << " off=" << i.off << " imm=" << i.imm << "}";
  return s.str();
}

#define EXPECT_INSN(text, expected) EXPECT_EQ(fmt(one(text)), fmt(expected)) << (text)

}  // namespace

TEST(Asm, ConformanceDialectAlu) {
  EXPECT_INSN("mov %r0, 1", I(0xb7, 0, 0, 0, 1));
  EXPECT_INSN("mov32 %r0, -1", I(0xb4, 0, 0, 0, -1));
  EXPECT_INSN("mov32 %r0, 0xffffffff", I(0xb4, 0, 0, 0, -1));
  EXPECT_INSN("add %r1, %r2", I(0x0f, 1, 2, 0, 0));
  EXPECT_INSN("add64 %r1, 3", I(0x07, 1, 0, 0, 3));
  EXPECT_INSN("sdiv32 %r1, %r2", I(0x3c, 1, 2, 1, 0));
  EXPECT_INSN("smod %r1, 7", I(0x97, 1, 0, 1, 7));
  EXPECT_INSN("movsx832 %r2, %r1", I(0xbc, 2, 1, 8, 0));
  EXPECT_INSN("movsx3264 %r0, %r9", I(0xbf, 0, 9, 32, 0));
  EXPECT_INSN("neg %r3", I(0x87, 3, 0, 0, 0));
  EXPECT_INSN("neg32 %r3", I(0x84, 3, 0, 0, 0));
  EXPECT_INSN("le16 %r0", I(0xd4, 0, 0, 0, 16));
  EXPECT_INSN("be64 %r5", I(0xdc, 5, 0, 0, 64));
  EXPECT_INSN("bswap32 %r0", I(0xd7, 0, 0, 0, 32));
  EXPECT_INSN("swap16 %r0", I(0xd7, 0, 0, 0, 16));
}

TEST(Asm, ConformanceDialectMemory) {
  EXPECT_INSN("ldxdw %r0, [%r1+2]", I(0x79, 0, 1, 2, 0));
  EXPECT_INSN("ldxb %r0, [%r1]", I(0x71, 0, 1, 0, 0));
  EXPECT_INSN("ldxsh %r0, [%r1-2]", I(0x89, 0, 1, -2, 0));
  EXPECT_INSN("stxw [%r10-4], %r1", I(0x63, 10, 1, -4, 0));
  EXPECT_INSN("stdw [%r10-8], 0x11", I(0x7a, 10, 0, -8, 0x11));
  EXPECT_INSN("lock add [%r10-8], %r1", I(0xdb, 10, 1, -8, 0x00));
  EXPECT_INSN("lock fetch add32 [%r10-4], %r1", I(0xc3, 10, 1, -4, 0x01));
  EXPECT_INSN("lock xchg [%r10-8], %r1", I(0xdb, 10, 1, -8, 0xe1));
  EXPECT_INSN("lock cmpxchg32 [%r10-8], %r1", I(0xc3, 10, 1, -8, 0xf1));
  EXPECT_INSN("lock fetch xor [%r10-8], %r3", I(0xdb, 10, 3, -8, 0xa1));
  auto v = ok("lddw %r0, 0x1122334455667788");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(fmt(v[0]), fmt(I(0x18, 0, 0, 0, 0x55667788)));
  EXPECT_EQ(fmt(v[1]), fmt(I(0, 0, 0, 0, 0x11223344)));
  v = ok("lddw %r1, -1");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].imm, -1);
  EXPECT_EQ(v[1].imm, -1);
}

TEST(Asm, ConformanceDialectJumpsAndCalls) {
  auto v = ok("jne %r0, %r1, +1\nja L\nexit\nL:\njeq32 %r1, 5, -3\nja32 L\nexit");
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(fmt(v[0]), fmt(I(0x5d, 0, 1, 1, 0)));
  EXPECT_EQ(fmt(v[1]), fmt(I(0x05, 0, 0, 1, 0)));
  EXPECT_EQ(fmt(v[3]), fmt(I(0x16, 1, 0, -3, 5)));
  EXPECT_EQ(fmt(v[4]), fmt(I(0x06, 0, 0, 0, -2)));
  // The conformance assembler treats "exit" as a label for the first exit.
  v = ok("jeq %r1, 0, exit\nmov %r0, 1\nexit");
  EXPECT_EQ(v[0].off, 1);
  v = ok("call local f\nexit\nf:\nexit");
  EXPECT_EQ(fmt(v[0]), fmt(I(0x85, 0, 1, 0, 1)));
  EXPECT_INSN("call 5", I(0x85, 0, 0, 0, 5));
  EXPECT_INSN("call %r2", I(0x8d, 2, 0, 0, 0));
  EXPECT_INSN("callx %r2", I(0x8d, 2, 0, 0, 0));
  EXPECT_INSN("call runtime 7", I(0x85, 0, 2, 0, 7));
}

TEST(Asm, KernelDialect) {
  EXPECT_INSN("r0 = *(u32 *)(r1 +4)", I(0x61, 0, 1, 4, 0));
  EXPECT_INSN("r0 = *(s16 *)(r1 +2)", I(0x89, 0, 1, 2, 0));
  EXPECT_INSN("*(u64 *)(r10 -8) = r1", I(0x7b, 10, 1, -8, 0));
  EXPECT_INSN("*(u8 *)(r10 -1) = -3", I(0x72, 10, 0, -1, -3));
  EXPECT_INSN("w0 += 1", I(0x04, 0, 0, 0, 1));
  EXPECT_INSN("r0 s/= r2", I(0x3f, 0, 2, 1, 0));
  EXPECT_INSN("w0 s%= 3", I(0x94, 0, 0, 1, 3));
  EXPECT_INSN("r3 s>>= 2", I(0xc7, 3, 0, 0, 2));
  EXPECT_INSN("r0 = -r0", I(0x87, 0, 0, 0, 0));
  EXPECT_INSN("w2 = -w2", I(0x84, 2, 0, 0, 0));
  EXPECT_INSN("r0 = -7", I(0xb7, 0, 0, 0, -7));
  EXPECT_INSN("w0 = w1", I(0xbc, 0, 1, 0, 0));
  EXPECT_INSN("r1 = (s8)r2", I(0xbf, 1, 2, 8, 0));
  EXPECT_INSN("w1 = (s16)w2", I(0xbc, 1, 2, 16, 0));
  EXPECT_INSN("r1 = be16 r1", I(0xdc, 1, 0, 0, 16));
  EXPECT_INSN("r1 = le32 r1", I(0xd4, 1, 0, 0, 32));
  EXPECT_INSN("r1 = bswap64 r1", I(0xd7, 1, 0, 0, 64));
  EXPECT_INSN("if r2 > r3 goto pc+5", I(0x2d, 2, 3, 5, 0));
  EXPECT_INSN("if w1 s< 7 goto +2", I(0xc6, 1, 0, 2, 7));
  EXPECT_INSN("if r1 & 0xffffffff goto pc-1", I(0x45, 1, 0, -1, -1));
  EXPECT_INSN("goto pc+1", I(0x05, 0, 0, 1, 0));
  EXPECT_INSN("gotol pc+100", I(0x06, 0, 0, 0, 100));
  EXPECT_INSN("lock *(u64 *)(r10 -8) += r1", I(0xdb, 10, 1, -8, 0));
  EXPECT_INSN("lock *(u32 *)(r10 -4) ^= r2", I(0xc3, 10, 2, -4, 0xa0));
  EXPECT_INSN("r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)", I(0xdb, 10, 0, -8, 0x01));
  EXPECT_INSN("r3 = atomic_fetch_or((u32 *)(r10 -8), r3)", I(0xc3, 10, 3, -8, 0x41));
  EXPECT_INSN("r2 = atomic64_xchg((u64 *)(r1 +0), r2)", I(0xdb, 1, 2, 0, 0xe1));
  EXPECT_INSN("r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)", I(0xdb, 10, 1, -8, 0xf1));
  EXPECT_INSN("call 5", I(0x85, 0, 0, 0, 5));
  EXPECT_INSN("call bpf_map_lookup_elem#1", I(0x85, 0, 0, 0, 1));
  EXPECT_INSN("call pc+3", I(0x85, 0, 1, 0, 3));
  EXPECT_INSN("call kernel-function#77", I(0x85, 0, 2, 0, 77));
  EXPECT_INSN("callx r3", I(0x8d, 3, 0, 0, 0));
  EXPECT_INSN("exit", I(0x95, 0, 0, 0, 0));
  EXPECT_INSN("r0 = *(u16 *)skb[12]", I(0x28, 0, 0, 0, 12));
  EXPECT_INSN("r0 = *(u8 *)skb[r3 + 4]", I(0x50, 0, 3, 0, 4));
  EXPECT_INSN("r1 = addr_space_cast(r2, 0, 1)", I(0xbf, 1, 2, 1, 1));
  // llvm-mc spellings (encodings checked against llvm-mc 14 -show-encoding).
  EXPECT_INSN("r0 = *(u8 *)skb[r3]", I(0x50, 0, 3, 0, 0));
  EXPECT_INSN("r0 = *(u32 *)(r1 + 4)", I(0x61, 0, 1, 4, 0));
  EXPECT_INSN("lock *(u32 *)(r10 - 4) ^= w2", I(0xc3, 10, 2, -4, 0xa0));
  EXPECT_INSN("r0 = atomic_fetch_add((u64 *)(r10 - 8), r0)", I(0xdb, 10, 0, -8, 0x01));
  EXPECT_INSN("w0 = atomic_fetch_and((u32 *)(r10 - 8), w0)", I(0xc3, 10, 0, -8, 0x51));
  EXPECT_INSN("r2 = xchg_64(r1 + 0, r2)", I(0xdb, 1, 2, 0, 0xe1));
  EXPECT_INSN("w3 = xchg32_32(r10 - 4, w3)", I(0xc3, 10, 3, -4, 0xe1));
  EXPECT_INSN("r0 = cmpxchg_64(r10 - 8, r0, r1)", I(0xdb, 10, 1, -8, 0xf1));
  EXPECT_INSN("w0 = cmpxchg32_32(r10 - 8, w0, w4)", I(0xc3, 10, 4, -8, 0xf1));
}

TEST(Asm, KernelDialectWideLoads) {
  auto v = ok("r1 = 0x1122334455667788 ll");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(fmt(v[0]), fmt(I(0x18, 1, 0, 0, 0x55667788)));
  EXPECT_EQ(v[1].imm, 0x11223344);
  v = ok("r1 = 0xffffffff");  // does not fit a sign-extended imm32: needs lddw
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].imm, -1);
  EXPECT_EQ(v[1].imm, 0);
  v = ok("r1 = 5 ll");
  ASSERT_EQ(v.size(), 2u);
  struct Case {
    const char* text;
    uint8_t src;
    int32_t imm, imm2;
  };
  for (const Case& c : {Case{"r1 = map[id:3]", 1, 3, 0}, Case{"r2 = map[id:4][0]+16", 2, 4, 16},
                        Case{"r1 = map[idx:0]+8", 6, 0, 8}, Case{"r1 = map[idx:2]", 5, 2, 0},
                        Case{"r1 = subprog[+3]", 4, 3, 0}, Case{"r1 = btf_id[42]", 3, 42, 0}}) {
    v = ok(c.text);
    ASSERT_EQ(v.size(), 2u) << c.text;
    EXPECT_EQ(fmt(v[0]), fmt(I(0x18, v[0].dst, c.src, 0, c.imm))) << c.text;
    EXPECT_EQ(v[1].imm, c.imm2) << c.text;
  }
}

TEST(Asm, ListingPrefixesAndComments) {
  auto v =
      ok("   0: (b7) r0 = 0   ; int x = 0\n"
         "       b7 00 00 00 00 00 00 00\n"
         "   1: (18) r1 = map[id:7]\n"
         "   3: (95) exit\n"
         "# a comment line\n"
         "mov %r0, 1 # trailing comment\n");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[1].src, 1);
  EXPECT_EQ(v[4].opcode, 0xb7);
}

TEST(Asm, LabelsOnSameLineAndLocalCallLabel) {
  auto v = ok("start: r0 = 0\nif r0 == 0 goto done\ncall f\ndone: exit\nf: r0 = 1\nexit");
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[1].off, 1);
  EXPECT_EQ(v[2].imm, 1);
  EXPECT_EQ(v[2].src, 1);
}

TEST(Asm, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    int line;
    const char* needle;
  };
  for (const Case& c : {
           Case{"mov %r0, 1\nfrob %r0\nexit", 2, "unknown instruction 'frob'"},
           Case{"ja nowhere\nexit", 1, "undefined label 'nowhere'"},
           Case{"L:\nL:\nexit", 2, "duplicate label"},
           Case{"exit\nmov32 %r0, 0x100000000", 2, "does not fit in 32 bits"},
           Case{"r0 = *(u32 *)(r1 +4\n", 1, "expected ')'"},
           Case{"r1 = r2 + 3", 1, "unexpected '+'"},
           Case{"\n\nw1 = 0x1 ll", 3, "need rN"},
           Case{"mov %r16, 1", 1, "bad register"},
           Case{"r0 += w1", 1, "widths differ"},
           Case{"if r0 ?? 1 goto +1", 1, "unexpected character"},
           Case{"stxw [%r10-99999], %r1", 1, "does not fit in 16 bits"},
           Case{"r1 = be16 r2", 1, "byte swaps"},
       }) {
    auto r = assemble(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().where.line, c.line) << c.text << " -> " << r.error().format();
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos)
        << c.text << " -> " << r.error().format();
  }
}

TEST(Asm, JumpBeyond16BitsIsAnError) {
  std::string text = "ja far\n";
  for (int i = 0; i < 16400; ++i) text += "lddw %r0, 1\n";  // 32800 insns
  text += "far:\nexit\n";
  auto r = assemble(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().where.line, 1);
  text.replace(0, 6, "gotol far");  // a 32-bit offset reaches
  auto r2 = assemble(text);
  ASSERT_TRUE(r2.ok()) << r2.error().format();
  EXPECT_EQ((*r2)[0].imm, 32800);
}

// Every program of the bpf_conformance suite assembles; where a "-- raw" section exists the
// encoding must match it word for word.
TEST(Asm, AllConformancePrograms) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(BOMBUS_SHARED_DIR) / "conformance";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no conformance data at " << dir;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".data") continue;
    std::ifstream in(entry.path());
    std::string line, section, asm_text;
    std::vector<uint64_t> raw;
    while (std::getline(in, line)) {
      if (line.rfind("--", 0) == 0) {
        section = line.substr(2);
        section.erase(0, section.find_first_not_of(' '));
        continue;
      }
      if (section == "asm") asm_text += line + "\n";
      if (section == "raw") {
        std::istringstream ss(line);
        std::string w;
        while (ss >> w) raw.push_back(std::stoull(w, nullptr, 0));
      }
    }
    ++files;
    auto r = assemble(asm_text);
    ASSERT_TRUE(r.ok()) << entry.path().filename() << ": " << r.error().format();
    EXPECT_FALSE(r->empty()) << entry.path().filename();
    if (!raw.empty()) {
      ASSERT_EQ(r->size(), raw.size()) << entry.path().filename();
      for (size_t i = 0; i < raw.size(); ++i) {
        uint64_t w = raw[i];
        Insn want = I(w & 0xff, (w >> 8) & 0xf, (w >> 12) & 0xf,
                      static_cast<int16_t>((w >> 16) & 0xffff), static_cast<int32_t>(w >> 32));
        EXPECT_EQ(fmt((*r)[i]), fmt(want)) << entry.path().filename() << " insn " << i;
      }
    }
  }
  EXPECT_GE(files, 313);
}
