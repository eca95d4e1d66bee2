// `prog dump xlated|jited` and `prog verify`.
#include "prog_dump.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "isa/disasm.h"
#include "jit/dump.h"
#include "jit/engine/jit_engine.h"
#include "loading.h"
#include "platform/helper_protos.h"
#include "platform/program_types.h"
#include "runtime/object_impl.h"
#include "runtime/verifier_input.h"
#include "select.h"
#include "verifier/cfg_dot.h"
#include "verify_cache_use.h"

namespace fs = std::filesystem;

namespace bombus::cli {

namespace {

std::string helper_name(int32_t id) {
  const auto* h = platform::helper_proto(id);
  return h && !h->name.empty() ? "bpf_" + std::string(h->name) : std::string();
}

// Source line (BTF line info) that starts at instruction `pc`, or "".
std::string line_at(const loader::ProgramSpec& spec, size_t pc, bool with_location) {
  for (const auto& li : spec.line_info) {
    if (li.insn_off == pc && !li.text.empty()) {
      std::string s(li.text);
      s.erase(0, s.find_first_not_of(" \t"));
      if (with_location) {
        s += " [file:" + fs::path(std::string(li.file)).filename().string() +
             " line_num:" + std::to_string(li.line_col >> 10) +
             " line_col:" + std::to_string(li.line_col & 0x3ff) + "]";
      }
      return s;
    }
  }
  return {};
}

// The instructions as `dump xlated` shows them: what the engine runs, with map references
// shown as the store's map ids instead of host addresses.
std::vector<isa::Insn> xlated_insns(const Loaded& l, const runtime::ProgramImpl& p) {
  std::vector<isa::Insn> insns = p.insns;
  if (insns.size() != p.spec->insns.size()) insns = p.spec->insns;
  for (const auto& r : p.spec->map_refs) {
    if (r.insn + 1 >= insns.size()) continue;
    insns[r.insn].src = r.value ? isa::kPseudoMapValue : isa::kPseudoMapFd;
    insns[r.insn].imm =
        static_cast<int32_t>(r.map_index < l.map_ids.size() ? l.map_ids[r.map_index] : 0);
    insns[r.insn + 1].imm = r.value ? static_cast<int32_t>(r.offset) : 0;
  }
  return insns;
}

struct DumpArgs {
  bool jited = false, opcodes = false, linum = false, visual = false;
  std::optional<std::string> file;
};

int dump(Args& args, const Globals& g, bool jited) {
  auto st = open_store(g);
  if (!st.ok()) return fail(g, st.error());
  auto id = select_one(args, *st, store::Kind::kProg);
  if (!id.ok()) return fail(g, id.error());
  DumpArgs d;
  while (!args.empty()) {
    if (args.accept("file")) {
      auto f = args.require("file");
      if (!f.ok()) return fail(g, f.error());
      d.file = *f;
    } else if (args.accept("opcodes")) {
      d.opcodes = true;
    } else if (args.accept("linum")) {
      d.linum = true;
    } else if (!jited && args.accept("visual")) {
      d.visual = true;
    } else {
      return fail(g, "expected no more arguments, 'file', 'opcodes', 'linum'" +
                         std::string(jited ? "" : " or 'visual'") + ", got: '" + args.peek() +
                         "'?");
    }
  }
  // The program's cached verdict lets the dump skip the verifier, as `prog run` does.
  auto loaded = reload_program_cached(
      *st, *id, jited ? std::optional<Engine>(Engine::kJit) : std::nullopt, g.debug);
  if (!loaded.ok()) return fail(g, loaded.error());
  const runtime::ProgramImpl* p = nullptr;
  for (const auto& q : loaded->obj->impl()->prog_impls) {
    if (q->loaded) p = q.get();
  }
  if (!p) return fail(g, "program not loaded");
  std::vector<isa::Insn> insns = xlated_insns(*loaded, *p);

  if (d.file) {
    const auto* bytes = reinterpret_cast<const char*>(insns.data());
    std::ofstream(*d.file, std::ios::binary)
        .write(bytes, static_cast<std::streamsize>(insns.size() * 8));
    if (g.json) print_json(g, nullptr);
    return 0;
  }
  if (d.visual) {
    verifier::Program vp = runtime::verifier_input(*loaded->obj->impl(), *p);
    std::cout << verifier::cfg_dot(vp);
    return 0;
  }
  if (jited) {
    const auto* jp = p->image ? jit::jit_program_of(*p->image) : nullptr;
    if (!jp) return fail(g, "no JIT code for this program");
    jit::DumpOptions o;
    o.opcodes = d.opcodes;
    o.linum = d.linum;
    o.helper_name = helper_name;
    o.source_line = [&](size_t pc) { return line_at(*p->spec, pc, d.linum); };
    if (g.json) {
      auto blocks = jit::disassemble_jited(*jp, o);
      if (!blocks.ok()) return fail(g, blocks.error());
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& b : *blocks) {
        nlohmann::ordered_json jb;
        if (b.insn) jb["insn"] = *b.insn;
        if (!b.bpf_text.empty()) jb["bpf"] = b.bpf_text;
        if (!b.source.empty()) jb["src"] = b.source;
        nlohmann::ordered_json ops = nlohmann::ordered_json::array();
        for (const auto& c : b.code) {
          nlohmann::ordered_json jc = {
              {"pc", c.offset}, {"operation", c.mnemonic}, {"operands", c.operands}};
          if (d.opcodes) {
            std::vector<std::string> hex;
            for (uint8_t byte : c.bytes) {
              char buf[8];
              std::snprintf(buf, sizeof buf, "0x%02x", byte);
              hex.push_back(buf);
            }
            jc["opcodes"] = hex;
          }
          ops.push_back(jc);
        }
        jb["insns"] = ops;
        arr.push_back(jb);
      }
      print_json(g, arr);
      return 0;
    }
    auto text = jit::dump_jited(*jp, o);
    if (!text.ok()) return fail(g, text.error());
    std::cout << *text;
    return 0;
  }
  isa::DisasmOptions o;
  o.helper_name = helper_name;
  o.ll_suffix = false;
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    std::string src = line_at(*p->spec, pc, d.linum);
    char head[32];
    std::snprintf(head, sizeof head, "(%02x) ", insns[pc].opcode);
    std::string text = head + isa::disasm_insn(insns, pc, o);
    if (g.json) {
      nlohmann::ordered_json j;
      if (!src.empty()) j["src"] = src;
      j["disasm"] = text;
      if (d.opcodes) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02x", insns[pc].opcode);
        j["opcodes"] = {{"code", code}};
      }
      arr.push_back(j);
    } else {
      if (!src.empty()) std::cout << "; " << src << "\n";
      std::printf("%4zu: %s\n", pc, text.c_str());
      if (d.opcodes) {
        const auto* b = reinterpret_cast<const uint8_t*>(&insns[pc]);
        int n = isa::is_lddw(insns[pc]) ? 16 : 8;
        std::printf("      ");
        for (int i = 0; i < n; ++i) std::printf("%02x ", b[i]);
        std::printf("\n");
      }
    }
    if (isa::is_lddw(insns[pc])) ++pc;
  }
  if (g.json) print_json(g, arr);
  return 0;
}

}  // namespace

