// Argument cursor, prefix matching and output conventions of the `bombus` command.
#include "cli.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

namespace bombus::cli {

bool is_prefix(std::string_view word, std::string_view keyword) {
  return !word.empty() && word.size() <= keyword.size() && keyword.substr(0, word.size()) == word;
}

bool Args::accept(std::string_view keyword) {
  if (empty() || !is_prefix(peek(), keyword)) return false;
  ++pos_;
  return true;
}

Result<std::string> Args::require(std::string_view what) {
  if (empty()) return make_error(Errc::kInvalid, "expected " + std::string(what));
  return next();
}

static Result<uint64_t> parse_u64(const std::string& s, std::string_view what) {
  if (s.empty()) return make_error(Errc::kInvalid, "expected " + std::string(what));
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || s[0] == '-') {
    return make_error(Errc::kInvalid, "can't parse " + std::string(what) + " '" + s + "'");
  }
  return static_cast<uint64_t>(v);
}

Result<uint64_t> Args::require_u64(std::string_view what) {
  BOMBUS_ASSIGN_OR_RETURN(std::string s, require(what));
  return parse_u64(s, what);
}

std::vector<std::string> Args::rest() {
  std::vector<std::string> out(words_.begin() + static_cast<long>(pos_), words_.end());
  pos_ = words_.size();
  return out;
}

int dispatch(const std::vector<Command>& table, Args& args, const Globals& g,
             const std::function<int()>& help) {
  if (args.empty()) return help();
  std::string word = args.peek();
  for (const auto& c : table) {
    if (is_prefix(word, c.name)) {
      args.next();
      return c.run(args, g);
    }
  }
  return fail(g, "command '" + word + "' not recognized, try 'help'");
}

void print_json(const Globals& g, const nlohmann::ordered_json& j) {
  std::cout << (g.pretty ? j.dump(3) : j.dump()) << "\n";
}

int fail(const Globals& g, const std::string& message) {
  if (g.json) {
    std::cout << nlohmann::ordered_json{{"error", message}}.dump(g.pretty ? 3 : -1) << "\n";
  } else {
    std::cerr << "Error: " << message << "\n";
  }
  return 255;
}

int fail(const Globals& g, const Error& e) {
  return fail(g, e.format());
}

static std::optional<int> parse_byte(const std::string& w, bool hex) {
  char* end = nullptr;
  long v = std::strtol(w.c_str(), &end, hex ? 16 : 0);
  if (w.empty() || *end != '\0' || v < 0 || v > 255) return std::nullopt;
  return static_cast<int>(v);
}

Result<std::vector<uint8_t>> parse_bytes(Args& args, std::string_view what, size_t expected_size) {
  std::vector<uint8_t> out;
  bool hex = args.accept("hex");
  while (!args.empty() && out.size() < expected_size) {
    const std::string& w = args.peek();
    if (hex && w.size() > 2 && w.size() % 2 == 0 &&
        w.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
      // "hex 0a0b0c" form: several bytes in one word.
      for (size_t i = 0; i < w.size(); i += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(w.substr(i, 2), nullptr, 16)));
      args.next();
      continue;
    }
    auto b = parse_byte(w, hex);
    if (!b) break;
    out.push_back(static_cast<uint8_t>(*b));
    args.next();
  }
  if (out.size() != expected_size) {
    if (!args.empty() && out.size() < expected_size) {
      return make_error(Errc::kInvalid, "error parsing byte: " + args.peek());
    }
    return make_error(Errc::kInvalid, std::string(what) + " expected " +
                                          std::to_string(expected_size) + " bytes got " +
                                          std::to_string(out.size()));
  }
  return out;
}

std::string default_root() {
  const char* env = std::getenv("BOMBUS_ROOT");
  if (env && *env) return env;
  return "/run/bombus";
}

}  // namespace bombus::cli
