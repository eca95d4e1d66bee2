// Validation tests: each rejection names the right insn and reason; good programs (including all
// of the conformance suite, with the RFC's large shifts allowed) pass; decode()/encode() agree;
// random bytes never crash decode/validate/disassemble.
#include "isa/validate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "isa/asm.h"
#include "isa/disasm.h"

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

std::vector<Insn> as(std::string_view text) {
  auto r = assemble(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().format());
  return r.ok() ? *r : std::vector<Insn>{};
}

}  // namespace

TEST(Validate, AcceptsWellFormedPrograms) {
  for (const char* text : {
           "r0 = 0\nexit",
           "r1 = map[id:3]\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem#1\nexit",
           "r0 = 1\ncall f\nexit\nf: r0 = 2\nexit",
           "r1 = subprog[+3]\nr0 = 0\nexit\nr0 = 1\nexit",
           "if r1 > 5 goto l\nr0 = 0\ngoto out\nl: r0 = 1\nout: exit",
           "r0 = 0x1122334455667788 ll\nexit",
           "gotol pc+1\nexit\nexit",
           "r0 = *(u16 *)skb[12]\nexit",
           "lock *(u64 *)(r10 -8) += r1\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)\nexit",
           "r1 = (s8)r2\nw1 = (s16)w2\nr3 s/= 3\nw3 s%= w4\nr0 = bswap16 r0\nexit",
           "callx r2\nexit",
           "r1 <<= 63\nw1 >>= 31\nr0 = 0\nexit",
       }) {
    auto prog = as(text);
    auto st = validate(prog);
    EXPECT_TRUE(st.ok()) << text << "\n -> " << st.error().format();
  }
}

TEST(Validate, RejectsWithInsnAndReason) {
  struct Case {
    std::vector<Insn> prog;
    int64_t insn;
    const char* needle;
  };
  const std::vector<Case> cases = {
      {{I(0xff), I(0x95)}, 0, "unknown opcode ff"},
      {{I(0xb7, 0, 1, 0, 1), I(0x95)}, 0, "BPF_MOV uses reserved fields"},
      {{I(0x07, 0, 0, 3, 1), I(0x95)}, 0, "BPF_ALU uses reserved fields"},
      {{I(0x0c, 0, 1, 0, 7), I(0x95)}, 0, "BPF_ALU uses reserved fields"},
      {{I(0x3f, 0, 1, 2), I(0x95)}, 0, "reserved fields"},                // sdiv needs off 1
      {{I(0xbf, 0, 1, 7), I(0x95)}, 0, "BPF_MOV uses reserved fields"},   // movsx width
      {{I(0xbc, 0, 1, 32), I(0x95)}, 0, "BPF_MOV uses reserved fields"},  // no movsx32 from 32
      {{I(0xdc, 0, 0, 0, 8), I(0x95)}, 0, "BPF_END uses reserved fields"},
      {{I(0x87, 0, 0, 0, 1), I(0x95)}, 0, "BPF_NEG uses reserved fields"},
      {{I(0xdb, 10, 1, -8, 0x02), I(0x95)}, 0, "invalid atomic opcode 02"},
      {{I(0x61, 0, 1, 0, 5), I(0x95)}, 0, "BPF_LDX uses reserved fields"},
      {{I(0x62, 10, 1, -4, 5), I(0x95)}, 0, "BPF_ST uses reserved fields"},
      {{I(0x63, 10, 1, -4, 5), I(0x95)}, 0, "BPF_STX uses reserved fields"},
      {{I(0x95, 0, 0, 0, 1)}, 0, "BPF_EXIT uses reserved fields"},
      {{I(0xb7, 11, 0, 0, 0), I(0x95)}, 0, "R11 is invalid"},
      {{I(0xbf, 0, 12), I(0x95)}, 0, "R12 is invalid"},
      {{I(0xb7, 10, 0, 0, 0), I(0x95)}, 0, "frame pointer is read only"},
      {{I(0x61, 10, 1), I(0x95)}, 0, "frame pointer is read only"},
      {{I(0xdb, 1, 10, 0, 0x01), I(0x95)}, 0, "frame pointer is read only"},
      {{I(0x05, 0, 0, 5), I(0x95)}, 0, "jump out of range from insn 0 to 6"},
      {{I(0x05, 0, 0, -2), I(0x95)}, 0, "jump out of range from insn 0 to -1"},
      {{I(0x06, 0, 0, 0, 9), I(0x95)}, 0, "jump out of range"},
      {{I(0x15, 1, 0, 1, 0), I(0x18), I(0), I(0x95)}, 0, "jump into the middle of ldimm64 insn 1"},
      {{I(0xb7), I(0x18, 1)}, 1, "missing its second half"},
      {{I(0x18, 1), I(0x07), I(0x95)}, 0, "invalid bpf_ld_imm64 insn"},
      {{I(0x18, 1, 9), I(0), I(0x95)}, 0, "unrecognized bpf_ld_imm64 insn"},
      {{I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 1), I(0x95)}, 0, "second imm must be 0"},
      {{I(0xb7), I(0x07)}, 1, "last insn is not an exit or jmp"},
      {{I(0xb7), I(0x18), I(0)}, 2, "last insn is not an exit or jmp"},
      {{I(0x85, 0, 0, 0, -1), I(0x95)}, 0, "invalid func unknown#-1"},
      {{I(0x85, 0, 1, 0, 7), I(0x95)}, 0, "call to invalid destination (insn 8"},
      {{I(0x85, 0, 3, 0, 1), I(0x95)}, 0, "BPF_CALL uses reserved fields"},
      {{I(0x85, 1, 0, 0, 1), I(0x95)}, 0, "BPF_CALL uses reserved fields"},
      {{I(0x37, 1, 0, 0, 0), I(0x95)}, 0, "div by zero"},
      {{I(0x94, 1, 0, 1, 0), I(0x95)}, 0, "div by zero"},
      {{I(0x67, 1, 0, 0, 64), I(0x95)}, 0, "invalid shift 64"},
      {{I(0x74, 1, 0, 0, 32), I(0x95)}, 0, "invalid shift 32"},
      {{I(0xc7, 1, 0, 0, -1), I(0x95)}, 0, "invalid shift -1"},
      {{I(0x20, 1, 0, 0, 1), I(0x95)}, 0, "BPF_LD_[ABS|IND] uses reserved fields"},
      {{I(0x8d, 0, 1), I(0x95)}, 0, "BPF_CALL uses reserved fields"},
      // A function that falls through into the next one.
      {{I(0x85, 0, 1, 0, 1), I(0x95), I(0xb7), I(0xb7)}, 3, "last insn is not an exit or jmp"},
      {{I(0x85, 0, 1, 0, 1), I(0x95), I(0xb7), I(0x05, 0, 0, -3)}, 3, "outside its function"},
      {{I(0x85, 0, 1, 0, 1), I(0xb7), I(0x95), I(0x95)}, 1, "last insn is not an exit or jmp"},
      {{}, 0, "program is empty"},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const auto& c = cases[k];
    auto st = validate(c.prog);
    ASSERT_FALSE(st.ok()) << "case " << k << " (" << c.needle << ") was accepted";
    EXPECT_EQ(st.error().where.insn, c.insn) << "case " << k << ": " << st.error().format();
    EXPECT_NE(st.error().message.find(c.needle), std::string::npos)
        << "case " << k << ": " << st.error().format();
  }
}

