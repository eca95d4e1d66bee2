// Selectors and `show` printers shared by the prog and map nouns.
#include "select.h"

#include <ctime>
#include <iostream>

namespace bombus::cli {

Result<store::Store> open_store(const Globals& g) {
  BOMBUS_ASSIGN_OR_RETURN(store::Store st, store::Store::open(g.root));
  {
    BOMBUS_ASSIGN_OR_RETURN(store::Lock lk, st.lock());
    st.gc();
  }
  return st;
}

Result<std::vector<uint32_t>> select_objects(Args& args, const store::Store& st, store::Kind kind) {
  const std::string kname(store::kind_name(kind));
  if (args.accept("id")) {
    BOMBUS_ASSIGN_OR_RETURN(uint64_t id, args.require_u64(kname + " id"));
    if (!st.exists(kind, static_cast<uint32_t>(id)) ||
        !st.read_meta(kind, static_cast<uint32_t>(id)).ok()) {
      return make_error(Errc::kNotFound,
                        "get by id (" + std::to_string(id) + "): No such file or directory");
    }
    return std::vector<uint32_t>{static_cast<uint32_t>(id)};
  }
  if (args.accept("pinned")) {
    BOMBUS_ASSIGN_OR_RETURN(std::string path, args.require("pinned path"));
    BOMBUS_ASSIGN_OR_RETURN(store::PinRef ref, store::Store::read_pin(path));
    if (ref.kind != kind) {
      return make_error(Errc::kInvalid,
                        "incorrect object type: " + std::string(store::kind_name(ref.kind)));
    }
    if (ref.root != st.root()) {
      return make_error(Errc::kNotFound, "'" + path + "' belongs to the store at '" + ref.root +
                                             "', not '" + st.root() +
                                             "' (set BOMBUS_ROOT or --root)");
    }
    if (!st.read_meta(kind, ref.id).ok()) {
      return make_error(Errc::kNotFound, "bpf obj get (" + path + "): No such file or directory");
    }
    return std::vector<uint32_t>{ref.id};
  }
  bool by_tag = kind == store::Kind::kProg && args.accept("tag");
  if (by_tag || args.accept("name")) {
    BOMBUS_ASSIGN_OR_RETURN(std::string want, args.require(by_tag ? "tag" : "name"));
    std::vector<uint32_t> out;
    for (uint32_t id : st.list(kind)) {
      auto meta = st.read_meta(kind, id);
      if (meta.ok() && meta->value(by_tag ? "tag" : "name", "") == want) out.push_back(id);
    }
    if (out.empty()) {
      return make_error(Errc::kNotFound, std::string("no ") + kname + " with " +
                                             (by_tag ? "tag " : "name ") + want + " found");
    }
    return out;
  }
  if (args.empty())
    return make_error(Errc::kInvalid, "expected 'id', 'pinned'" +
                                          std::string(kind == store::Kind::kProg ? ", 'tag'" : "") +
                                          " or 'name', got nothing");
  return make_error(Errc::kInvalid, "expected 'id', 'pinned'" +
                                        std::string(kind == store::Kind::kProg ? ", 'tag'" : "") +
                                        " or 'name', got: '" + args.peek() + "'?");
}

Result<uint32_t> select_one(Args& args, const store::Store& st, store::Kind kind) {
  BOMBUS_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, select_objects(args, st, kind));
  if (ids.size() != 1) {
    return make_error(Errc::kInvalid,
                      "several " + std::string(store::kind_name(kind)) + "s match: use 'id'");
  }
  return ids[0];
}

