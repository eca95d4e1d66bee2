// Capstone-based disassembly of JIT code for `prog dump jited`.
#include "jit/dump.h"

#include <capstone/capstone.h>

#include <cstdio>

namespace bombus::jit {

namespace {
// RAII capstone handle.
class Capstone {
 public:
  Capstone() {
    ok_ = cs_open(CS_ARCH_X86, CS_MODE_64, &h_) == CS_ERR_OK;
    if (ok_) cs_option(h_, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
  }
  ~Capstone() {
    if (ok_) cs_close(&h_);
  }
  Capstone(const Capstone&) = delete;
  Capstone& operator=(const Capstone&) = delete;
  bool ok() const { return ok_; }
  csh handle() const { return h_; }

 private:
  csh h_ = 0;
  bool ok_ = false;
};

// Disassembles [begin, end) of the code; bytes capstone cannot decode come out as ".byte".
void decode_range(const Capstone& cs, std::span<const uint8_t> code, size_t begin, size_t end,
                  std::vector<JitedInsn>& out) {
  size_t pos = begin;
  while (pos < end) {
    cs_insn* insn = nullptr;
    const size_t count = cs_disasm(cs.handle(), code.data() + pos, end - pos, pos, 0, &insn);
    size_t consumed = 0;
    for (size_t i = 0; i < count; ++i) {
      JitedInsn j;
      j.offset = insn[i].address;
      j.bytes.assign(insn[i].bytes, insn[i].bytes + insn[i].size);
      j.mnemonic = insn[i].mnemonic;
      j.operands = insn[i].op_str;
      consumed += insn[i].size;
      out.push_back(std::move(j));
    }
    if (count > 0) cs_free(insn, count);
    pos += consumed;
    if (pos < end && count == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", code[pos]);
      out.push_back(JitedInsn{pos, {code[pos]}, ".byte", buf});
      ++pos;
    }
  }
}
}  // namespace

Result<std::vector<JitedBlock>> disassemble_jited(const JitProgram& prog, const DumpOptions& opts) {
  Capstone cs;
  if (!cs.ok()) return make_error(Errc::kUnsupported, "capstone: cannot open an x86-64 handle");
  const auto code = prog.code();
  const auto offsets = prog.insn_offsets();
  const auto insns = prog.insns();
  isa::DisasmOptions dopts;
  dopts.helper_name = opts.helper_name;
  std::vector<JitedBlock> blocks;
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    JitedBlock b;
    b.insn = pc;
    char head[16];
    std::snprintf(head, sizeof head, "(%02x) ", insns[pc].opcode);
    b.bpf_text = head + isa::disasm_insn(insns, pc, dopts);
    if (opts.linum && opts.source_line) b.source = opts.source_line(pc);
    size_t next = pc + 1;
    if (isa::is_lddw(insns[pc]) && next < insns.size()) ++next;
    decode_range(cs, code, offsets[pc], offsets[next], b.code);
    blocks.push_back(std::move(b));
    pc = next - 1;
  }
  JitedBlock stubs;
  decode_range(cs, code, offsets[insns.size()], code.size(), stubs.code);
  if (!stubs.code.empty()) blocks.push_back(std::move(stubs));
  return blocks;
}

Result<std::string> dump_jited(const JitProgram& prog, const DumpOptions& opts) {
  BOMBUS_ASSIGN_OR_RETURN(auto blocks, disassemble_jited(prog, opts));
  std::string out;
  char buf[64];
  for (const JitedBlock& b : blocks) {
    if (!b.source.empty()) out += "; " + b.source + "\n";
    if (b.insn) {
      std::snprintf(buf, sizeof buf, "; %zu: ", *b.insn);
      out += buf + b.bpf_text + "\n";
    } else {
      out += "; out-of-line: stop, fault and unwind paths\n";
    }
    for (const JitedInsn& j : b.code) {
      std::snprintf(buf, sizeof buf, "%4llx:\t", static_cast<unsigned long long>(j.offset));
      out += buf + j.mnemonic;
      if (!j.operands.empty()) {
        out.append(j.mnemonic.size() < 6 ? 7 - j.mnemonic.size() : 1, ' ');
        out += j.operands;
      }
      out += "\n";
      if (opts.opcodes) {
        out += "\t";
        for (uint8_t byte : j.bytes) {
          std::snprintf(buf, sizeof buf, "%02x ", byte);
          out += buf;
        }
        out += "\n";
      }
    }
  }
  return out;
}

}  // namespace bombus::jit