TEST(Validate, Options) {
  std::vector<Insn> shift = {I(0x67, 1, 0, 0, 64), I(0x95)};
  ValidateOptions o;
  o.allow_large_shift_imm = true;
  EXPECT_TRUE(validate(shift, o).ok());
  std::vector<Insn> div0 = {I(0x3f - 8, 1, 0, 0, 0), I(0x95)};
  o.allow_div_by_zero_imm = true;
  EXPECT_TRUE(validate(div0, o).ok());

  std::vector<Insn> call = {I(0x85, 0, 0, 0, 7), I(0x95)};
  ValidateOptions h;
  h.helper_exists = [](int32_t id) { return id == 1; };
  auto st = validate(call, h);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "invalid func unknown#7");
  call[0].imm = 1;
  EXPECT_TRUE(validate(call, h).ok());

  ValidateOptions strict;
  strict.allow_pseudo = false;
  strict.allow_callx = false;
  strict.allow_legacy_packet = false;
  EXPECT_FALSE(validate(as("r1 = map[id:1]\nexit"), strict).ok());
  EXPECT_TRUE(validate(as("r1 = 7 ll\nexit"), strict).ok());
  EXPECT_FALSE(validate(as("call kernel-function#5\nexit"), strict).ok());
  EXPECT_FALSE(validate(as("callx r1\nexit"), strict).ok());
  EXPECT_FALSE(validate(as("r0 = *(u8 *)skb[1]\nexit"), strict).ok());

  ValidateOptions reach;
  reach.reject_unreachable = true;
  auto dead = as("goto out\nr0 = 1\nout: exit");
  EXPECT_TRUE(validate(dead).ok());
  auto unreachable = validate(dead, reach);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().message, "unreachable insn 1");
  EXPECT_EQ(unreachable.error().where.insn, 1);
  EXPECT_TRUE(validate(as("r0 = 0\ncall f\nexit\nf: r0 = 1 ll\nexit"), reach).ok());

  ValidateOptions small;
  small.max_insns = 2;
  auto big = validate(as("r0 = 0\nr0 = 0\nexit"), small);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, bombus::Errc::kTooBig);
}

