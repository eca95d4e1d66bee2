// Shared plumbing of the `bombus` command: the argument cursor with bpftool's prefix matching,
// global options, and output (text or JSON, errors as bpftool prints them).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bombus::cli {

struct Globals {
  bool json = false;
  bool pretty = false;
  bool debug = false;
  bool bpffs = false;  // -f/--bpffs: show pinned paths in `show`
  std::string root;    // the store directory
};

// bpftool's is_prefix(): `word` is a non-empty prefix of `keyword`.
bool is_prefix(std::string_view word, std::string_view keyword);

// A cursor over the remaining words of the command line.
class Args {
 public:
  explicit Args(std::vector<std::string> words) : words_(std::move(words)) {}
  bool empty() const { return pos_ >= words_.size(); }
  size_t remaining() const { return words_.size() - pos_; }
  const std::string& peek() const { return words_[pos_]; }
  std::string next() { return words_[pos_++]; }
  // Consumes the next word when it is a prefix of `keyword`.
  bool accept(std::string_view keyword);
  // Next word, or an error "expected <what>" when there is none.
  Result<std::string> require(std::string_view what);
  Result<uint64_t> require_u64(std::string_view what);
  std::vector<std::string> rest();

 private:
  std::vector<std::string> words_;
  size_t pos_ = 0;
};

// A command is a function of the remaining words; it returns the process exit code.
using Handler = std::function<int(Args&, const Globals&)>;
struct Command {
  std::string_view name;
  Handler run;
};

// bpftool's cmd_select(): the first command whose name the word is a prefix of.
int dispatch(const std::vector<Command>& table, Args& args, const Globals& g,
             const std::function<int()>& help);

// Output helpers. Errors go to stderr as "Error: ..." or, with -j, to stdout as {"error":"..."}.
int fail(const Globals& g, const std::string& message);
int fail(const Globals& g, const Error& e);
void print_json(const Globals& g, const nlohmann::ordered_json& j);

// Parses the byte list grammar of bpftool: `[hex] BYTES` — decimal or 0x.. per byte, or with
// the `hex` keyword, hex bytes ("hex 01 02" / "hex 0102"). Consumes words while they are bytes.
Result<std::vector<uint8_t>> parse_bytes(Args& args, std::string_view what, size_t expected_size);

// The store directory: $BOMBUS_ROOT, else /run/bombus.
std::string default_root();

}  // namespace bombus::cli