int show_objects(Args& args, const Globals& g, store::Kind kind,
                 const std::function<void(uint32_t, nlohmann::ordered_json&)>& refresh) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  std::vector<uint32_t> ids;
  bool selected = !args.empty();
  if (selected) {
    auto sel = select_objects(args, *st, kind);
    if (!sel.ok()) return fail(g, sel.error());
    ids = *sel;
    if (!args.empty()) return fail(g, "unexpected argument '" + args.peek() + "'");
  } else {
    ids = st->list(kind);
  }
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (uint32_t id : ids) {
    auto meta = st->read_meta(kind, id);
    if (!meta.ok()) continue;  // reclaimed meanwhile
    if (refresh) refresh(id, *meta);
    auto pins = !g.bpffs ? std::vector<std::string>{} : st->pins_of(kind, id);
    if (g.json) {
      auto j = public_meta(*meta);
      if (!pins.empty()) j["pinned"] = pins;
      arr.push_back(j);
    } else if (kind == store::Kind::kProg) {
      print_prog_text(*meta, pins);
    } else {
      print_map_text(*meta, pins);
    }
  }
  if (g.json) print_json(g, selected && arr.size() == 1 ? arr[0] : arr);
  return 0;
}

nlohmann::ordered_json public_meta(const nlohmann::ordered_json& meta) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (auto it = meta.begin(); it != meta.end(); ++it) {
    if (!it.key().empty() && it.key()[0] != '_') out[it.key()] = it.value();
  }
  return out;
}

static std::string iso_time(int64_t t) {
  char buf[64];
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  localtime_r(&tt, &tm);
  strftime(buf, sizeof buf, "%FT%T%z", &tm);
  return buf;
}

static std::string join_ids(const nlohmann::ordered_json& a) {
  std::string s;
  for (const auto& v : a) s += (s.empty() ? "" : ",") + std::to_string(v.get<uint64_t>());
  return s;
}

void print_prog_text(const nlohmann::ordered_json& m, const std::vector<std::string>& pins) {
  std::cout << m.value("id", 0u) << ": " << m.value("type", "unknown");
  if (!m.value("name", "").empty()) std::cout << "  name " << m.value("name", "");
  std::cout << "  tag " << m.value("tag", "") << (m.value("gpl_compatible", false) ? "  gpl" : "");
  if (m.contains("run_time_ns")) {
    std::cout << " run_time_ns " << m["run_time_ns"].get<uint64_t>() << " run_cnt "
              << m.value("run_cnt", 0ull);
  }
  std::cout << "\n\tloaded_at " << iso_time(m.value("loaded_at", 0ll)) << "  uid "
            << m.value("uid", 0u) << "\n";
  std::cout << "\txlated " << m.value("bytes_xlated", 0u) << "B";
  if (m.value("jited", false)) {
    std::cout << "  jited " << m.value("bytes_jited", 0u) << "B";
  } else {
    std::cout << "  not jited";
  }
  std::cout << "  memlock " << m.value("bytes_memlock", 0u) << "B";
  if (m.contains("map_ids") && !m["map_ids"].empty())
    std::cout << "  map_ids " << join_ids(m["map_ids"]);
  std::cout << "\n";
  if (m.contains("btf_id")) std::cout << "\tbtf_id " << m["btf_id"].get<uint32_t>() << "\n";
  for (const auto& p : pins) std::cout << "\tpinned " << p << "\n";
}

void print_map_text(const nlohmann::ordered_json& m, const std::vector<std::string>& pins) {
  char flags[32];
  std::snprintf(flags, sizeof flags, "0x%x", m.value("flags", 0u));
  std::cout << m.value("id", 0u) << ": " << m.value("type", "unknown");
  if (!m.value("name", "").empty()) std::cout << "  name " << m.value("name", "");
  std::cout << "  flags " << flags << "\n";
  std::cout << "\tkey " << m.value("bytes_key", 0u) << "B  value " << m.value("bytes_value", 0u)
            << "B  max_entries " << m.value("max_entries", 0u) << "  memlock "
            << m.value("bytes_memlock", 0ull) << "B\n";
  bool frozen = m.value("frozen", 0) != 0;
  if (m.contains("btf_id")) {
    std::cout << "\tbtf_id " << m["btf_id"].get<uint32_t>() << (frozen ? "  frozen" : "") << "\n";
  } else if (frozen) {
    std::cout << "\tfrozen\n";
  }
  for (const auto& p : pins) std::cout << "\tpinned " << p << "\n";
}

}  // namespace bombus::cli
