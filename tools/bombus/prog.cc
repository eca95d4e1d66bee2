// `bombus prog ...`: bpftool's prog noun over the store, plus bombus's own `prog verify`.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "loading.h"
#include "nouns.h"
#include "prog_dump.h"
#include "runtime/object_impl.h"
#include "select.h"
#include "verify_cache_use.h"

namespace fs = std::filesystem;

namespace bombus::cli {

namespace {

int prog_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus prog { show | list } [PROG]\n"
               "       bombus prog dump xlated PROG [{ file FILE | [opcodes] [linum] [visual] }]\n"
               "       bombus prog dump jited  PROG [{ file FILE | [opcodes] [linum] }]\n"
               "       bombus prog pin   PROG FILE\n"
               "       bombus prog { load | loadall } OBJ  PATH \\\n"
               "                         [type TYPE] [map { idx IDX | name NAME } MAP]\\\n"
               "                         [pinmaps MAP_DIR] [autoattach] [engine ENGINE]\n"
               "       bombus prog run PROG \\\n"
               "                         data_in FILE \\\n"
               "                         [data_out FILE [data_size_out L]] \\\n"
               "                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\\n"
               "                         [event_in FILE] \\\n"
               "                         [repeat N] [engine ENGINE]\n"
               "       bombus prog verify OBJ [type TYPE] [log_level N]\n"
               "       bombus prog tracelog\n"
               "       bombus prog help\n"
               "\n"
               "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n"
               "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n"
               "       TYPE := { socket | kprobe | kretprobe | classifier | action |\n"
               "                 tracepoint | raw_tracepoint | xdp | perf_event | syscall | ... }\n"
               "       ENGINE := { jit | interp | checked }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

int prog_show(Args& args, const Globals& g) {
  return show_objects(args, g, store::Kind::kProg);
}

// Reads a whole file ("-" is stdin), for data_in / ctx_in.
Result<std::vector<uint8_t>> read_input(const std::string& path) {
  if (path != "-") return store::read_file(path);
  std::vector<uint8_t> out;
  int c;
  while ((c = std::getchar()) != EOF) out.push_back(static_cast<uint8_t>(c));
  return out;
}

// bpftool's hex dump of data_out/ctx_out to stdout: offset, 16 bytes in pairs, ASCII.
void hex_dump(const std::vector<uint8_t>& d) {
  for (size_t off = 0; off < d.size(); off += 16) {
    std::printf("%07zx\t", off);
    std::string ascii;
    for (size_t i = 0; i < 16; ++i) {
      if (off + i < d.size()) {
        std::printf("%02x", d[off + i]);
        char c = static_cast<char>(d[off + i]);
        ascii += (c >= 32 && c < 127) ? c : '.';
      } else {
        std::printf("  ");
      }
      if (i % 2 == 1) std::printf(" ");
      if (i == 7 && off + i < d.size()) ascii += ' ';
    }
    std::printf("| %s\n", ascii.c_str());
  }
}

// The exit code bpftool gives for the errno an error code stands for: (unsigned char)-errno.
int exit_code_of(Errc code) {
  int e = 0;
  switch (code) {
    case Errc::kInvalid:
      e = EINVAL;
      break;
    case Errc::kNotFound:
      e = ENOENT;
      break;
    case Errc::kExists:
      e = EEXIST;
      break;
    case Errc::kTooBig:
      e = E2BIG;
      break;
    case Errc::kNoMem:
      e = ENOMEM;
      break;
    case Errc::kPerm:
      e = EPERM;
      break;
    case Errc::kUnsupported:
      e = EOPNOTSUPP;
      break;
    case Errc::kBusy:
      e = EBUSY;
      break;
    default:
      return 255;
  }
  return static_cast<unsigned char>(-e);
}

int prog_load_common(Args& args, const Globals& g, bool all) {
  auto obj_path = args.require("object file");
  if (!obj_path.ok()) return fail(g, obj_path.error());
  auto pin_path = args.require("pin path");
  if (!pin_path.ok()) return fail(g, pin_path.error());
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());

