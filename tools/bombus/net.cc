// `bombus net ...`: XDP, tc and socket-filter programs over captures (`net run`), and the
// project's traffic generator (`net trafgen`).
#include <filesystem>
#include <iostream>

#include "loading.h"
#include "net/program_adapter.h"
#include "net/traffic.h"
#include "nouns.h"
#include "platform/program_types.h"
#include "runtime/object_impl.h"
#include "select.h"

namespace fs = std::filesystem;

namespace bombus::cli {

namespace {

int net_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus net run { OBJ [prog NAME] | PROG } pcap FILE\n"
               "                      [pass FILE] [drop FILE] [tx FILE] [redirect FILE]\n"
               "                      [aborted FILE] [count N] [engine ENGINE]\n"
               "       bombus net trafgen FILE [count N] [seed S]\n"
               "       bombus net help\n"
               "\n"
               "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n"
               "       ENGINE := { jit | interp | checked }\n"
               "       A PROG from the store runs against the store's maps; an OBJ file is\n"
               "       loaded with maps of its own.\n";
  return 0;
}

int net_run(Args& args, const Globals& g) {
  if (args.empty()) return fail(g, "expected an object file or PROG");
  std::optional<store::Store> st;
  std::optional<uint32_t> prog_id;
  std::string obj_path;
  const std::string& first = args.peek();
  if (first == "id" || first == "pinned" || first == "tag" || first == "name") {
    auto s = open_store(g);
    if (!s.ok()) return fail(g, s.error());
    st.emplace(std::move(s).value());
    auto id = select_one(args, *st, store::Kind::kProg);
    if (!id.ok()) return fail(g, id.error());
    prog_id = *id;
  } else {
    obj_path = args.next();
  }
  std::optional<std::string> prog_name;
  net::CaptureRunOptions run;
  std::optional<Engine> engine;
  bool have_pcap = false;
  while (!args.empty()) {
    auto out = [&](net::Verdict v) -> int {
      auto f = args.require("output file");
      if (!f.ok()) return fail(g, f.error());
      run.outputs[static_cast<size_t>(v)] = *f;
      return 0;
    };
    int rc = 0;
    if (args.accept("prog")) {
      auto n = args.require("program name");
      if (!n.ok()) return fail(g, n.error());
      prog_name = *n;
    } else if (args.accept("pcap")) {
      auto f = args.require("capture file");
      if (!f.ok()) return fail(g, f.error());
      run.input = *f;
      have_pcap = true;
    } else if (args.accept("pass")) {
      rc = out(net::Verdict::kPass);
    } else if (args.accept("drop")) {
      rc = out(net::Verdict::kDrop);
    } else if (args.accept("tx")) {
      rc = out(net::Verdict::kTx);
    } else if (args.accept("redirect")) {
      rc = out(net::Verdict::kRedirect);
    } else if (args.accept("aborted")) {
      rc = out(net::Verdict::kAborted);
    } else if (args.accept("count")) {
      auto n = args.require_u64("packet count");
      if (!n.ok()) return fail(g, n.error());
      run.max_packets = *n;
    } else if (args.accept("engine")) {
      auto w = args.require("engine");
      if (!w.ok()) return fail(g, w.error());
      auto e = parse_engine(*w);
      if (!e.ok()) return fail(g, e.error());
      engine = *e;
    } else {
      return fail(g, "unrecognized argument '" + args.peek() + "'");
    }
    if (rc) return rc;
  }
  if (!have_pcap) return fail(g, "expected 'pcap FILE' (live interfaces: not yet in the CLI)");

  std::unique_ptr<Object> owned;
  Loaded loaded;
  Program* prog = nullptr;
  if (prog_id) {
    auto l = reload_program(*st, *prog_id, engine);
    if (!l.ok()) return fail(g, l.error());
    loaded = std::move(l).value();
    for (Program& p : loaded.obj->programs()) {
      if (p.loaded()) prog = &p;
    }
  } else {
    ObjectOptions opts;
    opts.engine = engine.value_or(default_engine());
    auto o = Object::open_file(obj_path, opts);
    if (!o.ok()) return fail(g, o.error());
    owned = std::move(o).value();
    if (prog_name) {
      for (auto& ps : owned->impl()->spec.programs) ps.autoload = ps.name == *prog_name;
    }
    if (auto s = owned->load(); !s.ok()) return fail(g, s.error());
    for (Program& p : owned->programs()) {
      if (p.loaded() && (!prog_name || p.name() == *prog_name)) {
        prog = &p;
        break;
      }
    }
    if (!prog) {
      return fail(g, prog_name ? "program '" + *prog_name + "' not found in " + obj_path
                               : "no program in " + obj_path);
    }
  }
  if (!prog) return fail(g, "program not loaded");
  net::HookKind kind;
  switch (prog->type()) {
    case platform::ProgType::kXdp:
      kind = net::HookKind::kXdp;
      break;
    case platform::ProgType::kSchedCls:
    case platform::ProgType::kSchedAct:
      kind = net::HookKind::kTc;
      break;
    case platform::ProgType::kSocketFilter:
      kind = net::HookKind::kSocketFilter;
      break;
    default:
      return fail(g, "program '" + prog->name() + "' is not an XDP, tc or socket filter program");
  }
  auto test_run = [prog](std::span<const uint8_t> in) -> Result<net::TestRunOutput> {
    TestRun r;
    r.data_in = in;
    BOMBUS_ASSIGN_OR_RETURN(TestRunResult res, prog->test_run(r));
    return net::TestRunOutput{res.retval, std::move(res.data_out)};
  };
  uint64_t errors = 0;
  auto stats = net::run_capture(run, net::program_from_test_run(test_run, kind, &errors));
  if (!stats.ok()) return fail(g, stats.error());
  std::cout << net::format_runner_stats(*stats, g.json) << "\n";
  return 0;
}

int net_trafgen(Args& args, const Globals& g) {
  auto path = args.require("output file");
  if (!path.ok()) return fail(g, path.error());
  net::TrafficOptions o;
  while (!args.empty()) {
    if (args.accept("count")) {
      auto n = args.require_u64("packet count");
      if (!n.ok()) return fail(g, n.error());
      o.count = *n;
    } else if (args.accept("seed")) {
      auto n = args.require_u64("seed");
      if (!n.ok()) return fail(g, n.error());
      o.seed = *n;
    } else {
      return fail(g, "unrecognized argument '" + args.peek() + "'");
    }
  }
  if (auto s = net::write_traffic(*path, o); !s.ok()) return fail(g, s.error());
  if (g.json) print_json(g, {{"packets", o.count}, {"file", *path}});
  return 0;
}

}  // namespace

int do_net(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"run", net_run},
      {"trafgen", net_trafgen},
      {"help", [](Args&, const Globals& gg) { return net_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return net_help(g); });
}

}  // namespace bombus::cli
