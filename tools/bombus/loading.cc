// Loading objects into the store and back. See loading.h.
#include "loading.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <sstream>

#include "base/bytes.h"
#include "btf/btf.h"
#include "jit/engine/jit_engine.h"
#include "platform/program_types.h"
#include "runtime/engine.h"
#include "runtime/object_impl.h"
#include "runtime/verifier_input.h"
#include "store/prog_tag.h"
#include "verifier/verifier.h"
#include "verify_cache_use.h"

namespace fs = std::filesystem;

namespace bombus::cli {

Result<Engine> parse_engine(const std::string& word) {
  if (is_prefix(word, "interp")) return Engine::kInterp;
  if (is_prefix(word, "jit")) return Engine::kJit;
  if (is_prefix(word, "checked")) return Engine::kChecked;
  return make_error(Errc::kInvalid,
                    "unknown engine '" + word + "', expected interp, jit or checked");
}

void register_engines() {
  jit::register_jit_engine();
}

Engine default_engine() {
  return runtime::find_engine(Engine::kJit) ? Engine::kJit : Engine::kInterp;
}

std::string pin_name(const std::string& map_name) {
  std::string s = map_name;
  for (char& c : s) {
    if (c == '.') c = '_';
  }
  return s;
}

static std::string map_file(const store::Store& st, uint32_t id) {
  return st.dir(store::Kind::kMap, id) + "/data";
}

Result<std::unique_ptr<vm::Map>> open_stored_map(const store::Store& st, uint32_t map_id) {
  if (!st.read_meta(store::Kind::kMap, map_id).ok()) {
    return make_error(Errc::kNotFound, "map id " + std::to_string(map_id) + " not found");
  }
  return vm::Map::open(map_file(st, map_id));
}

static bool is_prog_array(const vm::Map& m) {
  return m.type() == platform::MapType::kProgArray;
}

// The loaded program of a reloaded object (reload_program loads exactly one).
static Program* loaded_program(Loaded& l) {
  for (Program& p : l.obj->programs()) {
    if (p.loaded()) return &p;
  }
  return nullptr;
}

Status bind_tail_calls(const store::Store& st, uint32_t prog_id, Loaded& l,
                       std::optional<Engine> engine, std::vector<Loaded>& targets) {
  std::set<uint32_t> seen_progs = {prog_id}, seen_maps;
  std::vector<const Map*> pending;
  auto queue_maps = [&](Loaded& ld) {
    auto maps = ld.obj->maps();
    for (size_t i = 0; i < maps.size(); ++i) {
      if (is_prog_array(*maps[i].raw()) && i < ld.map_ids.size() &&
          seen_maps.insert(ld.map_ids[i]).second)
        pending.push_back(&maps[i]);
    }
  };
  // Every load registers its programs under this process's own ids, which may equal store ids;
  // so load everything first and register the store ids last.
  std::vector<std::pair<uint32_t, Program*>> bind = {{prog_id, loaded_program(l)}};
  queue_maps(l);
  while (!pending.empty()) {
    const Map* m = pending.back();
    pending.pop_back();
    vm::Map& raw = *m->raw();
    for (uint32_t slot = 0; slot < raw.spec().max_entries; ++slot) {
      uint32_t target = 0;
      if (raw.sys_lookup(&slot, &target, 0) != 0 || target == 0 ||
          !seen_progs.insert(target).second)
        continue;
      auto t = reload_program_cached(st, target, engine, false);
      if (!t.ok()) continue;  // reclaimed meanwhile: the slot falls through, as an empty one
      targets.push_back(std::move(t).value());
      bind.emplace_back(target, loaded_program(targets.back()));
      queue_maps(targets.back());
    }
  }
  for (auto [id, p] : bind) {
    if (p && p->impl()->image) runtime::register_program_handle(id, p->impl()->image->handle());
  }
  return {};
}

Status store_prog_array_slots(Loaded& l,
                              const std::vector<std::pair<uint32_t, uint32_t>>& store_ids) {
  const auto& specs = l.obj->impl()->spec.maps;
  auto maps = l.obj->maps();
  for (size_t i = 0; i < specs.size() && i < maps.size(); ++i) {
    if (specs[i].init_slots.empty() || !is_prog_array(*maps[i].raw())) continue;
    vm::Map& raw = *maps[i].raw();
    for (const auto& init : specs[i].init_slots) {
      uint32_t slot = init.first, runtime_id = 0, store_id = 0;
      if (raw.sys_lookup(&slot, &runtime_id, 0) != 0 || runtime_id == 0) continue;
      for (auto [rid, sid] : store_ids) {
        if (rid == runtime_id) store_id = sid;
      }
      long r = store_id ? raw.sys_update(&slot, &store_id, 0) : raw.sys_delete(&slot);
      if (r != 0) {
        return make_error(Errc::kIo, "map '" + specs[i].name + "': can't store slot " +
                                         std::to_string(slot) + " (error " + std::to_string(r) +
                                         ")");
      }
    }
  }
  return {};
}

Result<Loaded> load_object(const store::Store& st, const LoadRequest& req) {
  ObjectOptions opts;
  opts.engine = req.engine;
  // The object name as libbpf derives it from the file name (global-data map names use it).
  opts.object_name = req.object_name.substr(0, req.object_name.find('.'));
  // New maps are created in a scratch folder of the store, then moved to their ids.
  opts.map_dir = st.root() + "/tmp." + std::to_string(::getpid());
  std::error_code ec;
  fs::create_directories(opts.map_dir, ec);
  // trace_printk lines go to the store's trace pipe (`prog tracelog` reads it).
  std::string trace_path = st.root() + "/trace_pipe";
  opts.trace = [trace_path](std::string_view msg) {
    if (FILE* f = std::fopen(trace_path.c_str(), "a")) {
      std::fwrite(msg.data(), 1, msg.size(), f);
      if (msg.empty() || msg.back() != '\n') std::fputc('\n', f);
      std::fclose(f);
    }
  };
  BOMBUS_ASSIGN_OR_RETURN(std::unique_ptr<Object> obj, Object::open_memory(req.bytes, opts));
  runtime::ObjectImpl& o = *obj->impl();
  Loaded l;
  l.map_ids.assign(o.spec.maps.size(), 0);
  for (auto [idx, id] : req.reuse) {
    if (idx >= o.spec.maps.size()) {
      return make_error(Errc::kInvalid, "map idx " + std::to_string(idx) +
                                            " out of range (object has " +
                                            std::to_string(o.spec.maps.size()) + " maps)");
    }
    o.opts.reuse_map_files.emplace_back(idx, map_file(st, id));
    l.map_ids[idx] = id;
    // A map from the store keeps its contents: its slots hold store ids already, and this
    // process's program ids must not overwrite them.
    o.spec.maps[idx].init_slots.clear();
  }
  const platform::ProgTypeInfo* t = nullptr;
  if (req.type) {
    t = platform::prog_type_by_name(*req.type);
    if (!t) return make_error(Errc::kInvalid, "unrecognized program type: " + *req.type);
  }
  bool found = !req.only_program;
  for (auto& p : o.prog_impls) {
    if (t) p->type = t->type;
  }
  for (auto& ps : o.spec.programs) {
    if (!req.only_program) continue;
    ps.autoload = ps.name == *req.only_program;
    found |= ps.autoload;
  }
  if (!found)
    return make_error(Errc::kNotFound, "program '" + *req.only_program + "' not found in object");
  if (req.before_load) req.before_load(o);
  Status st_load = obj->load();
  if (!st_load.ok()) {
    fs::remove_all(opts.map_dir, ec);
    return st_load.error();
  }
  l.obj = std::move(obj);
  return l;
}

Status adopt_btf(const store::Store& st, Loaded& l) {
  const auto& spec = l.obj->impl()->spec;
  if (l.btf_id != 0 || !spec.btf) return {};
  BOMBUS_ASSIGN_OR_RETURN(uint32_t id, const_cast<store::Store&>(st).create(store::Kind::kBtf));
  std::vector<uint8_t> raw = spec.btf->encode();
  BOMBUS_TRY(store::write_file(st.dir(store::Kind::kBtf, id) + "/btf", raw.data(), raw.size()));
  nlohmann::ordered_json meta = {{"id", id}, {"size", raw.size()}, {"_object", spec.name}};
  BOMBUS_TRY(st.write_meta(store::Kind::kBtf, id, meta));
  l.btf_id = id;
  return {};
}

std::string map_btf_file(const store::Store& st, uint32_t map_id,
                         const nlohmann::ordered_json& meta) {
  if (meta.contains("btf_id"))
    return st.dir(store::Kind::kBtf, meta["btf_id"].get<uint32_t>()) + "/btf";
  return "";
}

Status adopt_maps(const store::Store& st, Loaded& l) {
  BOMBUS_TRY(adopt_btf(st, l));
  auto maps = l.obj->maps();
  std::error_code ec;
  std::string scratch;
  for (size_t i = 0; i < maps.size(); ++i) {
    if (l.map_ids[i] != 0) continue;
    const Map& m = maps[i];
    BOMBUS_ASSIGN_OR_RETURN(uint32_t id, const_cast<store::Store&>(st).create(store::Kind::kMap));
    if (m.path().empty()) return make_error(Errc::kIo, "map '" + m.name() + "' has no file");
    scratch = fs::path(m.path()).parent_path().string();
    fs::rename(m.path(), map_file(st, id), ec);
    if (ec)
      return make_error(Errc::kIo,
                        "can't move map '" + m.name() + "' into the store: " + ec.message());
    struct stat sb;
    uint64_t bytes =
        ::stat(map_file(st, id).c_str(), &sb) == 0 ? static_cast<uint64_t>(sb.st_size) : 0;
    nlohmann::ordered_json meta = {{"id", id},
                                   {"type", std::string(platform::map_type_name(m.type()))},
                                   {"name", m.name()},
                                   {"flags", m.flags()},
                                   {"bytes_key", m.key_size()},
                                   {"bytes_value", m.value_size()},
                                   {"max_entries", m.max_entries()},
                                   {"bytes_memlock", bytes},
                                   {"frozen", m.raw()->frozen() ? 1 : 0}};
    // The object's BTF goes with the map, so `map dump` can format its keys and values.
    const auto& spec = l.obj->impl()->spec;
    if (l.btf_id != 0 && i < spec.maps.size() && spec.maps[i].btf_value_type_id != 0) {
      meta["btf_id"] = l.btf_id;
      meta["_btf_key_type_id"] = spec.maps[i].btf_key_type_id;
      meta["_btf_value_type_id"] = spec.maps[i].btf_value_type_id;
    }
    BOMBUS_TRY(st.write_meta(store::Kind::kMap, id, meta));
    l.map_ids[i] = id;
  }
  if (!scratch.empty()) fs::remove_all(scratch, ec);
  return {};
}

std::string prog_tag(const loader::ProgramSpec& spec) {
  // The loader's instructions are the ones libbpf submits (subprograms appended, CO-RE and
  // data relocations applied); map references carry their pseudo source as libbpf sets it.
  std::vector<isa::Insn> insns = spec.insns;
  for (const auto& r : spec.map_refs) {
    if (r.insn + 1 >= insns.size()) continue;
    insns[r.insn].src = r.value ? isa::kPseudoMapValue : isa::kPseudoMapFd;
  }
  return store::prog_tag(
      {reinterpret_cast<const uint8_t*>(insns.data()), insns.size() * sizeof(isa::Insn)},
      store::host_tag_hash());
}

Result<uint32_t> adopt_program(const store::Store& st, Loaded& l, const Program& p,
                               const LoadRequest& req) {
  BOMBUS_TRY(adopt_btf(st, l));
  BOMBUS_ASSIGN_OR_RETURN(uint32_t id, const_cast<store::Store&>(st).create(store::Kind::kProg));
  std::string dir = st.dir(store::Kind::kProg, id);
  BOMBUS_TRY(store::write_file(dir + "/object.o", req.bytes.data(), req.bytes.size()));
  const loader::ProgramSpec& spec = *p.impl()->spec;
  // map_ids in the order the program first refers to them, as the kernel lists used maps.
  nlohmann::ordered_json used = nlohmann::ordered_json::array();
  std::vector<bool> seen(l.map_ids.size(), false);
  for (const auto& r : spec.map_refs) {
    if (r.map_index < seen.size() && !seen[r.map_index]) {
      seen[r.map_index] = true;
      used.push_back(l.map_ids[r.map_index]);
    }
  }
  const auto* ti = platform::prog_type_info(p.type());
  size_t xlated = p.insns_bytes().size();
  const auto* jp = p.impl()->image ? jit::jit_program_of(*p.impl()->image) : nullptr;
  size_t jited = jp ? jp->code().size() : 0;
  bool gpl = runtime::license_is_gpl_compatible(l.obj->impl()->spec.license);
  nlohmann::ordered_json meta = {{"id", id},
                                 {"type", ti ? std::string(ti->name) : "unspec"},
                                 {"name", p.name().substr(0, 15)},
                                 {"tag", prog_tag(spec)},
                                 {"gpl_compatible", gpl},
                                 {"loaded_at", static_cast<int64_t>(std::time(nullptr))},
                                 {"uid", static_cast<uint32_t>(::getuid())},
                                 {"bytes_xlated", xlated},
                                 {"jited", jited > 0},
                                 {"bytes_jited", jited},
                                 {"bytes_memlock", (xlated + 4095) / 4096 * 4096},
                                 {"map_ids", used},
                                 {"btf_id", l.btf_id},
                                 {"_prog", p.name()},
                                 {"_section", p.section()},
                                 {"_object", req.object_name},
                                 {"_maps", l.map_ids}};
  if (l.btf_id == 0) meta.erase("btf_id");
  if (req.type) meta["_type"] = *req.type;
  BOMBUS_TRY(st.write_meta(store::Kind::kProg, id, meta));
  return id;
}

Result<Loaded> reload_program(const store::Store& st, uint32_t prog_id,
                              std::optional<Engine> engine,
                              std::function<void(runtime::ObjectImpl&)> before_load) {
  BOMBUS_ASSIGN_OR_RETURN(nlohmann::ordered_json meta, st.read_meta(store::Kind::kProg, prog_id));
  LoadRequest req;
  BOMBUS_ASSIGN_OR_RETURN(req.bytes,
                          store::read_file(st.dir(store::Kind::kProg, prog_id) + "/object.o"));
  req.object_name = meta.value("_object", "");
  req.only_program = meta.value("_prog", "");
  if (meta.contains("_type")) req.type = meta["_type"].get<std::string>();
  req.engine = engine.value_or(default_engine());
  const auto& ids = meta["_maps"];
  for (uint32_t i = 0; i < ids.size(); ++i) req.reuse.emplace_back(i, ids[i].get<uint32_t>());
  req.before_load = std::move(before_load);
  return load_object(st, req);
}

verifier::Report verify_program(const Object& obj, const std::string& prog_name, int log_level,
                                std::optional<std::string> type) {
  const runtime::ObjectImpl& o = *obj.impl();
  for (const auto& p : o.prog_impls) {
    if (p->spec->name != prog_name) continue;
    verifier::Program vp = runtime::verifier_input(o, *p);
    if (type) {
      if (const auto* t = platform::prog_type_by_name(*type)) vp.type = t->type;
    }
    return verifier::verify(vp, {.log_level = log_level});
  }
  verifier::Report r;
  r.error = "program '" + prog_name + "' not found";
  return r;
}

std::string rejection_message_for(const LoadRequest& req, const Error& e, bool debug) {
  std::string out = e.format();
  if (e.code != Errc::kRejected) return out;
  auto obj = Object::open_memory(req.bytes);
  if (!obj.ok()) return out;
  verifier::Report rep = verify_program(**obj, e.where.program, debug ? 2 : 1, req.type);
  if (debug) return rep.log + out;
  for (const auto& p : (*obj)->impl()->prog_impls) {
    if (p->spec->name != e.where.program || !e.where.insn) continue;
    // The C source line the failing instruction came from (BTF line info).
    const loader::LineInfo* best = nullptr;
    for (const auto& li : p->spec->line_info) {
      if (li.insn_off <= static_cast<uint64_t>(*e.where.insn)) best = &li;
    }
    if (best && !best->text.empty()) {
      std::string text(best->text);
      text.erase(0, text.find_first_not_of(" \t"));
      out += "\n; " + text + " @ " + fs::path(std::string(best->file)).filename().string() + ":" +
             std::to_string(best->line_col >> 10);
    }
  }
  if (!rep.hint.empty()) out += "\nhint: " + rep.hint;
  out += "\n(run with -d for the whole verifier log)";
  return out;
}

}  // namespace bombus::cli
