// Reader for tests/data/verifier/*.case: a header of "key: value" lines, a "---" line, then the
// program in kernel-log assembly. Keys: prog (bpftool type name), license, map (repeatable:
// "NAME TYPE key=K value=V entries=N [lock=OFF] [timer=OFF]"), expect (accept|reject),
// error (substring of the first error line), insn (error instruction), log (substring of the
// level-1 log, repeatable), processed_max (upper bound on processed instructions).
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "isa/asm.h"
#include "platform/program_types.h"
#include "verifier/verifier.h"

namespace bombus::verifier::testing {

struct Case {
  std::string name;
  Program prog;
  bool expect_accept = true;
  std::string error;
  int insn = -1;
  std::vector<std::string> log;
  uint64_t processed_max = 0;
  std::string problem;  // non-empty: the file itself is malformed
};

inline platform::MapType map_type_by_name(const std::string& s) {
  using platform::MapType;
  if (s == "hash") return MapType::kHash;
  if (s == "array") return MapType::kArray;
  if (s == "prog_array") return MapType::kProgArray;
  if (s == "percpu_array") return MapType::kPercpuArray;
  if (s == "ringbuf") return MapType::kRingbuf;
  if (s == "perf_event_array") return MapType::kPerfEventArray;
  if (s == "lru_hash") return MapType::kLruHash;
  if (s == "array_of_maps") return MapType::kArrayOfMaps;
  return MapType::kUnspec;
}

inline Case parse_case(const std::string& name, const std::string& text) {
  Case c;
  c.name = name;
  std::istringstream in(text);
  std::string line, body;
  bool in_body = false;
  while (std::getline(in, line)) {
    if (in_body) {
      body += line + "\n";
      continue;
    }
    if (line == "---") {
      in_body = true;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      c.problem = "header line without ':': " + line;
      return c;
    }
    std::string key = line.substr(0, colon), val = line.substr(colon + 1);
    while (!val.empty() && val[0] == ' ') val.erase(0, 1);
    if (key == "prog") {
      auto* info = platform::prog_type_by_name(val);
      if (!info) {
        c.problem = "unknown prog type " + val;
        return c;
      }
      c.prog.type = info->type;
    } else if (key == "license") {
      c.prog.gpl = val == "GPL" || val == "Dual BSD/GPL" || val == "GPL v2";
    } else if (key == "map") {
      std::istringstream ms(val);
      MapInfo m;
      std::string type, kv;
      ms >> m.name >> type;
      m.type = map_type_by_name(type);
      while (ms >> kv) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string k = kv.substr(0, eq);
        long v = std::stol(kv.substr(eq + 1));
        if (k == "key")
          m.key_size = static_cast<uint32_t>(v);
        else if (k == "value")
          m.value_size = static_cast<uint32_t>(v);
        else if (k == "entries")
          m.max_entries = static_cast<uint32_t>(v);
        else if (k == "lock")
          m.spin_lock_off = static_cast<int32_t>(v);
        else if (k == "timer")
          m.timer_off = static_cast<int32_t>(v);
        else if (k == "inner")
          m.inner_map = static_cast<int32_t>(v);
        else if (k == "flags")
          m.flags = static_cast<uint32_t>(v);
      }
      c.prog.maps.push_back(m);
    } else if (key == "expect") {
      c.expect_accept = val == "accept";
    } else if (key == "error") {
      c.error = val;
    } else if (key == "insn") {
      c.insn = std::stoi(val);
    } else if (key == "log") {
      c.log.push_back(val);
    } else if (key == "processed_max") {
      c.processed_max = std::stoull(val);
    } else {
      c.problem = "unknown key " + key;
      return c;
    }
  }
  auto insns = isa::assemble(body);
  if (!insns.ok()) {
    c.problem = "assembly: " + insns.error().format();
    return c;
  }
  c.prog.insns = std::move(*insns);
  c.prog.name = name;
  return c;
}

}  // namespace bombus::verifier::testing
