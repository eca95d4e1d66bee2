// `bombus prog ...`: bpftool's prog noun over the store.
#include <iostream>

#include "nouns.h"
#include "select.h"

namespace bombus::cli {

namespace {

int prog_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus prog { show | list } [PROG]\n"
               "       bombus prog help\n"
               "\n"
               "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

int prog_show(Args& args, const Globals& g) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  std::vector<uint32_t> ids;
  bool selected = !args.empty();
  if (selected) {
    auto sel = select_objects(args, *st, store::Kind::kProg);
    if (!sel.ok()) return fail(g, sel.error());
    ids = *sel;
    if (!args.empty()) return fail(g, "unexpected argument '" + args.peek() + "'");
  } else {
    ids = st->list(store::Kind::kProg);
  }
  nlohmann::json arr = nlohmann::json::array();
  for (uint32_t id : ids) {
    auto meta = st->read_meta(store::Kind::kProg, id);
    if (!meta.ok()) continue;  // reclaimed meanwhile
    auto pins = st->pins_of(store::Kind::kProg, id);
    if (g.json) {
      auto j = public_meta(*meta);
      if (!pins.empty()) j["pinned"] = pins;
      arr.push_back(j);
    } else {
      print_prog_text(*meta, pins);
    }
  }
  if (g.json) print_json(g, selected && arr.size() == 1 ? arr[0] : arr);
  return 0;
}

}  // namespace

int do_prog(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"show", prog_show},
      {"list", prog_show},
      {"help", [](Args&, const Globals& gg) { return prog_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return prog_show(args, g); });
}

}  // namespace bombus::cli
