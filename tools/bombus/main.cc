// `bombus`: bpftool's command grammar over a user-space store. This file only parses the global
// options and hands the words to one noun's file (prog.cc, map.cc, btf.cc, gen.cc, net.cc).
#include <getopt.h>

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "loading.h"
#include "nouns.h"

using namespace bombus::cli;

namespace {

constexpr const char* kVersion = "0.1.0";

int usage(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus [OPTIONS] OBJECT { COMMAND | help }\n"
               "       bombus version\n"
               "\n"
               "       OBJECT := { prog | map | btf | gen | net | filter }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |\n"
               "                    {-V|--version} }\n"
               "\n"
               "       The store (the kernel's part) is $BOMBUS_ROOT, else /run/bombus;\n"
               "       --root DIR overrides it.\n";
  return 0;
}

int version(const Globals& g) {
  if (g.json) {
    print_json(g, {{"version", kVersion},
                   {"engines", {"interp", "checked", "jit"}},
                   {"features", {{"skeletons", true}, {"store", g.root}}}});
  } else {
    std::cout << "bombus v" << kVersion << "\nfeatures: engines interp checked jit, skeletons\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Globals g;
  g.root = default_root();
  static const option long_opts[] = {
      {"json", no_argument, nullptr, 'j'},       {"pretty", no_argument, nullptr, 'p'},
      {"debug", no_argument, nullptr, 'd'},      {"bpffs", no_argument, nullptr, 'f'},
      {"help", no_argument, nullptr, 'h'},       {"version", no_argument, nullptr, 'V'},
      {"root", required_argument, nullptr, 'r'}, {nullptr, 0, nullptr, 0}};
  bool want_version = false, want_help = false;
  int c;
  // '+' stops at the first non-option so a noun's own words are left alone.
  while ((c = getopt_long(argc, argv, "+jpdfhV", long_opts, nullptr)) != -1) {
    switch (c) {
      case 'j':
        g.json = true;
        break;
      case 'p':
        g.json = true;
        g.pretty = true;
        break;
      case 'd':
        g.debug = true;
        break;
      case 'h':
        want_help = true;
        break;
      case 'V':
        want_version = true;
        break;
      case 'r':
        g.root = optarg;
        break;
      default:
        usage(g);
        return 255;
    }
  }
  if (want_version) return version(g);
  std::vector<std::string> words(argv + optind, argv + argc);
  if (want_help || words.empty()) return usage(g);
  register_engines();
  Args args(std::move(words));
  std::vector<Command> table = {
      {"help", [&](Args&, const Globals& gg) { return usage(gg); }},
      {"prog", do_prog},
      {"map", do_map},
      {"btf", do_btf},
      {"net", do_net},
      {"filter", do_filter},
      {"gen", do_gen},
      {"version", [&](Args&, const Globals& gg) { return version(gg); }},
  };
  return dispatch(table, args, g, [&] { return usage(g); });
}
