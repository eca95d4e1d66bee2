// The environment the bpf_conformance suite expects of an engine, shared by the conformance
// plugin and tests/conformance: helper 5 ("unwind": returns its first argument and ends the
// program when that argument is 0), r1 = input memory, r2 = its length, and — for the legacy
// packet loads (LD_ABS/LD_IND) — the input memory playing the packet. Also the .data file
// reader. Header-only so both binaries include it without a library of their own.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "isa/asm.h"
#include "isa/insn.h"
#include "vm/abi.h"
#include "vm/interp.h"

namespace bombus::conformance {

inline uint64_t helper_unwind(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t) {
  if (a == 0) {
    vm::RunState* rs = vm::current_run_state();
    rs->stop = true;
    rs->stop_value = 0;
  }
  return a;
}

inline std::span<const vm::HelperFn> helpers() {
  static const std::array<vm::HelperFn, 6> table = {nullptr, nullptr, nullptr,
                                                    nullptr, nullptr, helper_unwind};
  return table;
}

// The packet for LD_ABS/LD_IND: the run's input memory (set by the caller before each run).
inline thread_local vm::PacketView t_packet;
inline vm::PacketView packet_hook(void*) {
  return t_packet;
}

inline vm::EngineHooks hooks() {
  vm::EngineHooks h;
  h.packet_data = packet_hook;
  return h;
}

// Runs `prog` on `mem` in the interpreter (checked or not) the way the suite expects.
inline Result<uint64_t> run_interp(std::span<const isa::Insn> prog, std::vector<uint8_t>& mem,
                                   bool checked, uint64_t budget = 0) {
  vm::InterpOptions o;
  o.checked = checked;
  o.budget = budget;
  o.helpers = helpers();
  o.hooks = hooks();
  auto it = vm::Interpreter::create(prog, o);
  if (!it.ok()) return it.error();
  t_packet = vm::PacketView{mem.data(), mem.size()};
  auto r = it->run(mem.empty() ? nullptr : mem.data(), mem.size());
  t_packet = {};
  return r;
}

// Wire bytes (little-endian struct bpf_insn) to instructions.
inline Result<std::vector<isa::Insn>> insns_from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() % 8 != 0) {
    return make_error(Errc::kInvalid,
                      "program is " + std::to_string(bytes.size()) + " bytes, not a multiple of 8");
  }
  std::vector<isa::Insn> out(bytes.size() / 8);
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t* b = bytes.data() + i * 8;
    isa::Insn& in = out[i];
    in.opcode = b[0];
    in.dst = b[1] & 0x0f;
    in.src = b[1] >> 4;
    in.off = static_cast<int16_t>(b[2] | (b[3] << 8));
    in.imm = static_cast<int32_t>(load_unaligned<uint32_t>(b + 4));
  }
  return out;
}

// One .data file: "-- asm", "-- raw", "-- mem", "-- result", "-- error" sections.
struct Case {
  std::vector<isa::Insn> prog;
  std::vector<uint8_t> mem;
  std::optional<uint64_t> result;
  std::string error;
};

inline Result<Case> parse_case(std::string_view text) {
  std::string section, asm_text, raw_text, mem_text, result_text, error_text;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("--")) {
      section = std::string(line.substr(2));
      while (!section.empty() && section.front() == ' ') section.erase(section.begin());
      continue;
    }
    std::string_view body = line;
    if (section != "c" && section != "asm") {
      size_t hash = body.find('#');
      if (hash != std::string_view::npos) body = body.substr(0, hash);
    } else if (section == "asm" && body.starts_with("#")) {
      continue;
    }
    std::string l(body);
    l += '\n';
    if (section == "asm")
      asm_text += l;
    else if (section == "raw")
      raw_text += l;
    else if (section == "mem")
      mem_text += l;
    else if (section == "result")
      result_text += l;
    else if (section == "error")
      error_text += l;
  }
  Case c;
  if (!raw_text.empty()) {
    std::vector<uint8_t> bytes;
    size_t pos = 0;
    while (pos < raw_text.size()) {
      while (pos < raw_text.size() && std::isspace(static_cast<unsigned char>(raw_text[pos])))
        ++pos;
      if (pos >= raw_text.size()) break;
      char* end = nullptr;
      uint64_t w = std::strtoull(raw_text.c_str() + pos, &end, 16);
      if (end == raw_text.c_str() + pos) return make_error(Errc::kInvalid, "bad -- raw word");
      pos = static_cast<size_t>(end - raw_text.c_str());
      for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<uint8_t>(w >> (8 * i)));
    }
    BOMBUS_ASSIGN_OR_RETURN(c.prog, insns_from_bytes(bytes));
  } else {
    BOMBUS_ASSIGN_OR_RETURN(c.prog, isa::assemble(asm_text));
  }
  if (!mem_text.empty()) {
    BOMBUS_ASSIGN_OR_RETURN(c.mem, parse_hex_bytes(mem_text));
  }
  size_t b = result_text.find_first_not_of(" \t\n");
  if (b != std::string::npos) {
    const char* s = result_text.c_str() + b;
    char* end = nullptr;
    bool neg = *s == '-';
    uint64_t v = std::strtoull(neg ? s + 1 : s, &end, 0);
    c.result = neg ? 0 - v : v;
  }
  size_t e = error_text.find_first_not_of(" \t\n");
  if (e != std::string::npos) {
    c.error = error_text.substr(e);
    while (!c.error.empty() && (c.error.back() == '\n' || c.error.back() == ' '))
      c.error.pop_back();
  }
  return c;
}

}  // namespace bombus::conformance
