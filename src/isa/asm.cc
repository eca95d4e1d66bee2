// assemble(): splits the text into lines, skips listing prefixes and comments, records labels,
// hands each statement to the dialect parser, then resolves label references to pc-relative
// offsets (off for jumps, imm for gotol, local calls and subprog[] loads).
#include "isa/asm.h"

#include <cctype>
#include <optional>
#include <unordered_map>

#include "isa/asm_parse.h"

namespace bombus::isa {
namespace {

using asm_detail::Cursor;
using asm_detail::Fix;
using asm_detail::Line;
using asm_detail::Tok;
using asm_detail::Token;

bool is_hex_byte(const Token& t) {
  if (t.text.size() != 2) return false;
  for (char ch : t.text)
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

// Drops a bpftool listing prefix ("12:" and "(b7)") and reports a bare opcode-bytes line.
bool strip_listing(std::vector<Token>& toks) {
  size_t k = 0;
  if (toks.size() >= 2 && toks[0].kind == Tok::kNumber && toks[1].text == ":") k = 2;
  if (toks.size() >= k + 3 && toks[k].text == "(" && is_hex_byte(toks[k + 1]) &&
      toks[k + 2].text == ")")
    k += 3;
  toks.erase(toks.begin(), toks.begin() + static_cast<std::ptrdiff_t>(k));
  if (toks.size() == 8 || toks.size() == 16) {
    bool all = true;
    for (const auto& t : toks) all = all && is_hex_byte(t);
    if (all) {
      toks.clear();  // "b7 00 00 00 00 00 00 00": the opcodes line of a listing
      return true;
    }
  }
  return false;
}

// bpftool prints "int prog(struct __sk_buff * skb):" before each function of a listing.
bool is_function_header(std::string_view raw) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  return raw.size() > 3 && raw.substr(raw.size() - 2) == "):" &&
         raw.find('(') != std::string_view::npos && raw.find('=') == std::string_view::npos;
}

// The first token decides the dialect: the kernel syntax starts with a register, '*', "if",
// "goto", "lock *"; both share exit/call/callx/may_goto; everything else is a conformance
// mnemonic.
bool is_kernel_statement(const Cursor& c) {
  const Token& t = c.peek();
  if (t.kind == Tok::kReg) return t.text[0] != '%';
  if (t.text == "*" || t.text == "if" || t.text == "goto" || t.text == "gotol" ||
      t.text == "exit" || t.text == "call" || t.text == "callx" || t.text == "may_goto")
    return true;
  return t.text == "lock" && c.is("*", 1);
}

struct Pending {
  size_t index;
  int line;
  Fix fix;
  std::string label;
};

Error at_line(Error e, int line) {
  e.where.line = line;
  return e;
}

}  // namespace

Result<std::vector<Insn>> assemble(std::string_view text) {
  std::vector<Insn> out;
  std::unordered_map<std::string, size_t> labels;
  std::vector<Pending> pending;
  std::optional<size_t> first_exit;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view raw = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (is_function_header(raw)) continue;
    auto toks = asm_detail::lex(raw);
    if (!toks.ok()) return at_line(toks.error(), line_no);
    strip_listing(*toks);
    size_t k = 0;
    while (toks->size() >= k + 2 && (*toks)[k].kind == Tok::kIdent && (*toks)[k + 1].text == ":") {
      std::string name((*toks)[k].text);
      if (labels.count(name))
        return at_line(asm_detail::syntax("duplicate label " + asm_detail::quote(name)), line_no);
      labels[name] = out.size();
      k += 2;
    }
    toks->erase(toks->begin(), toks->begin() + static_cast<std::ptrdiff_t>(k));
    if (toks->empty()) continue;
    Cursor c(std::move(*toks));
    auto parsed =
        is_kernel_statement(c) ? asm_detail::parse_kernel(c) : asm_detail::parse_conformance(c);
    if (!parsed.ok()) return at_line(parsed.error(), line_no);
    Line& l = *parsed;
    if (l.fix != Fix::kNone) pending.push_back({out.size(), line_no, l.fix, l.label});
    if (l.insn[0].opcode == 0x95 && !first_exit) first_exit = out.size();
    for (int i = 0; i < l.count; ++i) out.push_back(l.insn[i]);
  }
  for (const Pending& p : pending) {
    auto it = labels.find(p.label);
    size_t target;
    if (it != labels.end()) {
      target = it->second;
    } else if (p.label == "exit" && first_exit) {
      target = *first_exit;
    } else {
      return at_line(asm_detail::syntax("undefined label " + asm_detail::quote(p.label)), p.line);
    }
    int64_t rel = static_cast<int64_t>(target) - static_cast<int64_t>(p.index) - 1;
    if (p.fix == Fix::kOff) {
      if (rel < -32768 || rel > 32767)
        return at_line(asm_detail::syntax("jump to " + asm_detail::quote(p.label) + " is " +
                                          std::to_string(rel) +
                                          " insns away, beyond a 16-bit offset (use gotol)"),
                       p.line);
      out[p.index].off = static_cast<int16_t>(rel);
    } else {
      out[p.index].imm = static_cast<int32_t>(rel);
    }
  }
  return out;
}

}  // namespace bombus::isa
