// Internal to the assembler (asm.cc, asm_conformance.cc, asm_kernel.cc): the line lexer, a token
// cursor with the small parsing steps both dialects share (registers, numbers, jump targets,
// memory operands), and the per-line result that the driver collects and resolves labels for.
// Not a public header: include isa/asm.h instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "isa/insn.h"

namespace bombus::isa::asm_detail {

enum class Tok : uint8_t { kIdent, kNumber, kReg, kPunct, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;
};

// Splits one line (comments already allowed: '#' after whitespace, ';', '//') into tokens.
Result<std::vector<Token>> lex(std::string_view line);

// A register as written: number 0..15 and its spelling ('%' for "%r1", 'r' for "r1", 'w' for "w1").
struct Reg {
  uint8_t num = 0;
  char style = 'r';
};

// A signed literal as written (magnitude plus sign) so that range checks can see what was meant.
struct Num {
  bool neg = false;
  uint64_t mag = 0;
};

// Where a label reference lands once resolved: the 16-bit off or the 32-bit imm.
enum class Fix : uint8_t { kNone, kOff, kImm };

// A jump/call target: either a relative number or a label resolved later.
struct Target {
  std::string label;  // empty: use rel
  int64_t rel = 0;
};

// What one source line produced.
struct Line {
  Insn insn[2]{};
  int count = 0;
  Fix fix = Fix::kNone;
  std::string label;
};

Result<int32_t> to_imm32(Num n, std::string_view what);  // accepts -2^31 .. 2^32-1
Result<int16_t> to_off16(Num n);                         // accepts -2^15 .. 2^16-1
Result<uint64_t> to_imm64(Num n);                        // accepts -2^63 .. 2^64-1
bool fits_i32(Num n);                                    // -2^31 .. 2^31-1

// Stores a resolved or numeric target into the line (checking ranges) or records the label.
Status set_target(Line& line, Fix field, const Target& t);

class Cursor {
 public:
  explicit Cursor(std::vector<Token> toks) : toks_(std::move(toks)) {}

  const Token& peek(size_t k = 0) const;
  bool at_end() const { return peek().kind == Tok::kEnd; }
  bool is(std::string_view text, size_t k = 0) const;
  bool accept(std::string_view text);
  Status expect(std::string_view text);
  Status finish() const;  // error when tokens remain
  Token next();

  bool at_reg() const { return peek().kind == Tok::kReg; }
  bool at_num() const;  // optional sign then a number
  Result<Reg> reg();
  Result<Num> num();
  Result<Target> target();  // pc+N, pc-N, +N, -N, label
  // "(rN +off)" / "(rN)" kernel style or "[rN+off]" conformance style, per the opening bracket.
  Result<std::pair<Reg, int16_t>> mem(char open);

  static std::string describe(const Token& t);

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
};

Error syntax(std::string msg);
std::string quote(std::string_view s);  // 's' (built without operator+ chains)

Result<Line> parse_conformance(Cursor& c);
Result<Line> parse_kernel(Cursor& c);

}  // namespace bombus::isa::asm_detail