  LoadRequest req;
  req.engine = default_engine();
  std::optional<std::string> pinmaps;
  struct Reuse {
    std::optional<uint32_t> idx;
    std::string name;
    uint32_t map_id;
  };
  std::vector<Reuse> reuse;
  while (!args.empty()) {
    if (args.accept("type")) {
      auto t = args.require("program type");
      if (!t.ok()) return fail(g, t.error());
      req.type = *t;
    } else if (args.accept("map")) {
      Reuse r;
      if (args.accept("idx")) {
        auto i = args.require_u64("map index");
        if (!i.ok()) return fail(g, i.error());
        r.idx = static_cast<uint32_t>(*i);
      } else if (args.accept("name")) {
        auto n = args.require("map name");
        if (!n.ok()) return fail(g, n.error());
        r.name = *n;
      } else {
        return fail(g, "expected 'idx' or 'name', got: '" +
                           (args.empty() ? std::string() : args.peek()) + "'?");
      }
      auto id = select_one(args, *st, store::Kind::kMap);
      if (!id.ok()) return fail(g, id.error());
      r.map_id = *id;
      reuse.push_back(r);
    } else if (args.accept("pinmaps")) {
      auto d = args.require("map directory");
      if (!d.ok()) return fail(g, d.error());
      pinmaps = *d;
    } else if (args.accept("autoattach")) {
      // Attaching needs hooks bombus runs itself (net run, prog run); nothing to do at load.
    } else if (args.accept("engine")) {
      auto w = args.require("engine");
      if (!w.ok()) return fail(g, w.error());
      auto e = parse_engine(*w);
      if (!e.ok()) return fail(g, e.error());
      req.engine = *e;
    } else {
      return fail(
          g, "expected no more arguments, 'type', 'map' or 'pinmaps', got: '" + args.peek() + "'?");
    }
  }
  auto bytes = store::read_file(*obj_path);
  if (!bytes.ok()) return fail(g, bytes.error());
  req.bytes = std::move(bytes).value();
  req.object_name = fs::path(*obj_path).filename().string();
  // Map names -> indexes need the object's map list: open once without loading.
  if (!reuse.empty()) {
    auto probe = Object::open_memory(req.bytes);
    if (!probe.ok()) return fail(g, probe.error());
    const auto& specs = (*probe)->impl()->spec.maps;
    for (auto& r : reuse) {
      if (!r.idx) {
        for (uint32_t i = 0; i < specs.size(); ++i) {
          if (specs[i].name == r.name) r.idx = i;
        }
        if (!r.idx) return fail(g, "unable to find map with name '" + r.name + "' in object");
      }
      req.reuse.emplace_back(*r.idx, r.map_id);
    }
  }

