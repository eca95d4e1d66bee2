// bombus-conformance-plugin: the bpf_conformance plugin protocol
// (github.com/Alan-Jowett/bpf_conformance, bpf_conformance_runner --plugin_path ...).
//
//   stdin   the program as hex bytes ("b7 00 00 00 01 00 00 00 95 ..."), whitespace allowed
//   argv    the input memory as hex bytes (first non-option argument; absent when the test has
//           no memory), then plugin options: --engine interp|checked|jit (also "--engine=X", or
//           "--engine X" as one argument, as older runners pass plugin_options)
//   stdout  r0 in hex, on success (exit 0)
//   stderr  a one-line message, on failure (exit 1); the runner compares it with "-- error"
//
// The program runs with r1 = the memory, r2 = its length, helper 5 = "unwind", and the memory
// as the packet for LD_ABS/LD_IND (see conformance_env.h).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "conformance_env.h"
#include "jit/jit.h"

namespace {

using bombus::Result;

enum class Engine { kInterp, kChecked, kJit };

constexpr uint64_t kCheckedBudget = 100'000'000;

int fail(const std::string& msg) {
  std::cerr << msg << std::endl;
  return 1;
}

// The one place engines are chosen. The JIT plugs in here once it exists.
Result<uint64_t> run(Engine engine, std::span<const bombus::isa::Insn> prog,
                     std::vector<uint8_t>& mem) {
  switch (engine) {
    case Engine::kInterp:
      return bombus::conformance::run_interp(prog, mem, false);
    case Engine::kChecked:
      return bombus::conformance::run_interp(prog, mem, true, kCheckedBudget);
    case Engine::kJit: {
      bombus::jit::JitOptions o;
      o.helpers = bombus::conformance::helpers();
      o.hooks = bombus::conformance::hooks();
      auto jp = bombus::jit::compile(prog, o);
      if (!jp.ok()) return jp.error();
      bombus::conformance::t_packet = bombus::vm::PacketView{mem.data(), mem.size()};
      auto r = (*jp)->run(mem.empty() ? nullptr : mem.data(), mem.size());
      bombus::conformance::t_packet = {};
      return r;
    }
  }
  return bombus::make_error(bombus::Errc::kInvalid, "unknown engine");
}

}  // namespace

int main(int argc, char** argv) {
  Engine engine = Engine::kInterp;
  std::string mem_hex;
  bool have_mem = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    // An option string may hold several words ("--engine checked" as one argument).
    std::string a = argv[i];
    if (a.starts_with("--")) {
      std::istringstream words(a);
      for (std::string w; words >> w;) args.push_back(w);
      if (args.back() == "--engine" && i + 1 < argc) args.push_back(argv[++i]);
    } else if (!have_mem) {
      mem_hex = a;
      have_mem = true;
    } else {
      return fail("unexpected argument '" + a + "' (memory was already given)");
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    if (a.starts_with("--engine=")) {
      value = a.substr(9);
    } else if (a == "--engine") {
      if (i + 1 >= args.size()) return fail("--engine needs a value: interp, checked or jit");
      value = args[++i];
    } else if (a == "--elf") {
      return fail("ELF input (--elf) is not supported by bombus-conformance-plugin");
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: bombus-conformance-plugin [MEMORY_HEX] [--engine interp|checked|jit]"
                   " < PROGRAM_HEX\n";
      return 0;
    } else {
      return fail("unknown option '" + a + "'");
    }
    if (!value.empty()) {
      if (value == "interp")
        engine = Engine::kInterp;
      else if (value == "checked")
        engine = Engine::kChecked;
      else if (value == "jit")
        engine = Engine::kJit;
      else
        return fail("unknown engine '" + value + "' (expected interp, checked or jit)");
    }
  }

  std::string prog_hex((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  auto prog_bytes = bombus::parse_hex_bytes(prog_hex);
  if (!prog_bytes.ok()) return fail("program: " + prog_bytes.error().format());
  auto prog = bombus::conformance::insns_from_bytes(*prog_bytes);
  if (!prog.ok()) return fail("program: " + prog.error().format());
  std::vector<uint8_t> mem;
  if (have_mem) {
    auto m = bombus::parse_hex_bytes(mem_hex);
    if (!m.ok()) return fail("memory: " + m.error().format());
    mem = std::move(*m);
  }
  auto r0 = run(engine, *prog, mem);
  if (!r0.ok()) return fail(r0.error().format());
  std::printf("%llx\n", static_cast<unsigned long long>(*r0));
  return 0;
}
