// `map create` and `map event_pipe`: the map verbs that make maps or stream from them.
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>

#include "loading.h"
#include "nouns.h"
#include "select.h"
#include "vm/maps/map.h"
#include "vm/maps/ringbuf.h"

namespace bombus::cli {

// map create FILE type TYPE key KEY_SIZE value VALUE_SIZE entries MAX_ENTRIES name NAME [flags F]
int map_create(Args& args, const Globals& g) {
  auto path = args.require("pin path");
  if (!path.ok()) return fail(g, path.error());
  vm::MapSpec spec;
  bool have_type = false, have_entries = false;
  while (!args.empty()) {
    if (args.accept("type")) {
      auto t = args.require("map type");
      if (!t.ok()) return fail(g, t.error());
      spec.type = platform::map_type_from_name(*t);
      if (spec.type == platform::MapType::kUnspec) return fail(g, "unrecognized map type: " + *t);
      have_type = true;
    } else if (args.accept("key")) {
      auto n = args.require_u64("key size");
      if (!n.ok()) return fail(g, n.error());
      spec.key_size = static_cast<uint32_t>(*n);
    } else if (args.accept("value")) {
      auto n = args.require_u64("value size");
      if (!n.ok()) return fail(g, n.error());
      spec.value_size = static_cast<uint32_t>(*n);
    } else if (args.accept("entries")) {
      auto n = args.require_u64("max entries");
      if (!n.ok()) return fail(g, n.error());
      spec.max_entries = static_cast<uint32_t>(*n);
      have_entries = true;
    } else if (args.accept("name")) {
      auto n = args.require("map name");
      if (!n.ok()) return fail(g, n.error());
      spec.name = *n;
    } else if (args.accept("flags")) {
      auto n = args.require_u64("flags");
      if (!n.ok()) return fail(g, n.error());
      spec.flags = static_cast<uint32_t>(*n);
    } else {
      return fail(g, "unknown arg " + args.peek());
    }
  }
  if (!have_type) return fail(g, "map type not specified");
  if (!have_entries) return fail(g, "max_entries not specified");
  if (spec.name.empty()) return fail(g, "map name not specified");
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  auto lk = st->lock();
  if (!lk.ok()) return fail(g, lk.error());
  auto id = st->create(store::Kind::kMap);
  if (!id.ok()) return fail(g, id.error());
  vm::MapOptions mo;
  mo.dir = st->dir(store::Kind::kMap, *id);
  mo.file = "data";
  mo.id = *id;
  auto m = vm::Map::create(spec, mo);
  if (!m.ok()) return fail(g, "map create failed: " + m.error().format());
  nlohmann::ordered_json meta = {{"id", *id},
                                 {"type", std::string(platform::map_type_name(spec.type))},
                                 {"name", spec.name.substr(0, 15)},
                                 {"flags", spec.flags},
                                 {"bytes_key", spec.key_size},
                                 {"bytes_value", spec.value_size},
                                 {"max_entries", spec.max_entries},
                                 {"bytes_memlock", 0},
                                 {"frozen", 0}};
  if (auto s = st->write_meta(store::Kind::kMap, *id, meta); !s.ok()) return fail(g, s.error());
  if (auto s = st->pin(store::Kind::kMap, *id, *path); !s.ok()) return fail(g, s.error());
  if (g.json) print_json(g, nullptr);
  return 0;
}

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}
}  // namespace

// Streams ring buffer records (and perf buffer samples) as bpftool's event_pipe does: one
// line per record in hex, or one JSON object per record with -j. Stops on SIGINT/SIGTERM, or
// after BOMBUS_EVENT_LIMIT records (for scripts and tests).
int map_event_pipe(Args& args, const Globals& g) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  auto id = select_one(args, *st, store::Kind::kMap);
  if (!id.ok()) return fail(g, id.error());
  auto meta = st->read_meta(store::Kind::kMap, *id);
  if (!meta.ok()) return fail(g, meta.error());
  std::string map_path = st->dir(store::Kind::kMap, *id) + "/data";
  auto m = vm::Map::open(map_path);
  if (!m.ok()) return fail(g, m.error());
  Map handle(m->get(), meta->value("name", ""));
  uint64_t limit = 0;
  if (const char* l = std::getenv("BOMBUS_EVENT_LIMIT")) limit = std::strtoull(l, nullptr, 10);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  uint64_t seen = 0;
  auto print = [&](int cpu, const void* data, size_t size) {
    const auto* b = static_cast<const uint8_t*>(data);
    if (g.json) {
      nlohmann::ordered_json j = {
          {"type", 9}, {"size", size}, {"data", std::vector<uint8_t>(b, b + size)}};
      if (cpu >= 0) j["cpu"] = cpu;
      print_json(g, j);
    } else {
      if (cpu >= 0) std::printf("CPU: %d\n", cpu);
      for (size_t i = 0; i < size; ++i)
        std::printf("%02x%s", b[i], (i % 16 == 15 || i + 1 == size) ? "\n" : " ");
    }
    std::fflush(stdout);
    ++seen;
  };
  if (handle.type() == platform::MapType::kRingbuf) {
    RingBufferConsumer rb;
    if (auto s = rb.add(handle,
                        [&](const void* d, size_t n) {
                          print(-1, d, n);
                          return (limit && seen >= limit) ? 1 : 0;
                        });
        !s.ok()) {
      return fail(g, s.error());
    }
    while (!g_stop && !(limit && seen >= limit)) {
      auto r = rb.poll(200);
      if (!r.ok()) return fail(g, r.error());
    }
  } else if (handle.type() == platform::MapType::kPerfEventArray) {
    auto pb = PerfBufferConsumer::create(handle, [&](uint32_t cpu, const void* d, uint32_t n) {
      print(static_cast<int>(cpu), d, n);
    });
    if (!pb.ok()) return fail(g, pb.error());
    while (!g_stop && !(limit && seen >= limit)) {
      auto r = (*pb)->poll(200);
      if (!r.ok()) return fail(g, r.error());
    }
  } else {
    return fail(g, "map type " + meta->value("type", std::string("?")) +
                       " has no event pipe (perf_event_array or ringbuf expected)");
  }
  return 0;
}

}  // namespace bombus::cli
