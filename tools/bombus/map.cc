// `bombus map ...`: bpftool's map noun over the store.
#include <iostream>

#include "nouns.h"
#include "select.h"

namespace bombus::cli {

namespace {

int map_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus map { show | list } [MAP]\n"
               "       bombus map help\n"
               "\n"
               "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

int map_show(Args& args, const Globals& g) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  std::vector<uint32_t> ids;
  bool selected = !args.empty();
  if (selected) {
    auto sel = select_objects(args, *st, store::Kind::kMap);
    if (!sel.ok()) return fail(g, sel.error());
    ids = *sel;
    if (!args.empty()) return fail(g, "unexpected argument '" + args.peek() + "'");
  } else {
    ids = st->list(store::Kind::kMap);
  }
  nlohmann::json arr = nlohmann::json::array();
  for (uint32_t id : ids) {
    auto meta = st->read_meta(store::Kind::kMap, id);
    if (!meta.ok()) continue;
    auto pins = st->pins_of(store::Kind::kMap, id);
    if (g.json) {
      auto j = public_meta(*meta);
      if (!pins.empty()) j["pinned"] = pins;
      arr.push_back(j);
    } else {
      print_map_text(*meta, pins);
    }
  }
  if (g.json) print_json(g, selected && arr.size() == 1 ? arr[0] : arr);
  return 0;
}

}  // namespace

int do_map(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"show", map_show},
      {"list", map_show},
      {"help", [](Args&, const Globals& gg) { return map_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return map_show(args, g); });
}

}  // namespace bombus::cli
