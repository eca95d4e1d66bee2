// `bombus map ...`: bpftool's map noun over the store. Maps are opened from their shared-memory
// files, so every command sees (and changes) what running programs see.
#include "vm/maps/map.h"

#include <cstring>
#include <filesystem>
#include <iostream>

#include "btf_format.h"
#include "loading.h"
#include "nouns.h"
#include "select.h"

namespace fs = std::filesystem;

namespace bombus::cli {

namespace {

int map_help(const Globals& g) {
  if (g.json) {
    print_json(g, nullptr);
    return 0;
  }
  std::cerr << "Usage: bombus map { show | list }   [MAP]\n"
               "       bombus map create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \\\n"
               "                                  entries MAX_ENTRIES name NAME [flags FLAGS]\n"
               "       bombus map dump       MAP\n"
               "       bombus map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]\n"
               "       bombus map lookup     MAP [key DATA]\n"
               "       bombus map getnext    MAP [key DATA]\n"
               "       bombus map delete     MAP  key DATA\n"
               "       bombus map pin        MAP  FILE\n"
               "       bombus map event_pipe MAP\n"
               "       bombus map peek       MAP\n"
               "       bombus map push       MAP value VALUE\n"
               "       bombus map pop        MAP\n"
               "       bombus map enqueue    MAP value VALUE\n"
               "       bombus map dequeue    MAP\n"
               "       bombus map freeze     MAP\n"
               "       bombus map help\n"
               "\n"
               "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n"
               "       DATA := { [hex] BYTES }\n"
               "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n"
               "       VALUE := { DATA | MAP | PROG }\n"
               "       UPDATE_FLAGS := { any | exist | noexist }\n"
               "       TYPE := { hash | array | prog_array | perf_event_array | percpu_hash |\n"
               "                 percpu_array | lru_hash | lru_percpu_hash | lpm_trie |\n"
               "                 array_of_maps | hash_of_maps | devmap | devmap_hash | cpumap |\n"
               "                 xskmap | queue | stack | ringbuf | user_ringbuf | bloom_filter }\n"
               "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n";
  return 0;
}

// An error carrying the kernel's errno: bpftool exits with -errno's low byte.
int fail_errno(const Globals& g, const std::string& what, long neg) {
  fail(g, what + ": " + std::strerror(static_cast<int>(-neg)));
  return static_cast<int>(static_cast<unsigned char>(neg));
}

int map_show(Args& args, const Globals& g) {
  // Frozen state lives in the map file and can change after creation.
  return show_objects(args, g, store::Kind::kMap, [&](uint32_t id, nlohmann::ordered_json& meta) {
    if (auto st = open_store(g); st.ok()) {
      if (auto m = open_stored_map(*st, id); m.ok()) meta["frozen"] = (*m)->frozen() ? 1 : 0;
    }
  });
}

// An opened map with what the formatter needs.
struct Opened {
  uint32_t id = 0;
  std::unique_ptr<vm::Map> map;
  nlohmann::ordered_json meta;
  std::optional<ValueFormatter> fmt;
};

Result<Opened> open_selected(Args& args, const store::Store& st) {
  Opened o;
  BOMBUS_ASSIGN_OR_RETURN(o.id, select_one(args, st, store::Kind::kMap));
  BOMBUS_ASSIGN_OR_RETURN(o.meta, st.read_meta(store::Kind::kMap, o.id));
  BOMBUS_ASSIGN_OR_RETURN(o.map, open_stored_map(st, o.id));
  o.fmt = ValueFormatter::for_map(map_btf_file(st, o.id, o.meta), o.meta);
  return o;
}

Result<std::vector<uint8_t>> parse_key(Args& args, const vm::Map& m, bool required) {
  if (!args.accept("key")) {
    if (required) return make_error(Errc::kInvalid, "did not find key");
    return std::vector<uint8_t>{};
  }
  return parse_bytes(args, "key", m.spec().key_size);
}

// How a verb takes its key: none, `key DATA` when given, `key DATA` required, or required
// unless the map has no key (queues, stacks).
enum class KeyArg { kNone, kOptional, kRequired, kUnlessKeyless };

// The common start of a map verb: the store, the map the selector names, and its key.
struct MapCall {
  store::Store st;
  Opened o;
  std::vector<uint8_t> key;
  vm::Map& map() { return *o.map; }
  // The key for the map's calls: nullptr when none was given.
  const void* key_ptr() const { return key.empty() ? nullptr : key.data(); }
};

Result<MapCall> open_map_call(Args& args, const Globals& g, KeyArg key) {
  BOMBUS_ASSIGN_OR_RETURN(store::Store st, open_store(g));
  BOMBUS_ASSIGN_OR_RETURN(Opened o, open_selected(args, st));
  std::vector<uint8_t> k;
  if (key != KeyArg::kNone) {
    bool required =
        key == KeyArg::kRequired || (key == KeyArg::kUnlessKeyless && o.map->spec().key_size > 0);
    BOMBUS_ASSIGN_OR_RETURN(k, parse_key(args, *o.map, required));
  }
  return MapCall{std::move(st), std::move(o), std::move(k)};
}

nlohmann::ordered_json hex_list(std::span<const uint8_t> b) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  char buf[8];
  for (uint8_t x : b) {
    std::snprintf(buf, sizeof buf, "0x%02x", x);
    a.push_back(buf);
  }
  return a;
}

std::string hex_text(std::span<const uint8_t> b) {
  std::string s;
  char buf[8];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    if (i) s += (i % 16 == 0) ? "\n" : " ";
    s += buf;
  }
  return s;
}