TEST(Validate, DecodeEncode) {
  auto prog = as("r1 = 0x1122334455667788 ll\n*(u32 *)(r10 -4) = -2\nif r1 s> r2 goto pc-3\nexit");
  auto bytes = encode(prog);
  ASSERT_EQ(bytes.size(), prog.size() * 8);
  EXPECT_EQ(bytes[0], 0x18);
  EXPECT_EQ(bytes[1], 0x01);
  EXPECT_EQ(bytes[4], 0x88);
  EXPECT_EQ(bytes[17], 0x0a);  // dst r10 in the low nibble
  EXPECT_EQ(bytes[18], 0xfc);  // off -4, little-endian
  EXPECT_EQ(bytes[19], 0xff);
  EXPECT_EQ(bytes[25], 0x21);  // dst r1, src r2
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, prog);

  std::vector<uint8_t> odd(13, 0);
  auto bad = decode(odd);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where.byte_offset, 8);
  EXPECT_NE(bad.error().message.find("multiple of 8"), std::string::npos);
  EXPECT_TRUE(decode({}).ok());
}

// Random byte strings, biased towards real opcodes: decode, validate and disassemble must
// return (pass or fail), never crash. Runs under ASan/UBSan in the sanitizer build.
TEST(Validate, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  std::vector<uint8_t> valid_ops;
  for (const auto& e : kOpTable)
    if (e.kind != OpKind::kInvalid) valid_ops.push_back(e.opcode);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 8000; ++iter) {
    std::vector<uint8_t> bytes(rng() % 10 ? (rng() % 8 + 1) * 8 : rng() % 64 + 1);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    for (size_t k = 0; k + 8 <= bytes.size(); k += 8) {
      if (rng() % 4) bytes[k] = valid_ops[rng() % valid_ops.size()];
      if (rng() % 2) bytes[k + 1] &= 0x77;
      if (rng() % 2) {  // small forward offsets so that some jumps land
        bytes[k + 2] = static_cast<uint8_t>(rng() % 4);
        bytes[k + 3] = 0;
      }
      if (rng() % 2) bytes[k + 4] = bytes[k + 5] = bytes[k + 6] = bytes[k + 7] = 0;
    }
    if (bytes.size() % 8 == 0 && rng() % 2) {  // end in a clean exit half of the time
      std::fill(bytes.end() - 8, bytes.end(), 0);
      bytes[bytes.size() - 8] = 0x95;
    }
    auto prog = decode(bytes);
    if (!prog.ok()) continue;
    auto st = validate(*prog);
    (st.ok() ? accepted : rejected)++;
    if (!st.ok()) {
      ASSERT_TRUE(st.error().where.insn.has_value());
      ASSERT_LT(*st.error().where.insn, std::max<int64_t>(1, static_cast<int64_t>(prog->size())));
    }
    std::string listing = disassemble(*prog);
    EXPECT_FALSE(listing.empty() && !prog->empty());
    if (st.ok()) {  // a valid program reads back exactly from its listing
      auto back = assemble(listing);
      ASSERT_TRUE(back.ok()) << listing << back.error().format();
      ASSERT_EQ(*back, *prog) << listing;
    }
  }
  // Both outcomes are reached, so the checks above ran on both paths.
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

TEST(Validate, ConformanceSuite) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(BOMBUS_SHARED_DIR) / "conformance";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no conformance data at " << dir;
  int files = 0, strict_rejects = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".data") continue;
    std::ifstream in(entry.path());
    std::string line, section, text;
    while (std::getline(in, line)) {
      if (line.rfind("--", 0) == 0) {
        section = line.substr(2);
        section.erase(0, section.find_first_not_of(' '));
      } else if (section == "asm") {
        text += line + "\n";
      }
    }
    auto prog = assemble(text);
    ASSERT_TRUE(prog.ok()) << entry.path().filename();
    ++files;
    ValidateOptions relaxed;
    relaxed.allow_large_shift_imm = true;
    auto st = validate(*prog, relaxed);
    EXPECT_TRUE(st.ok()) << entry.path().filename() << ": " << st.error().format();
    auto strict = validate(*prog);
    if (!strict.ok()) {
      ++strict_rejects;
      EXPECT_NE(strict.error().message.find("invalid shift"), std::string::npos)
          << entry.path().filename() << ": " << strict.error().format();
    }
  }
  EXPECT_GE(files, 313);
  // The kernel rejects exactly the out-of-range constant shifts (12 programs of the suite).
  EXPECT_EQ(strict_rejects, 12);
}
