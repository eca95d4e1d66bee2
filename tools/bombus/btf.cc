// `bombus btf ...`: bpftool's btf noun (dump of BTF files as raw text or as a C header).
#include "btf/btf.h"

#include <iostream>

#include "btf/dump.h"
#include "nouns.h"

namespace bombus::cli {

namespace {

int btf_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus btf dump BTF_SRC [format FORMAT]\n"
               "       bombus btf help\n"
               "\n"
               "       BTF_SRC := { file FILE [base FILE] }\n"
               "       FORMAT  := { raw | c }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

int btf_dump(Args& args, const Globals& g) {
  if (!args.accept("file")) {
    return fail(g, args.empty() ? "expected BTF_SRC ('file FILE')"
                                : "unrecognized BTF source specifier: '" + args.peek() + "'");
  }
  auto path = args.require("file path");
  if (!path.ok()) return fail(g, path.error());
  std::optional<btf::Btf> base;
  std::string format = "raw";
  while (!args.empty()) {
    if (args.accept("format")) {
      auto f = args.require("format");
      if (!f.ok()) return fail(g, f.error());
      if (is_prefix(*f, "raw")) {
        format = "raw";
      } else if (is_prefix(*f, "c")) {
        format = "c";
      } else {
        return fail(g, "unrecognized format specifier: '" + *f + "', possible values: raw, c");
      }
    } else if (args.accept("base")) {
      auto b = args.require("base BTF file");
      if (!b.ok()) return fail(g, b.error());
      auto loaded = btf::Btf::load_file(*b);
      if (!loaded.ok()) return fail(g, loaded.error());
      base.emplace(std::move(loaded).value());
    } else {
      return fail(g, "unrecognized option: '" + args.peek() + "'");
    }
  }
  auto t = btf::Btf::load_file(*path, base ? &*base : nullptr);
  if (!t.ok()) return fail(g, t.error());
  if (g.json && format == "c") return fail(g, "JSON output for C-syntax dump is not supported");
  std::string out = format == "c" ? btf::dump_c(*t) : btf::dump_raw(*t);
  std::cout << out;
  return 0;
}

}  // namespace

int do_btf(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"dump", btf_dump},
      {"help", [](Args&, const Globals& gg) { return btf_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return btf_help(g); });
}

}  // namespace bombus::cli
