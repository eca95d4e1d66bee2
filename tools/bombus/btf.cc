// `bombus btf ...`: bpftool's btf noun. `btf show` lists the BTF objects of the store (one per
// loaded object that carries BTF, alive while a program or map uses it) with the programs and
// maps that use each; `btf dump` prints BTF from a file, a store id, a map (its key/value root
// types) or a program, as raw text or as a C header.
#include "btf/btf.h"

#include <iostream>

#include "btf/dump.h"
#include "btf_json.h"
#include "loading.h"
#include "nouns.h"
#include "select.h"

namespace bombus::cli {

namespace {

int btf_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus btf { show | list } [id BTF_ID]\n"
               "       bombus btf dump BTF_SRC [format FORMAT]\n"
               "       bombus btf help\n"
               "\n"
               "       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] |\n"
               "                    file FILE [base FILE] }\n"
               "       FORMAT  := { raw | c }\n"
               "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n"
               "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

// Ids of the objects of `kind` whose metadata names BTF `btf_id`, highest first (the order
// bpftool prints them in).
std::vector<uint32_t> users_of(const store::Store& st, store::Kind kind, uint32_t btf_id) {
  std::vector<uint32_t> out;
  for (uint32_t id : st.list(kind)) {
    auto meta = st.read_meta(kind, id);
    if (meta.ok() && meta->value("btf_id", 0u) == btf_id) out.push_back(id);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

int btf_show(Args& args, const Globals& g) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  std::vector<uint32_t> ids;
  bool selected = false;
  if (args.accept("id")) {
    auto id = args.require_u64("BTF id");
    if (!id.ok()) return fail(g, id.error());
    if (!st->read_meta(store::Kind::kBtf, static_cast<uint32_t>(*id)).ok())
      return fail(g, "get by id (" + std::to_string(*id) + "): No such file or directory");
    ids.push_back(static_cast<uint32_t>(*id));
    selected = true;
  } else if (!args.empty()) {
    return fail(g, "expected 'id', got: '" + args.peek() + "'?");
  } else {
    ids = st->list(store::Kind::kBtf);
  }
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (uint32_t id : ids) {
    auto meta = st->read_meta(store::Kind::kBtf, id);
    if (!meta.ok()) continue;  // reclaimed meanwhile
    auto progs = users_of(*st, store::Kind::kProg, id);
    auto maps = users_of(*st, store::Kind::kMap, id);
    std::string name = meta->value("name", "");
    if (g.json) {
      nlohmann::ordered_json j = {{"id", id},
                                  {"size", meta->value("size", 0u)},
                                  {"prog_ids", progs},
                                  {"map_ids", maps},
                                  {"kernel", false}};
      if (!name.empty()) j["name"] = name;
      arr.push_back(j);
      continue;
    }
    std::cout << id << ": name " << (name.empty() ? "<anon>" : name) << "  size "
              << meta->value("size", 0u) << "B";
    auto list = [](const char* what, const std::vector<uint32_t>& v) {
      for (size_t i = 0; i < v.size(); ++i) std::cout << (i ? "," : what) << v[i];
    };
    list("  prog_ids ", progs);
    list("  map_ids ", maps);
    std::cout << "\n";
  }
  if (g.json) print_json(g, selected ? arr[0] : arr);
  return 0;
}

// The lines of bpftool's raw dump for the given root types ("[0] UNKNOWN '(anon)'" for void).
std::string raw_roots(const btf::Btf& t, const std::vector<uint32_t>& roots) {
  std::string out;
  for (uint32_t id : roots) {
    if (id == 0) {
      out += "[0] UNKNOWN '(anon)'\n";
    } else if (id >= t.start_id() && id < t.type_count()) {  // the raw dump's own types only
      btf::dump_raw_type(t, id, out);
    }
  }
  return out;
}

// The BTF and root types a `map MAP [key|value|kv|all]` or `prog PROG` source names.
struct Source {
  std::string btf_file;  // empty: from `file`
  std::vector<uint32_t> roots;
  bool all = true;
};

Result<Source> stored_source(Args& args, const store::Store& st, bool map) {
  Source src;
  store::Kind kind = map ? store::Kind::kMap : store::Kind::kProg;
  BOMBUS_ASSIGN_OR_RETURN(uint32_t id, select_one(args, st, kind));
  BOMBUS_ASSIGN_OR_RETURN(nlohmann::ordered_json meta, st.read_meta(kind, id));
  if (!meta.contains("btf_id")) {
    return make_error(Errc::kNotFound, std::string(map ? "map" : "prog") + " id " +
                                           std::to_string(id) + " has no BTF");
  }
  src.btf_file = st.dir(store::Kind::kBtf, meta["btf_id"].get<uint32_t>()) + "/btf";
  if (!map) return src;  // a program: its whole BTF, as bpftool prints it
  uint32_t key = meta.value("_btf_key_type_id", 0u), value = meta.value("_btf_value_type_id", 0u);
  src.all = false;
  if (args.accept("key")) {
    src.roots = {key};
  } else if (args.accept("value")) {
    src.roots = {value};
  } else if (args.accept("all")) {
    src.all = true;
  } else {
    args.accept("kv");  // the default
    src.roots = {key, value};
  }
  return src;
}

int btf_dump(Args& args, const Globals& g) {
  std::optional<btf::Btf> base;
  Source src;
  std::string file;
  if (args.accept("file")) {
    auto path = args.require("file path");
    if (!path.ok()) return fail(g, path.error());
    file = *path;
  } else if (args.empty()) {
    return fail(g, "expected BTF_SRC ('id', 'prog', 'map' or 'file')");
  } else {
    auto st = open_store(g);
    if (!st.ok()) return fail(g, st.error());
    Result<Source> r = make_error(Errc::kInvalid, "");
    if (args.accept("id")) {
      auto id = args.require_u64("BTF id");
      if (!id.ok()) return fail(g, id.error());
      if (!st->read_meta(store::Kind::kBtf, static_cast<uint32_t>(*id)).ok())
        return fail(g, "get btf by id (" + std::to_string(*id) + "): No such file or directory");
      r = Source{st->dir(store::Kind::kBtf, static_cast<uint32_t>(*id)) + "/btf", {}, true};
    } else if (args.accept("map")) {
      r = stored_source(args, *st, true);
    } else if (args.accept("prog")) {
      r = stored_source(args, *st, false);
    } else {
      return fail(g, "unrecognized BTF source specifier: '" + args.peek() + "'");
    }
    if (!r.ok()) return fail(g, r.error());
    src = std::move(r).value();
    file = src.btf_file;
  }
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
  auto t = btf::Btf::load_file(file, base ? &*base : nullptr);
  if (!t.ok()) return fail(g, t.error());
  if (g.json && format == "c") return fail(g, "JSON output for C-syntax dump is not supported");
  if (g.json) {
    print_json(g, btf_types_json(*t, src.all ? nullptr : &src.roots));
    return 0;
  }
  std::string out;
  if (src.all) {
    out = format == "c" ? btf::dump_c(*t) : btf::dump_raw(*t);
  } else if (format == "c") {
    btf::dump_c(*t, src.roots, out);
  } else {
    out = raw_roots(*t, src.roots);
  }
  std::cout << out;
  return 0;
}

}  // namespace

int do_btf(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"show", btf_show},
      {"list", btf_show},
      {"dump", btf_dump},
      {"help", [](Args&, const Globals& gg) { return btf_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return btf_show(args, g); });
}

}  // namespace bombus::cli
