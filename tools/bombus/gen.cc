// `bombus gen ...`: bpftool's gen noun — `skeleton` (a C++ header with the object embedded and
// typed access to its programs, maps and globals) and `object` (static linking of BPF objects).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "gen/link.h"
#include "gen/skeleton.h"
#include "nouns.h"

namespace bombus::cli {

namespace {

int gen_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus gen object OUTPUT_FILE INPUT_FILE [INPUT_FILE...]\n"
               "       bombus gen skeleton FILE [name OBJECT_NAME]\n"
               "       bombus gen help\n"
               "\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

// bpftool's "'CMD' needs at least N arguments, M found" check, followed by the usage text.
bool need_args(const Globals& g, Args& args, std::string_view cmd, size_t n, int& rc) {
  if (args.remaining() >= n) return true;
  fail(g, "'" + std::string(cmd) + "' needs at least " + std::to_string(n) + " arguments, " +
              std::to_string(args.remaining()) + " found");
  if (!g.json) gen_help(g);
  rc = 255;
  return false;
}

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return make_error(Errc::kNotFound, "failed to stat() " + path + ": " + std::strerror(errno));
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(Errc::kIo, "failed to open " + path + ": " + std::strerror(errno));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

int gen_skeleton(Args& args, const Globals& g) {
  int rc = 0;
  if (!need_args(g, args, "skeleton", 1, rc)) return rc;
  std::string file = args.next();
  std::string name = gen::default_object_name(file);
  if (args.accept("name")) {
    auto n = args.require("object name");
    if (!n.ok()) return fail(g, n.error());
    name = *n;
  }
  if (!args.empty()) return fail(g, "extra unknown arguments");
  auto bytes = read_file(file);
  if (!bytes.ok()) return fail(g, bytes.error());
  auto h = gen::skeleton(*bytes, name);
  if (!h.ok()) return fail(g, h.error());
  std::cout << *h;
  return 0;
}

int gen_object(Args& args, const Globals& g) {
  int rc = 0;
  if (!need_args(g, args, "object", 2, rc)) return rc;
  std::string out = args.next();
  std::vector<std::string> inputs = args.rest();
  auto st = gen::link_files(out, inputs);
  if (!st.ok()) return fail(g, st.error());
  return 0;  // bpftool prints nothing on success, with or without -j
}

}  // namespace

int do_gen(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"object", gen_object},
      {"skeleton", gen_skeleton},
      {"help", [](Args&, const Globals& gg) { return gen_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return gen_help(g); });
}

}  // namespace bombus::cli
