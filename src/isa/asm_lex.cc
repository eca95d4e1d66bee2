// The assembler's lexer and token cursor (see asm_parse.h): turns one line of either dialect into
// tokens and offers the shared parsing steps (registers, signed numbers, targets, memory operands).
#include <array>
#include <cctype>
#include <limits>

#include "isa/asm_parse.h"

namespace bombus::isa::asm_detail {
namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// "r0".."r15" / "w0".."w15" (any digit count, range checked by Cursor::reg()).
bool looks_like_reg(std::string_view w) {
  if (w.size() < 2 || (w[0] != 'r' && w[0] != 'w')) return false;
  for (size_t i = 1; i < w.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(w[i]))) return false;
  return true;
}

// Longest first, so "<<=" wins over "<=" and "<".
constexpr std::array<std::string_view, 27> kPuncts = {
    "<<=", ">>=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "==", "!=", ">=", "<=",
    ">",   "<",   "=",  "+",  "-",  "*",  "(",  ")",  "[",  "]",  ",",  ":",  "&"};
// Operators spelled with a leading 's' (signed variants).
constexpr std::array<std::string_view, 7> kSignedOps = {
    "s>>=", "s>=", "s<=", "s/=", "s%=", "s>", "s<"};

}  // namespace

Error syntax(std::string msg) {
  return make_error(Errc::kInvalid, std::move(msg));
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

Result<std::vector<Token>> lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    char c = s[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == ';') break;
    if (c == '/' && i + 1 < n && s[i + 1] == '/') break;
    if (c == '#') {
      if (i == 0 || is_space(s[i - 1])) break;  // comment; "name#5" keeps its '#'
      out.push_back({Tok::kPunct, s.substr(i, 1)});
      ++i;
      continue;
    }
    if (c == '%' && i + 1 < n && is_ident_start(s[i + 1])) {
      size_t j = i + 1;
      while (j < n && is_ident_char(s[j])) ++j;
      out.push_back({Tok::kReg, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (c == 's' && i + 1 < n &&
        (s[i + 1] == '>' || s[i + 1] == '<' || s[i + 1] == '/' || s[i + 1] == '%')) {
      bool matched = false;
      for (auto op : kSignedOps) {
        if (s.substr(i, op.size()) == op) {
          out.push_back({Tok::kPunct, s.substr(i, op.size())});
          i += op.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    if (is_ident_start(c)) {
      size_t j = i;
      while (j < n && is_ident_char(s[j])) ++j;
      auto w = s.substr(i, j - i);
      out.push_back({looks_like_reg(w) ? Tok::kReg : Tok::kIdent, w});
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < n && std::isalnum(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back({Tok::kNumber, s.substr(i, j - i)});
      i = j;
      continue;
    }
    bool matched = false;
    for (auto p : kPuncts) {
      if (s.substr(i, p.size()) == p) {
        out.push_back({Tok::kPunct, s.substr(i, p.size())});
        i += p.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    std::string what = std::isprint(static_cast<unsigned char>(c))
                           ? quote(std::string_view(&c, 1))
                           : "byte " + std::to_string(static_cast<unsigned char>(c));
    return syntax("unexpected character " + what);
  }
  return out;
}

const Token& Cursor::peek(size_t k) const {
  static const Token kEndTok{Tok::kEnd, {}};
  return pos_ + k < toks_.size() ? toks_[pos_ + k] : kEndTok;
}

bool Cursor::is(std::string_view text, size_t k) const {
  const Token& t = peek(k);
  return t.kind != Tok::kEnd && t.text == text;
}

bool Cursor::accept(std::string_view text) {
  if (!is(text)) return false;
  ++pos_;
  return true;
}

Token Cursor::next() {
  Token t = peek();
  if (t.kind != Tok::kEnd) ++pos_;
  return t;
}

std::string Cursor::describe(const Token& t) {
  if (t.kind == Tok::kEnd) return "end of line";
  return quote(t.text);
}

Status Cursor::expect(std::string_view text) {
  if (accept(text)) return {};
  return syntax("expected '" + std::string(text) + "' but found " + describe(peek()));
}

Status Cursor::finish() const {
  if (at_end()) return {};
  return syntax("unexpected " + describe(peek()) + " after the instruction");
}

bool Cursor::at_num() const {
  size_t k = 0;
  if (is("-") || is("+")) k = 1;
  return peek(k).kind == Tok::kNumber;
}

Result<Reg> Cursor::reg() {
  const Token& t = peek();
  if (t.kind != Tok::kReg) return syntax("expected a register but found " + describe(t));
  std::string_view w = t.text;
  Reg r;
  if (w[0] == '%') {
    w.remove_prefix(1);
    if (w.empty() || w[0] != 'r') return syntax("bad register " + describe(t));
    r.style = '%';
  } else {
    r.style = w[0];
  }
  w.remove_prefix(1);
  if (w.empty() || w.size() > 2) return syntax("bad register " + describe(t));
  unsigned v = 0;
  for (char ch : w) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return syntax("bad register " + describe(t));
    v = v * 10 + static_cast<unsigned>(ch - '0');
  }
  if (v > 15) return syntax("bad register " + describe(t) + " (the encoding holds r0..r15)");
  r.num = static_cast<uint8_t>(v);
  ++pos_;
  return r;
}

Result<Num> Cursor::num() {
  Num n;
  if (accept("-")) {
    n.neg = true;
  } else {
    accept("+");
  }
  const Token& t = peek();
  if (t.kind != Tok::kNumber) return syntax("expected a number but found " + describe(t));
  std::string_view w = t.text;
  unsigned base = 10;
  if (w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
    base = 16;
    w.remove_prefix(2);
  }
  uint64_t v = 0;
  for (char ch : w) {
    unsigned d;
    if (ch >= '0' && ch <= '9') {
      d = static_cast<unsigned>(ch - '0');
    } else if (base == 16 && ch >= 'a' && ch <= 'f') {
      d = static_cast<unsigned>(ch - 'a' + 10);
    } else if (base == 16 && ch >= 'A' && ch <= 'F') {
      d = static_cast<unsigned>(ch - 'A' + 10);
    } else {
      return syntax("bad number " + describe(t));
    }
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base)
      return syntax("number " + describe(t) + " does not fit in 64 bits");
    v = v * base + d;
  }
  n.mag = v;
  ++pos_;
  return n;
}

Result<Target> Cursor::target() {
  Target t;
  if (peek().kind == Tok::kIdent && peek().text == "pc" && (is("+", 1) || is("-", 1))) ++pos_;
  if (is("+") || is("-")) {
    bool neg = is("-");
    ++pos_;
    if (peek().kind != Tok::kNumber)
      return syntax("expected an offset after '" + std::string(neg ? "-" : "+") + "' but found " +
                    describe(peek()));
    BOMBUS_ASSIGN_OR_RETURN(Num n, num());
    if (n.mag > (uint64_t{1} << 32)) return syntax("jump offset out of range");
    t.rel = neg ? -static_cast<int64_t>(n.mag) : static_cast<int64_t>(n.mag);
    return t;
  }
  if (peek().kind == Tok::kIdent) {
    t.label = std::string(next().text);
    return t;
  }
  return syntax("expected a jump target (label, +N, -N or pc+N) but found " + describe(peek()));
}

Result<std::pair<Reg, int16_t>> Cursor::mem(char open) {
  const char close_ch = open == '[' ? ']' : ')';
  BOMBUS_TRY(expect(std::string_view(&open, 1)));
  BOMBUS_ASSIGN_OR_RETURN(Reg r, reg());
  int16_t off = 0;
  if (is("+") || is("-")) {
    BOMBUS_ASSIGN_OR_RETURN(Num n, num());
    BOMBUS_ASSIGN_OR_RETURN(off, to_off16(n));
  }
  BOMBUS_TRY(expect(std::string_view(&close_ch, 1)));
  return std::make_pair(r, off);
}

bool fits_i32(Num n) {
  return n.neg ? n.mag <= (uint64_t{1} << 31) : n.mag <= 0x7fffffffu;
}

Result<int32_t> to_imm32(Num n, std::string_view what) {
  if (n.neg) {
    if (n.mag > (uint64_t{1} << 31))
      return syntax(std::string(what) + " -" + std::to_string(n.mag) + " does not fit in 32 bits");
    return static_cast<int32_t>(static_cast<uint32_t>(0u - static_cast<uint32_t>(n.mag)));
  }
  if (n.mag > 0xffffffffu)
    return syntax(std::string(what) + " " + std::to_string(n.mag) + " does not fit in 32 bits");
  return static_cast<int32_t>(static_cast<uint32_t>(n.mag));
}

Result<int16_t> to_off16(Num n) {
  if (n.neg) {
    if (n.mag > 0x8000u)
      return syntax("offset -" + std::to_string(n.mag) + " does not fit in 16 bits");
    return static_cast<int16_t>(static_cast<uint16_t>(0u - static_cast<uint16_t>(n.mag)));
  }
  if (n.mag > 0xffffu)
    return syntax("offset " + std::to_string(n.mag) + " does not fit in 16 bits");
  return static_cast<int16_t>(static_cast<uint16_t>(n.mag));
}

Result<uint64_t> to_imm64(Num n) {
  if (n.neg) {
    if (n.mag > (uint64_t{1} << 63))
      return syntax("value -" + std::to_string(n.mag) + " does not fit in 64 bits");
    return uint64_t{0} - n.mag;
  }
  return n.mag;
}

Status set_target(Line& line, Fix field, const Target& t) {
  if (!t.label.empty()) {
    line.fix = field;
    line.label = t.label;
    return {};
  }
  if (field == Fix::kOff) {
    if (t.rel < -32768 || t.rel > 32767)
      return syntax("jump offset " + std::to_string(t.rel) + " does not fit in 16 bits");
    line.insn[0].off = static_cast<int16_t>(t.rel);
  } else {
    if (t.rel < std::numeric_limits<int32_t>::min() || t.rel > std::numeric_limits<int32_t>::max())
      return syntax("offset " + std::to_string(t.rel) + " does not fit in 32 bits");
    line.insn[0].imm = static_cast<int32_t>(t.rel);
  }
  return {};
}

}  // namespace bombus::isa::asm_detail
