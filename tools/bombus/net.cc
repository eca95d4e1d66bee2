// `bombus net ...`: XDP, tc and socket-filter programs over captures and live interfaces
// (`net run`: the program is loaded once and its engine entry runs on every packet through the
// batched runner, on one or more threads), and the project's traffic generator (`net trafgen`).
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "jit/engine/jit_engine.h"
#include "loading.h"
#include "net/batch_runner.h"
#include "net/hook_program.h"
#include "net/live.h"
#include "net/traffic.h"
#include "nouns.h"
#include "platform/program_types.h"
#include "progress.h"
#include "runtime/object_impl.h"
#include "select.h"
#include "verify_cache_use.h"
#include "vm/maps/redirect_maps.h"

namespace fs = std::filesystem;

namespace bombus::cli {

namespace {

int net_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus net run { OBJ [prog NAME] | PROG } INPUT [OUTPUT]...\n"
               "                      [engine ENGINE] [threads N] [count N] [duration S]\n"
               "                      [ifindex N] [queue N]\n"
               "       bombus net trafgen FILE [count N] [seed S]\n"
               "       bombus net help\n"
               "\n"
               "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n"
               "       INPUT := { pcap FILE | dev IFNAME [dev IFNAME]... [bridge] }\n"
               "       OUTPUT := { pass | drop | tx | redirect [TARGET] | aborted } FILE\n"
               "       TARGET := { ifindex | ingress | cpu | xsk } N\n"
               "       ENGINE := { jit | interp | checked }\n"
               "       A PROG from the store runs against the store's maps; an OBJ file is\n"
               "       loaded with maps of its own. The program is loaded once and runs on\n"
               "       every packet (the JIT unless an engine is named); each verdict's\n"
               "       packets go to its OUTPUT file, in capture order. redirect FILE\n"
               "       takes every redirected packet; redirect TARGET FILE (repeatable) only\n"
               "       those sent to that target: ifindex N by bpf_redirect or a devmap\n"
               "       entry (a BPF_F_BROADCAST packet goes to each device of the map),\n"
               "       ingress N by tc's BPF_F_INGRESS, cpu N and xsk N by cpumap/xskmap.\n"
               "       threads N: the capture is split over N worker threads, each its own\n"
               "       CPU for per-CPU maps. dev: live AF_PACKET interfaces; XDP_TX sends\n"
               "       back out, a redirect to a dev's ifindex sends out of that dev\n"
               "       (other targets: dropped, counted as redirect_unknown), bridge\n"
               "       forwards XDP_PASS frames to the other interfaces; the run ends\n"
               "       after count packets, duration seconds or SIGINT. ifindex N and queue N:\n"
               "       the device and rx queue capture packets arrive on (XDP ingress_ifindex\n"
               "       and rx_queue_index, skb->ifindex; default ifindex 1, queue 0).\n"
               "       redirect xsk N FILE also puts an AF_XDP-like socket for queue N at key\n"
               "       N of the program's XSKMAPs for the run (as libxdp does); FILE gets\n"
               "       what the program sends to it.\n";
  return 0;
}

std::atomic<bool> g_live_stop{false};
void on_stop_signal(int) {
  g_live_stop = true;
}

struct NetRunArgs {
  std::optional<std::string> prog_name;
  std::optional<std::string> pcap;
  std::vector<std::string> devs;
  bool bridge = false;
  std::array<std::optional<std::string>, net::kNumVerdicts> outputs;
  std::vector<std::pair<net::RedirectTarget, std::string>> target_outputs;
  uint64_t count = 0;
  double duration_s = -1;
  unsigned threads = 1;
  std::optional<Engine> engine;
  uint32_t ifindex = 1;  // ingress device of capture packets
  uint32_t queue = 0;    // their rx queue
};

// Parses the keywords after OBJ/PROG. Returns an error message, empty when fine.
std::string parse_net_run(Args& args, NetRunArgs& a) {
  const std::pair<const char*, net::Verdict> kOutputs[] = {{"pass", net::Verdict::kPass},
                                                           {"drop", net::Verdict::kDrop},
                                                           {"tx", net::Verdict::kTx},
                                                           {"aborted", net::Verdict::kAborted}};
  while (!args.empty()) {
    bool is_output = false;
    if (args.accept("redirect")) {
      if (!args.empty()) {
        if (auto kind = net::redirect_kind_from_name(args.peek())) {
          const std::string word = args.next();
          auto n = args.require_u64("redirect target " + word);
          if (!n.ok()) return n.error().format();
          if (*n > UINT32_MAX) return "redirect target " + word + " must fit in 32 bits";
          auto f = args.require("output file");
          if (!f.ok()) return f.error().format();
          a.target_outputs.push_back({{*kind, static_cast<uint32_t>(*n)}, *f});
          continue;
        }
      }
      auto f = args.require("output file");
      if (!f.ok()) return f.error().format();
      a.outputs[static_cast<size_t>(net::Verdict::kRedirect)] = *f;
      continue;
    }
    for (const auto& [word, v] : kOutputs) {
      if (!args.accept(word)) continue;
      auto f = args.require("output file");
      if (!f.ok()) return f.error().format();
      a.outputs[static_cast<size_t>(v)] = *f;
      is_output = true;
      break;
    }
    if (is_output) continue;
    if (args.accept("prog")) {
      auto n = args.require("program name");
      if (!n.ok()) return n.error().format();
      a.prog_name = *n;
    } else if (args.accept("pcap")) {
      auto f = args.require("capture file");
      if (!f.ok()) return f.error().format();
      a.pcap = *f;
    } else if (args.accept("dev")) {
      auto f = args.require("interface name");
      if (!f.ok()) return f.error().format();
      a.devs.push_back(*f);
    } else if (args.accept("bridge")) {
      a.bridge = true;
    } else if (args.accept("count")) {
      auto n = args.require_u64("packet count");
      if (!n.ok()) return n.error().format();
      a.count = *n;
    } else if (args.accept("duration")) {
      auto n = args.require_u64("duration in seconds");
      if (!n.ok()) return n.error().format();
      a.duration_s = static_cast<double>(*n);
    } else if (args.accept("threads")) {
      auto n = args.require_u64("thread count");
      if (!n.ok()) return n.error().format();
      if (*n < 1 || *n > 256) return "threads must be 1..256, got " + std::to_string(*n);
      a.threads = static_cast<unsigned>(*n);
    } else if (args.accept("ifindex")) {
      auto n = args.require_u64("ingress ifindex");
      if (!n.ok()) return n.error().format();
      if (*n == 0 || *n > UINT32_MAX)
        return "ifindex must be 1..4294967295, got " + std::to_string(*n);
      a.ifindex = static_cast<uint32_t>(*n);
    } else if (args.accept("queue")) {
      auto n = args.require_u64("rx queue");
      if (!n.ok()) return n.error().format();
      if (*n > UINT32_MAX) return "queue must fit in 32 bits, got " + std::to_string(*n);
      a.queue = static_cast<uint32_t>(*n);
    } else if (args.accept("engine")) {
      auto w = args.require("engine");
      if (!w.ok()) return w.error().format();
      auto e = parse_engine(*w);
      if (!e.ok()) return e.error().format();
      a.engine = *e;
    } else {
      return "unrecognized argument '" + args.peek() + "'";
    }
  }
  if (a.pcap && !a.devs.empty()) return "give either 'pcap FILE' or 'dev IFNAME', not both";
  if (!a.pcap && a.devs.empty()) return "expected 'pcap FILE' or 'dev IFNAME'";
  if (a.pcap && (a.bridge || a.duration_s >= 0))
    return std::string(a.bridge ? "bridge" : "duration") + " applies to live interfaces (dev)";
  if (!a.devs.empty() && a.threads > 1) return "threads applies to captures (pcap)";
  if (!a.devs.empty() && a.ifindex != 1)
    return "ifindex applies to captures (pcap): live packets arrive on their dev's ifindex";
  return {};
}

// The loaded program's engine as a raw per-packet call on execution slot `cpu`: the JIT's entry
// inside a RunState kept by the caller (no test-run set-up, no copies), or the engine image.
// `env` is the thread's own copy of the program's HelperEnv (the helpers record redirects in it).
net::RawRunFn raw_run(Program& prog, uint32_t cpu, vm::HelperEnv* env) {
  runtime::ProgramImpl* pi = prog.impl();
  if (const jit::JitProgram* jp = jit::jit_program_of(*pi->image)) {
    vm::RunState tmpl;
    tmpl.runtime = env;
    tmpl.cpu = cpu;
    tmpl.program = jp;
    return [jp, tmpl](void* ctx, size_t len, const vm::MemRegion&) -> std::optional<uint64_t> {
      vm::RunState rs = tmpl;  // fresh per packet: tail-call count, stop flag
      jit::JitRunCtx rc;
      const uint64_t r0 = jp->call(ctx, len, rs, rc);
      if (rc.fault != 0) return std::nullopt;
      return r0;
    };
  }
  const runtime::EngineImage* image = pi->image.get();
  return [image, env, cpu](void* ctx, size_t len,
                           const vm::MemRegion& frame) -> std::optional<uint64_t> {
    runtime::EngineRunArgs a;
    a.runtime = env;
    a.cpu = cpu;
    a.regions = std::span<const vm::MemRegion>(&frame, 1);
    auto r = image->run(ctx, len, a);
    if (!r.ok()) return std::nullopt;
    return *r;
  };
}

// Execution slots the object's per-CPU maps have (0 = no per-CPU map).
uint32_t percpu_slots(Object& obj) {
  uint32_t n = 0;
  for (Map& m : obj.maps()) {
    if (m.raw() && m.raw()->is_percpu()) n = n ? std::min(n, m.raw()->ncpus()) : m.raw()->ncpus();
  }
  return n;
}

// Opens the verdict and redirect-target outputs as pcap files (`info`: the input's link type).
Status open_outputs(const NetRunArgs& a, const net::CaptureInfo& info, net::RunnerOutputs& outs,
                    std::vector<std::unique_ptr<net::PacketSink>>& sinks) {
  for (size_t v = 0; v < net::kNumVerdicts; ++v) {
    if (!a.outputs[v]) continue;
    BOMBUS_ASSIGN_OR_RETURN(auto s, net::open_pcap_sink(*a.outputs[v], info));
    outs.by_verdict[v] = s.get();
    sinks.push_back(std::move(s));
  }
  for (const auto& [target, file] : a.target_outputs) {
    BOMBUS_ASSIGN_OR_RETURN(auto s, net::open_pcap_sink(file, info));
    outs.by_target.push_back({target, s.get()});
    sinks.push_back(std::move(s));
  }
  return {};
}

// `redirect xsk N FILE`: bombus's socket for queue N sits at key N of each of the program's
// XSKMAPs while the run lasts (libxdp's xsk_socket__create puts a socket in its map the same
// way), and leaves it when the run ends, as a closing AF_XDP socket does.
struct XskSockets {
  std::vector<std::pair<vm::Map*, uint32_t>> bound;
  XskSockets() = default;
  XskSockets(const XskSockets&) = delete;
  XskSockets& operator=(const XskSockets&) = delete;
  ~XskSockets() {
    for (auto& [m, key] : bound) m->remove(&key);
  }
};
Status bind_xsk_outputs(const NetRunArgs& a, Object& obj, XskSockets& out) {
  for (const auto& [target, file] : a.target_outputs) {
    if (target.kind != net::RedirectKind::kXsk) continue;
    for (Map& m : obj.maps()) {
      vm::Map* raw = m.raw();
      if (!raw || raw->type() != platform::MapType::kXskmap) continue;
      if (vm::xskmap_bind(*raw, target.index, target.index) != 0)
        return make_error(Errc::kInvalid,
                          fmt::format("redirect xsk {} {}: xskmap '{}' has only {} entries",
                                      target.index, file, m.name(), raw->spec().max_entries));
      out.bound.emplace_back(raw, target.index);
    }
  }
  return {};
}

// A worker's own HelperEnv (a copy of the program's) whose helpers record redirects in `record`.
struct WorkerEnv {
  vm::HelperEnv env;
  vm::RedirectRecord record;
};

// The per-packet program of worker `thread`, with its WorkerEnv kept in `envs`.
net::PacketProgram packet_program(Program& prog, net::HookKind kind, const NetRunArgs& a,
                                  unsigned thread, std::vector<std::unique_ptr<WorkerEnv>>& envs) {
  envs.push_back(std::make_unique<WorkerEnv>(WorkerEnv{prog.impl()->env, {}}));
  WorkerEnv& w = *envs.back();
  w.env.redirect = &w.record;
  net::HookOptions ho;
  ho.redirect = &w.record;
  ho.ifindex = a.ifindex;
  ho.rx_queue = a.queue;
  return net::hook_program(kind, raw_run(prog, thread, &w.env), ho);
}

int run_pcap(const NetRunArgs& a, Program& prog, net::HookKind kind, const Globals& g) {
  auto src = net::open_pcap_source(*a.pcap);
  if (!src.ok()) return fail(g, src.error());
  std::vector<std::unique_ptr<net::PacketSink>> sinks;
  net::RunnerOutputs outs;
  if (Status s = open_outputs(a, (*src)->info(), outs, sinks); !s.ok()) return fail(g, s.error());
  Progress progress(!g.json, "packets");
  net::BatchRunOptions o;
  o.threads = a.threads;
  o.max_packets = a.count;
  o.min_frame = net::kXdpFrameSize;
  // 512 frames per worker (~250 KB of packet data) stay in its L2 cache between the copy in
  // and the program run.
  o.batch = 512 * static_cast<size_t>(a.threads);
  o.progress = [&](const net::RunnerStats& st, std::pair<uint64_t, uint64_t> pos) {
    progress.update(st.packets, pos.first, pos.second);
  };
  std::vector<std::unique_ptr<WorkerEnv>> envs;
  auto make = [&](unsigned t) -> Result<net::PacketProgram> {
    return packet_program(prog, kind, a, t, envs);
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto stats = net::run_packets_batched(**src, make, outs, o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish();
  if (!stats.ok()) return fail(g, stats.error());
  if (g.json) {
    auto j = nlohmann::ordered_json::parse(net::format_runner_stats(*stats, true));
    j["threads"] = a.threads;
    j["wall_ns"] = static_cast<uint64_t>(wall * 1e9);
    print_json(g, j);
  } else {
    std::cout << net::format_runner_stats(*stats, false)
              << fmt::format(" ({} thread{}; {:.3f} s in all, {:.0f} packets/s with I/O)\n",
                             a.threads, a.threads == 1 ? "" : "s", wall,
                             wall > 0 ? static_cast<double>(stats->packets) / wall : 0.0);
  }
  return 0;
}

int run_dev(const NetRunArgs& a, Program& prog, net::HookKind kind, const Globals& g) {
  std::vector<std::unique_ptr<net::LiveInterface>> ifs;
  std::vector<net::LiveInterface*> raw;
  for (const std::string& d : a.devs) {
    auto i = net::LiveInterface::open(d);
    if (!i.ok()) return fail(g, i.error());
    raw.push_back(i->get());
    ifs.push_back(std::move(*i));
  }
  std::vector<std::unique_ptr<net::PacketSink>> sinks;
  net::LiveRunOptions o;
  if (Status s = open_outputs(a, {}, o.taps, sinks); !s.ok()) return fail(g, s.error());
  o.max_packets = a.count;
  o.duration_ms = a.duration_s < 0 ? -1 : static_cast<int64_t>(a.duration_s * 1000);
  o.bridge_pass = a.bridge;
  g_live_stop = false;
  o.stop = &g_live_stop;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  std::vector<std::unique_ptr<WorkerEnv>> envs;
  net::PacketProgram p = packet_program(prog, kind, a, 0, envs);
  auto stats = net::run_live(raw, p, o);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!stats.ok()) return fail(g, stats.error());
  std::cout << net::format_runner_stats(*stats, g.json) << "\n";
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
  NetRunArgs a;
  if (std::string e = parse_net_run(args, a); !e.empty()) return fail(g, e);
  const std::optional<std::string>& prog_name = a.prog_name;
  const std::optional<Engine>& engine = a.engine;

  std::unique_ptr<Object> owned;
  Loaded loaded;
  Program* prog = nullptr;
  Object* obj = nullptr;
  if (prog_id) {
    auto l = reload_program_cached(*st, *prog_id, engine, g.debug);
    if (!l.ok()) return fail(g, l.error());
    loaded = std::move(l).value();
    obj = loaded.obj.get();
    for (Program& p : loaded.obj->programs()) {
      if (p.loaded()) prog = &p;
    }
  } else {
    ObjectOptions opts;
    opts.engine = engine.value_or(default_engine());
    // Per-CPU maps get a slot per worker thread (at least the machine's).
    opts.ncpus = std::max(a.threads, std::max(1u, std::thread::hardware_concurrency()));
    auto o = Object::open_file(obj_path, opts);
    if (!o.ok()) return fail(g, o.error());
    owned = std::move(o).value();
    obj = owned.get();
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
  if (!prog || !prog->impl()->image) return fail(g, "program not loaded");
  if (uint32_t slots = percpu_slots(*obj); slots && a.threads > slots) {
    return fail(g, fmt::format("threads {} exceeds the {} CPUs of the program's per-CPU maps",
                               a.threads, slots));
  }
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
  XskSockets xsks;
  if (Status s = bind_xsk_outputs(a, *obj, xsks); !s.ok()) return fail(g, s.error());
  return a.pcap ? run_pcap(a, *prog, kind, g) : run_dev(a, *prog, kind, g);
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