// One element as bpftool prints it: JSON object (key/value byte lists + "formatted") or text.
nlohmann::ordered_json element_json(const Opened& o, std::span<const uint8_t> key,
                                    std::span<const uint8_t> value) {
  nlohmann::ordered_json j;
  j["key"] = hex_list(key);
  const vm::Map& m = *o.map;
  if (m.is_percpu()) {
    nlohmann::ordered_json vals = nlohmann::ordered_json::array();
    uint32_t stride = vm::round8(m.spec().value_size);
    for (uint32_t c = 0; c < m.ncpus(); ++c) {
      vals.push_back(
          {{"cpu", c}, {"value", hex_list(value.subspan(c * stride, m.spec().value_size))}});
    }
    j["values"] = vals;
  } else {
    j["value"] = hex_list(value);
  }
  if (o.fmt) j["formatted"] = o.fmt->element(key, value, m.is_percpu() ? m.ncpus() : 0);
  return j;
}

void element_text(const Opened& o, std::span<const uint8_t> key, std::span<const uint8_t> value) {
  const vm::Map& m = *o.map;
  if (m.is_percpu()) {
    std::cout << "key:\n" << hex_text(key) << "\n";
    uint32_t stride = vm::round8(m.spec().value_size);
    for (uint32_t c = 0; c < m.ncpus(); ++c) {
      std::cout << "value (CPU " << (c < 10 ? "0" : "") << c
                << "): " << hex_text(value.subspan(c * stride, m.spec().value_size)) << "\n";
    }
    return;
  }
  bool multiline = key.size() + value.size() > 24;
  std::cout << "key:" << (multiline ? "\n" : " ") << hex_text(key) << (multiline ? "\n" : "  ");
  std::cout << "value:" << (multiline ? "\n" : " ") << hex_text(value) << "\n";
}

int map_dump(Args& args, const Globals& g) {
  auto c = open_map_call(args, g, KeyArg::kNone);
  if (!c.ok()) return fail(g, c.error());
  const Opened& o = c->o;
  vm::Map& m = c->map();
  auto t = m.type();
  if (t == platform::MapType::kRingbuf || t == platform::MapType::kUserRingbuf ||
      t == platform::MapType::kQueue || t == platform::MapType::kStack ||
      t == platform::MapType::kBloomFilter || t == platform::MapType::kPerfEventArray) {
    if (t == platform::MapType::kPerfEventArray || t == platform::MapType::kRingbuf) {
      return fail(g, "can't dump this map type, use 'map event_pipe'");
    }
    if (g.json) {
      print_json(g, nlohmann::ordered_json::array());
    } else {
      std::cout << "Found 0 elements\n";
    }
    return 0;
  }
  std::vector<uint8_t> key(m.spec().key_size), next(m.spec().key_size), value(m.user_value_size());
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  nlohmann::ordered_json formatted = nlohmann::ordered_json::array();
  size_t n = 0;
  const void* cur = nullptr;
  while (m.get_next_key(cur, next.data()) == 0) {
    key = next;
    cur = key.data();
    long r = m.sys_lookup(key.data(), value.data(), 0);
    if (r == -2) continue;  // deleted meanwhile
    ++n;
    if (g.json) {
      arr.push_back(element_json(o, key, value));
    } else if (o.fmt) {
      formatted.push_back(o.fmt->element(key, value, m.is_percpu() ? m.ncpus() : 0));
    } else {
      element_text(o, key, value);
    }
    if (n > m.spec().max_entries + 1024u) break;  // a map changing under us: stop eventually
  }
  if (g.json) {
    print_json(g, arr);
  } else if (o.fmt) {
    std::cout << bpftool_pretty(formatted) << "\n";
  } else {
    std::cout << "Found " << n << " element" << (n == 1 ? "" : "s") << "\n";
  }
  return 0;
}