  auto lk = st->lock();
  if (!lk.ok()) return fail(g, lk.error());
  auto loaded = load_object(*st, req);
  if (!loaded.ok()) {
    return fail(
        g, "failed to load object file\n" + rejection_message_for(req, loaded.error(), g.debug));
  }
  if (auto s = adopt_maps(*st, *loaded); !s.ok()) return fail(g, s.error());
  std::vector<std::pair<uint32_t, std::string>> progs;
  std::vector<std::pair<uint32_t, uint32_t>> store_ids;  // runtime id -> store id
  for (Program& p : loaded->obj->programs()) {
    if (!p.loaded()) continue;
    auto id = adopt_program(*st, *loaded, p, req);
    if (!id.ok()) return fail(g, id.error());
    progs.emplace_back(*id, p.name());
    store_ids.emplace_back(p.id(), *id);
    if (!all) break;
  }
  if (auto s = store_prog_array_slots(*loaded, store_ids); !s.ok()) return fail(g, s.error());
  if (progs.empty()) return fail(g, "object file doesn't contain any bpf program");
  if (all) {
    std::error_code ec;
    fs::create_directories(*pin_path, ec);
    for (auto& [id, name] : progs) {
      if (auto s = st->pin(store::Kind::kProg, id, *pin_path + "/" + name); !s.ok())
        return fail(g, s.error());
    }
  } else if (auto s = st->pin(store::Kind::kProg, progs[0].first, *pin_path); !s.ok()) {
    return fail(g, s.error());
  }
  if (pinmaps && !loaded->obj->maps().empty()) {
    std::error_code ec;
    fs::create_directories(*pinmaps, ec);
    auto maps = loaded->obj->maps();
    for (size_t i = 0; i < maps.size(); ++i) {
      std::string path = *pinmaps + "/" + pin_name(maps[i].name());
      // A reused map that is already pinned at that very path keeps its pin.
      auto existing = store::Store::read_pin(path);
      if (existing.ok() && existing->id == loaded->map_ids[i]) continue;
      if (auto s = st->pin(store::Kind::kMap, loaded->map_ids[i], path); !s.ok())
        return fail(g, s.error());
    }
  }
  if (g.json) print_json(g, nullptr);
  return 0;
}

int prog_load(Args& args, const Globals& g) {
  return prog_load_common(args, g, false);
}
int prog_loadall(Args& args, const Globals& g) {
  return prog_load_common(args, g, true);
}

int prog_run(Args& args, const Globals& g) {
  // bpftool checks the word count first: PROG and at least one keyword with its argument.
  if (args.remaining() < 4) {
    return fail(g,
                "'run' needs at least 4 arguments, " + std::to_string(args.remaining()) + " found");
  }
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  auto id = select_one(args, *st, store::Kind::kProg);
  if (!id.ok()) return fail(g, id.error());
  std::optional<std::string> data_in, data_out, ctx_in, ctx_out, event_in;
  uint64_t data_size_out = 0, ctx_size_out = 0, repeat = 1;
  std::optional<Engine> engine;
  while (!args.empty()) {
    auto take = [&](const char* what) -> Result<std::string> { return args.require(what); };
    Result<std::string> w = std::string();
    if (args.accept("data_in")) {
      w = take("data_in file");
      if (w.ok()) data_in = *w;
    } else if (args.accept("data_out")) {
      w = take("data_out file");
      if (w.ok()) data_out = *w;
    } else if (args.accept("data_size_out")) {
      auto n = args.require_u64("data_size_out");
      if (!n.ok()) return fail(g, n.error());
      data_size_out = *n;
    } else if (args.accept("ctx_in")) {
      w = take("ctx_in file");
      if (w.ok()) ctx_in = *w;
    } else if (args.accept("event_in")) {  // tracing programs: the event as JSON
      w = take("event_in file");
      if (w.ok()) event_in = *w;
    } else if (args.accept("ctx_out")) {
      w = take("ctx_out file");
      if (w.ok()) ctx_out = *w;
    } else if (args.accept("ctx_size_out")) {
      auto n = args.require_u64("ctx_size_out");
      if (!n.ok()) return fail(g, n.error());
      ctx_size_out = *n;
    } else if (args.accept("repeat")) {
      auto n = args.require_u64("repeat count");
      if (!n.ok()) return fail(g, n.error());
      repeat = *n;
    } else if (args.accept("engine")) {
      w = take("engine");
      if (w.ok()) {
        auto e = parse_engine(*w);
        if (!e.ok()) return fail(g, e.error());
        engine = *e;
      }
    } else {
      return fail(g, "unknown keyword '" + args.peek() + "'");
    }
    if (!w.ok()) return fail(g, w.error());
  }
  if (data_in && *data_in == "-" && ctx_in && *ctx_in == "-") {
    return fail(g, "cannot use standard input for both data_in and ctx_in");
  }
  std::vector<uint8_t> din, cin;
  if (data_in) {
    auto d = read_input(*data_in);
    if (!d.ok()) return fail(g, d.error());
    din = std::move(d).value();
  }
  if (ctx_in) {
    auto d = read_input(*ctx_in);
    if (!d.ok()) return fail(g, d.error());
    cin = std::move(d).value();
  }
  std::string event_text;
  if (event_in) {
    auto d = read_input(*event_in);
    if (!d.ok()) return fail(g, d.error());
    event_text.assign(d->begin(), d->end());
  }
  // The program's cached verdict lets this process skip the verifier (verify_cache_use.h).
  auto loaded = reload_program_cached(*st, *id, engine, g.debug);
  if (!loaded.ok()) return fail(g, loaded.error());
  std::vector<Loaded> tail_targets;
  if (auto s = bind_tail_calls(*st, *id, *loaded, engine, tail_targets); !s.ok())
    return fail(g, s.error());
  (void)st->hold(store::Kind::kProg, *id);
  Program& p = loaded->obj->programs()[0];
  Program* prog = nullptr;
  for (Program& q : loaded->obj->programs()) {
    if (q.loaded()) prog = &q;
  }
  if (!prog) prog = &p;
  TestRun in;
  in.data_in = din;
  in.ctx_in = cin;
  in.event = event_text;
  in.repeat = static_cast<uint32_t>(repeat);
  in.data_size_out = static_cast<uint32_t>(data_size_out);
  in.ctx_size_out = static_cast<uint32_t>(ctx_size_out);
  bool syscall = prog->type() == platform::ProgType::kSyscall;
  // The kernel runs syscall programs once, untimed, and refuses data, a ctx_out buffer (which
  // bpftool passes whenever ctx_in is given) and a repeat count: so does bombus, with -EINVAL.
  if (syscall && (data_in || ctx_in || data_out || ctx_out || repeat != 0)) {
    st->release(store::Kind::kProg, *id);
    fail(g, "failed to run program: Invalid argument");
    return exit_code_of(Errc::kInvalid);
  }
  auto res = prog->test_run(in);
  st->release(store::Kind::kProg, *id);
  if (!res.ok()) {
    // bpftool exits with the kernel's -errno; bombus's message says what was wrong.
    fail(g, "failed to run program: " + res.error().format());
    return exit_code_of(res.error().code);
  }
  uint64_t duration = syscall ? 0 : res->duration_ns;
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto emit = [&](const std::optional<std::string>& path, const std::vector<uint8_t>& bytes,
                  const char* key) -> Status {
    if (!path) return {};
    if (*path == "-") {
      if (g.json) {
        j[key] = bytes;
      } else {
        hex_dump(bytes);
      }
      return {};
    }
    return store::write_file(*path, bytes.data(), bytes.size());
  };
  if (auto s = emit(data_out, res->data_out, "data_out"); !s.ok()) return fail(g, s.error());
  if (auto s = emit(ctx_out, res->ctx_out, "ctx_out"); !s.ok()) return fail(g, s.error());
  if (res->data_truncated) return fail(g, "failed to run program: No space left on device");
  if (g.json) {
    j["retval"] = res->retval;
    j["duration"] = duration;
    print_json(g, j);
  } else {
    std::printf("Return value: %u, duration%s: %lluns\n", res->retval,
                repeat > 1 ? " (average)" : "", static_cast<unsigned long long>(duration));
  }
  return 0;
}

int prog_pin(Args& args, const Globals& g) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  auto id = select_one(args, *st, store::Kind::kProg);
  if (!id.ok()) return fail(g, id.error());
  auto path = args.require("pin path");
  if (!path.ok()) return fail(g, path.error());
  auto lk = st->lock();
  if (!lk.ok()) return fail(g, lk.error());
  if (auto s = st->pin(store::Kind::kProg, *id, *path); !s.ok()) return fail(g, s.error());
  if (g.json) print_json(g, nullptr);
  return 0;
}

int prog_tracelog(Args& args, const Globals& g) {
  std::string path = g.root + "/trace_pipe";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return fail(g, "no trace output yet ('" + path + "' does not exist)");
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f)) std::fputs(buf, stdout);
  std::fclose(f);
  return 0;
}

}  // namespace

int do_prog(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"show", prog_show},         {"list", prog_show},
      {"dump", prog_dump},         {"pin", prog_pin},
      {"load", prog_load},         {"loadall", prog_loadall},
      {"run", prog_run},           {"verify", prog_verify},
      {"tracelog", prog_tracelog}, {"help", [](Args&, const Globals& gg) { return prog_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return prog_show(args, g); });
}

}  // namespace bombus::cli