int prog_dump(Args& args, const Globals& g) {
  if (args.accept("xlated")) return dump(args, g, false);
  if (args.accept("jited")) return dump(args, g, true);
  return fail(g, args.empty() ? "expected 'xlated' or 'jited'"
                              : "expected 'xlated' or 'jited', got: '" + args.peek() + "'?");
}

// `prog verify OBJ [type TYPE] [log_level N] [visual]`: runs the verifier on every program of an
// object without loading it into the store.
int prog_verify(Args& args, const Globals& g) {
  auto path = args.require("object file");
  if (!path.ok()) return fail(g, path.error());
  int log_level = 0;
  std::optional<std::string> type;
  bool visual = false;
  while (!args.empty()) {
    if (args.accept("log_level")) {
      auto n = args.require_u64("log level");
      if (!n.ok()) return fail(g, n.error());
      log_level = static_cast<int>(*n);
    } else if (args.accept("type")) {
      auto t = args.require("program type");
      if (!t.ok()) return fail(g, t.error());
      if (!platform::prog_type_by_name(*t)) return fail(g, "unrecognized program type: " + *t);
      type = *t;
    } else if (args.accept("visual")) {
      visual = true;
    } else {
      return fail(g, "expected 'type', 'log_level' or 'visual', got: '" + args.peek() + "'?");
    }
  }
  auto obj = Object::open_file(*path);
  if (!obj.ok()) return fail(g, obj.error());
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  bool all_ok = true;
  for (const auto& p : (*obj)->impl()->prog_impls) {
    const auto& spec = *p->spec;
    verifier::Report rep = verify_program(**obj, spec.name, log_level, type);
    all_ok &= rep.accepted;
    const auto* ti =
        platform::prog_type_info(type ? platform::prog_type_by_name(*type)->type : p->type);
    std::string tname = ti ? std::string(ti->name) : "unspec";
    if (visual) {
      verifier::Program vp = runtime::verifier_input(*(*obj)->impl(), *p);
      std::cout << verifier::cfg_dot_with_states(vp);
      continue;
    }
    if (g.json) {
      nlohmann::ordered_json j = {{"name", spec.name},
                                  {"section", spec.section},
                                  {"type", tname},
                                  {"tag", prog_tag(spec)},
                                  {"accepted", rep.accepted},
                                  {"insns_processed", rep.insns_processed},
                                  {"verification_time_ns", rep.verification_time_ns}};
      if (!rep.accepted) {
        j["error"] = rep.error;
        if (rep.error_insn >= 0) j["error_insn"] = rep.error_insn;
        if (!rep.hint.empty()) j["hint"] = rep.hint;
      }
      if (!rep.log.empty()) j["log"] = rep.log;
      arr.push_back(j);
      continue;
    }
    std::cout << spec.name << " (" << spec.section << ", " << tname
              << "): " << (rep.accepted ? "accepted" : "rejected") << ", " << rep.insns_processed
              << " insns processed in " << rep.verification_time_ns / 1000 << " us\n";
    if (log_level > 0) std::cout << rep.log;
    if (!rep.accepted) {
      std::cout << "  "
                << (rep.error_insn >= 0 ? "insn " + std::to_string(rep.error_insn) + ": " : "")
                << rep.error << "\n";
      if (rep.error_insn >= 0) {
        const loader::LineInfo* best = nullptr;
        for (const auto& li : spec.line_info) {
          if (li.insn_off <= static_cast<uint32_t>(rep.error_insn)) best = &li;
        }
        if (best && !best->text.empty()) {
          std::string text(best->text);
          text.erase(0, text.find_first_not_of(" \t"));
          std::cout << "  ; " << text << " @ "
                    << fs::path(std::string(best->file)).filename().string() << ":"
                    << (best->line_col >> 10) << "\n";
        }
      }
      if (!rep.hint.empty()) std::cout << "  hint: " << rep.hint << "\n";
    }
  }
  if (g.json) print_json(g, arr);
  return all_ok ? 0 : 1;
}

}  // namespace bombus::cli