int map_lookup(Args& args, const Globals& g) {
  auto c = open_map_call(args, g, KeyArg::kUnlessKeyless);
  if (!c.ok()) return fail(g, c.error());
  if (!args.empty()) return fail(g, "unexpected argument '" + args.peek() + "'");
  const Opened& o = c->o;
  vm::Map& m = c->map();
  const std::vector<uint8_t>& key = c->key;
  std::vector<uint8_t> value(m.user_value_size());
  long r = m.sys_lookup(c->key_ptr(), value.data(), 0);
  if (r == -2) {
    if (g.json) {
      print_json(g, nullptr);
    } else {
      std::cout << "key:\n" << hex_text(key) << "\n\nNot found\n";
    }
    return static_cast<unsigned char>(r);
  }
  if (r != 0) return fail_errno(g, "lookup failed", r);
  if (g.json) {
    print_json(g, element_json(o, key, value));
  } else if (o.fmt) {
    std::cout << bpftool_pretty(o.fmt->element(key, value, m.is_percpu() ? m.ncpus() : 0)) << "\n";
  } else {
    element_text(o, key, value);
  }
  return 0;
}

int map_getnext(Args& args, const Globals& g) {
  auto c = open_map_call(args, g, KeyArg::kOptional);
  if (!c.ok()) return fail(g, c.error());
  vm::Map& m = c->map();
  const std::vector<uint8_t>& key = c->key;
  std::vector<uint8_t> next(m.spec().key_size);
  long r = m.get_next_key(c->key_ptr(), next.data());
  if (r != 0) return fail_errno(g, "can't get next key", r);
  if (g.json) {
    nlohmann::ordered_json j;
    if (!key.empty()) j["key"] = hex_list(key);
    j["next_key"] = hex_list(next);
    print_json(g, j);
  } else {
    if (key.empty()) {
      std::cout << "key:\nNone\n";
    } else {
      std::cout << "key:\n" << hex_text(key) << "\n";
    }
    std::cout << "next key:\n" << hex_text(next) << "\n";
  }
  return 0;
}

Result<uint64_t> parse_update_flags(Args& args) {
  uint64_t flags = 0;
  while (!args.empty()) {
    if (args.accept("any")) {
      flags = 0;
    } else if (args.accept("exist")) {
      flags = 2;  // BPF_EXIST
    } else if (args.accept("noexist")) {
      flags = 1;  // BPF_NOEXIST
    } else {
      return make_error(Errc::kInvalid, "unexpected argument '" + args.peek() + "'");
    }
  }
  return flags;
}

// VALUE := DATA | MAP | PROG: prog arrays take a program, map-in-maps a map (both by id).
Result<std::vector<uint8_t>> parse_value(Args& args, const store::Store& st, const vm::Map& m) {
  if (!args.accept("value")) return make_error(Errc::kInvalid, "did not find value");
  auto t = m.type();
  if (t == platform::MapType::kProgArray || t == platform::MapType::kArrayOfMaps ||
      t == platform::MapType::kHashOfMaps) {
    bool prog = t == platform::MapType::kProgArray;
    BOMBUS_ASSIGN_OR_RETURN(uint32_t id,
                            select_one(args, st, prog ? store::Kind::kProg : store::Kind::kMap));
    std::vector<uint8_t> v(4);
    std::memcpy(v.data(), &id, 4);
    return v;
  }
  return parse_bytes(args, "value", m.is_percpu() ? m.spec().value_size : m.user_value_size());
}

int map_update(Args& args, const Globals& g) {
  auto c = open_map_call(args, g, KeyArg::kUnlessKeyless);
  if (!c.ok()) return fail(g, c.error());
  vm::Map& m = c->map();
  auto value = parse_value(args, c->st, m);
  if (!value.ok()) return fail(g, value.error());
  auto flags = parse_update_flags(args);
  if (!flags.ok()) return fail(g, flags.error());
  std::vector<uint8_t> v = *value;
  if (m.is_percpu()) {
    // bpftool: the same value for every CPU.
    uint32_t stride = vm::round8(m.spec().value_size);
    v.assign(m.user_value_size(), 0);
    for (uint32_t c = 0; c < m.ncpus(); ++c)
      std::memcpy(v.data() + c * stride, value->data(), value->size());
  }
  long r = m.sys_update(c->key_ptr(), v.data(), *flags);
  if (r != 0) return fail_errno(g, "update failed", r);
  if (g.json) print_json(g, nullptr);
  return 0;
}

int map_delete(Args& args, const Globals& g) {
  auto c = open_map_call(args, g, KeyArg::kRequired);
  if (!c.ok()) return fail(g, c.error());
  long r = c->map().sys_delete(c->key.data());
  if (r != 0) return fail_errno(g, "delete failed", r);
  if (g.json) print_json(g, nullptr);
  return 0;
}

int map_pin(Args& args, const Globals& g) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  auto id = select_one(args, *st, store::Kind::kMap);
  if (!id.ok()) return fail(g, id.error());
  auto path = args.require("pin path");
  if (!path.ok()) return fail(g, path.error());
  auto lk = st->lock();
  if (!lk.ok()) return fail(g, lk.error());
  if (auto s = st->pin(store::Kind::kMap, *id, *path); !s.ok()) return fail(g, s.error());
  if (g.json) print_json(g, nullptr);
  return 0;
}

int map_freeze(Args& args, const Globals& g) {
  auto c = open_map_call(args, g, KeyArg::kNone);
  if (!c.ok()) return fail(g, c.error());
  long r = c->map().freeze();
  if (r != 0) return fail_errno(g, "failed to freeze map", r);
  if (g.json) print_json(g, nullptr);
  return 0;
}

// peek/pop/dequeue (read, optionally removing) and push/enqueue (write) for queues and stacks.
int map_value_op(Args& args, const Globals& g, bool write, bool remove) {
  auto c = open_map_call(args, g, KeyArg::kNone);
  if (!c.ok()) return fail(g, c.error());
  const Opened& o = c->o;
  vm::Map& m = c->map();
  if (write) {
    auto value = parse_value(args, c->st, m);
    if (!value.ok()) return fail(g, value.error());
    long r = m.sys_update(nullptr, value->data(), 0);
    if (r != 0) return fail_errno(g, "update failed", r);
    if (g.json) print_json(g, nullptr);
    return 0;
  }
  std::vector<uint8_t> value(m.user_value_size());
  long r = remove ? m.sys_lookup_and_delete(nullptr, value.data(), 0)
                  : m.sys_lookup(nullptr, value.data(), 0);
  if (r != 0) return fail_errno(g, remove ? "pop failed" : "peek failed", r);
  if (g.json) {
    nlohmann::ordered_json j = {{"value", hex_list(value)}};
    if (o.fmt) j["formatted"] = o.fmt->element({}, value, 0);
    print_json(g, j);
  } else {
    std::cout << "value:" << (value.size() > 16 ? "\n" : " ") << hex_text(value) << "\n";
  }
  return 0;
}

}  // namespace

int map_create(Args& args, const Globals& g);
int map_event_pipe(Args& args, const Globals& g);

int do_map(Args& args, const Globals& g) {
  std::vector<Command> table = {
      {"show", map_show},
      {"list", map_show},
      {"create", map_create},
      {"dump", map_dump},
      {"update", map_update},
      {"lookup", map_lookup},
      {"getnext", map_getnext},
      {"delete", map_delete},
      {"pin", map_pin},
      {"event_pipe", map_event_pipe},
      {"peek", [](Args& a, const Globals& gg) { return map_value_op(a, gg, false, false); }},
      {"push", [](Args& a, const Globals& gg) { return map_value_op(a, gg, true, false); }},
      {"enqueue", [](Args& a, const Globals& gg) { return map_value_op(a, gg, true, false); }},
      {"pop", [](Args& a, const Globals& gg) { return map_value_op(a, gg, false, true); }},
      {"dequeue", [](Args& a, const Globals& gg) { return map_value_op(a, gg, false, true); }},
      {"freeze", map_freeze},
      {"help", [](Args&, const Globals& gg) { return map_help(gg); }},
  };
  return dispatch(table, args, g, [&] { return map_show(args, g); });
}

}  // namespace bombus::cli
