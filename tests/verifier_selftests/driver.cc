// verifier_selftest_driver: for every program of the given .bpf.o files that carries the kernel
// selftests' annotations (BTF decl tags "comment:test_expect_failure", "..._success",
// "..._msg=TEXT"), runs bombus's verifier and, unless --no-kernel, the running kernel's (via
// libbpf), then prints agreement figures and every disagreement. --tsv FILE writes one row per
// program.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "loader/kernel_btf.h"
#include "loader/object.h"
#include "runtime/btf_func_info.h"
#include "verifier/verifier.h"

#ifdef BOMBUS_HAVE_LIBBPF
#include <bpf/libbpf.h>
#endif

namespace {

using namespace bombus;

struct Expect {
  bool tested = false;  // has a privileged-mode verdict annotation
  bool failure = false;
  std::vector<std::string> msgs;
  uint32_t flags = 0;
};

Expect read_expect(const btf::Btf& b, const std::string& func) {
  Expect e;
  auto id = b.find(func, btf::Kind::kFunc);
  if (!id) return e;
  for (uint32_t t : b.decl_tags(*id)) {
    std::string n(b.name(t));
    if (n.rfind("comment:", 0) != 0) continue;
    n = n.substr(8);
    if (n == "test_expect_failure")
      e.tested = true, e.failure = true;
    else if (n == "test_expect_success")
      e.tested = true, e.failure = false;
    else if (n.rfind("test_expect_msg=", 0) == 0) {
      // 6.x tags carry a counter for ordering: "test_expect_msg=N=TEXT".
      std::string v = n.substr(16);
      size_t eq = v.find('=');
      if (eq != std::string::npos && eq > 0 && v.find_first_not_of("0123456789") == eq)
        v = v.substr(eq + 1);
      e.msgs.push_back(v);
    } else if (n.rfind("test_prog_flags=", 0) == 0) {
      std::string v = n.substr(16);
      if (v.find("STRICT_ALIGNMENT") != std::string::npos || v == "1") e.flags |= 1;
      if (v.find("ANY_ALIGNMENT") != std::string::npos) e.flags |= 2;
    }
  }
  return e;
}

// The kernel selftests' message patterns may hold {{regex}} parts; the literal pieces must appear
// in order.
bool log_matches(const std::string& log, const std::vector<std::string>& msgs) {
  size_t pos = 0;
  for (const auto& m : msgs) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < m.size()) {
      size_t open = m.find("{{", i);
      if (open == std::string::npos) {
        parts.push_back(m.substr(i));
        break;
      }
      parts.push_back(m.substr(i, open - i));
      size_t close = m.find("}}", open);
      i = close == std::string::npos ? m.size() : close + 2;
    }
    for (const auto& p : parts) {
      if (p.empty()) continue;
      size_t f = log.find(p, pos);
      if (f == std::string::npos) return false;
      pos = f + p.size();
    }
  }
  return true;
}

int32_t find_member(const btf::Btf& b, uint32_t type_id, std::string_view struct_name) {
  uint32_t id = b.skip_modifiers(type_id);
  auto t = b.type(id);
  if (!t.is_struct_or_union()) return -1;
  for (uint32_t i = 0; i < t.vlen(); ++i) {
    auto m = t.member(i);
    uint32_t mt = b.skip_modifiers(m.type);
    if (b.name(mt) == struct_name) return static_cast<int32_t>(m.bit_offset / 8);
  }
  return -1;
}

verifier::MapInfo map_info(const loader::ObjectSpec& obj, const loader::MapSpec& m) {
  verifier::MapInfo mi;
  mi.type = static_cast<platform::MapType>(static_cast<uint32_t>(m.type));
  mi.key_size = m.key_size;
  mi.value_size = m.value_size;
  mi.max_entries = m.max_entries;
  mi.flags = m.map_flags;
  if (m.frozen) mi.flags |= platform::kFRdonlyProg;
  mi.name = m.name;
  if (obj.btf && m.btf_value_type_id) {
    mi.spin_lock_off = find_member(*obj.btf, m.btf_value_type_id, "bpf_spin_lock");
    mi.timer_off = find_member(*obj.btf, m.btf_value_type_id, "bpf_timer");
  }
  return mi;
}

verifier::Program to_program(const loader::ObjectSpec& obj, const loader::ProgramSpec& p) {
  verifier::Program prog;
  prog.name = p.name;
  prog.insns = p.insns;
  prog.type = static_cast<platform::ProgType>(static_cast<uint32_t>(p.type));
  prog.expected_attach_type = p.expected_attach_type.value_or(platform::AttachType{});
  prog.gpl = obj.license.find("GPL") != std::string::npos;
  prog.attach_target = p.attach_target;
  prog.kernel_btf = []() -> std::shared_ptr<const btf::Btf> {
    auto b = loader::system_vmlinux_btf();
    return b.ok() ? *b : nullptr;
  };
  for (const auto& m : obj.maps) prog.maps.push_back(map_info(obj, m));
  for (size_t i = 0; i < obj.maps.size(); ++i) {
    if (obj.maps[i].inner) {
      prog.maps[i].inner_map = static_cast<int32_t>(prog.maps.size());
      prog.maps.push_back(map_info(obj, *obj.maps[i].inner));
    }
  }
  if (obj.btf)
    for (const auto& fi : p.func_info)
      prog.funcs.push_back({fi.insn_off, runtime::btf_func_returns_scalar(*obj.btf, fi.type_id)});
  for (const auto& li : p.line_info)
    prog.lines.push_back({li.insn_off, std::string(li.file), li.line_col >> 10, li.line_col & 0x3ff,
                          std::string(li.text)});
  for (const auto& x : obj.externs) {  // kfunc calls name the kernel BTF id the loader resolved
    if (!x.is_func || !x.resolved) continue;
    int16_t off = 0;
    for (size_t m = 0; m < obj.btf_modules.size(); ++m)
      if (obj.btf_modules[m] == x.btf_module) off = static_cast<int16_t>(m + 1);
    prog.kfuncs.push_back({static_cast<int32_t>(x.kernel_btf_id), off, x.name});
  }
  return prog;
}

struct KernelResult {
  int verdict = -1;  // 1 accepted, 0 rejected by the verifier, -1 could not try
  std::string error;
};

#ifdef BOMBUS_HAVE_LIBBPF
int silent(enum libbpf_print_level, const char*, va_list) {
  return 0;
}

KernelResult kernel_load(const std::string& path, const std::string& name, uint32_t flags) {
  KernelResult r;
  bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj) {
    r.error = "open failed";
    return r;
  }
  static std::vector<char> buf(1 << 20);
  buf[0] = 0;
  bpf_program* target = nullptr;
  bpf_program* p;
  bpf_object__for_each_program(p, obj) {
    bool me = name == bpf_program__name(p);
    bpf_program__set_autoload(p, me);
    if (me) target = p;
  }
  if (!target) {
    bpf_object__close(obj);
    r.error = "program not found";
    return r;
  }
  bpf_program__set_log_buf(target, buf.data(), buf.size());
  bpf_program__set_log_level(target, 1);
  if (flags & 1)
    bpf_program__set_flags(target, bpf_program__flags(target) | BPF_F_STRICT_ALIGNMENT);
  if (flags & 2) bpf_program__set_flags(target, bpf_program__flags(target) | BPF_F_ANY_ALIGNMENT);
  int err = bpf_object__load(obj);
  std::string log(buf.data());
  if (err == 0) {
    r.verdict = 1;
  } else if (log.find("processed ") != std::string::npos || !log.empty()) {
    r.verdict = 0;
    // The error is the last line before the stats lines.
    std::vector<std::string> lines;
    size_t s = 0;
    while (s < log.size()) {
      size_t e = log.find('\n', s);
      if (e == std::string::npos) e = log.size();
      lines.push_back(log.substr(s, e - s));
      s = e + 1;
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->empty() || it->rfind("processed ", 0) == 0 ||
          it->rfind("verification time", 0) == 0 || it->rfind("stack depth", 0) == 0)
        continue;
      r.error = *it;
      break;
    }
    // Only statistics in the log: the verifier passed and something later failed (attach
    // target, JIT, ...). Not a verifier verdict.
    if (r.error.empty()) r.verdict = -1, r.error = "load failed after verification";
  } else {
    r.error = "load failed before verification (" + std::to_string(err) + ")";
  }
  bpf_object__close(obj);
  return r;
}
#endif

// Rows of a results.tsv: file, program, expected, bombus, kernel, msg_match, bombus_error,
// kernel_error, time_us.
std::map<std::string, KernelResult> read_kernel_tsv(std::istream& in) {
  std::map<std::string, KernelResult> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t s = 0;
    while (true) {
      size_t t = line.find('\t', s);
      f.push_back(line.substr(s, t == std::string::npos ? std::string::npos : t - s));
      if (t == std::string::npos) break;
      s = t + 1;
    }
    if (f.size() < 8) continue;
    KernelResult k;
    k.verdict = f[4] == "accept" ? 1 : f[4] == "reject" ? 0 : -1;
    k.error = f[7];
    out[f[0] + ":" + f[1]] = k;
  }
  return out;
}

std::string clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n') c = ' ';
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  bool use_kernel = true;
  bool verbose = false;
  bool allow_uninit_stack = true;  // --strict-stack: bombus's default (refuse uninit reads)
  std::string tsv_path, kernel_tsv, only_prog;  // --prog NAME: that program only, log printed
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-kernel")
      use_kernel = false;
    else if (a == "-v")
      verbose = true;
    else if (a == "--tsv" && i + 1 < argc)
      tsv_path = argv[++i];
    else if (a == "--strict-stack")
      allow_uninit_stack = false;
    else if (a == "--prog" && i + 1 < argc)
      only_prog = argv[++i];
    else if (a == "--kernel-tsv" && i + 1 < argc)
      kernel_tsv = argv[++i];
    else
      files.push_back(a);
  }
#ifdef BOMBUS_HAVE_LIBBPF
  libbpf_set_print(silent);
#else
  use_kernel = false;
#endif
  // --kernel-tsv FILE: take the kernel's verdicts from an earlier run's results.tsv instead of
  // loading every program again (the kernel's answers do not change between bombus builds).
  std::map<std::string, KernelResult> cached;
  if (!kernel_tsv.empty()) {
    std::ifstream in(kernel_tsv);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", kernel_tsv.c_str());
      return 1;
    }
    cached = read_kernel_tsv(in);
    use_kernel = true;
  }
  std::ofstream tsv;
  if (!tsv_path.empty()) {
    tsv.open(tsv_path);
    tsv << "file\tprogram\texpected\tbombus\tkernel\tmsg_match\tbombus_error\tkernel_error\ttime_"
           "us\n";
  }
  int n_files = 0, n_open_fail = 0, n_progs = 0, n_unsupported = 0;
  int ann_agree = 0, ann_total = 0, msg_total = 0, msg_agree = 0;
  int k_total = 0, k_agree = 0, k_na = 0;
  std::vector<std::string> disagreements;
  for (const auto& f : files) {
    ++n_files;
    auto obj = loader::open_object_file(f);
    std::string base = f.substr(f.find_last_of('/') + 1);
    if (!obj.ok()) {
      ++n_open_fail;
      std::printf("open failed: %s: %s\n", base.c_str(), obj.error().format().c_str());
      continue;
    }
    for (const auto& p : obj->programs) {
      Expect e = obj->btf ? read_expect(*obj->btf, p.name) : Expect{};
      if (!e.tested || (!only_prog.empty() && p.name != only_prog)) continue;
      ++n_progs;
      verifier::Program prog = to_program(*obj, p);
      verifier::Options o;
      o.log_level = e.msgs.empty() && only_prog.empty() ? 0 : 1;
      o.strict_alignment = e.flags & 1;
      // The privileged mode the kernel runs these tests in (root: CAP_PERFMON) lets programs
      // read stack bytes they never wrote (env->allow_uninit_stack); bombus's default refuses
      // them, so compare like with like.
      o.allow_uninit_stack = allow_uninit_stack;
      if (verbose) std::fprintf(stderr, "%s:%s\n", base.c_str(), p.name.c_str());
      verifier::Report r = verifier::verify(prog, o);
      if (verbose)
        std::fprintf(stderr, "  %s %llu insns %llu us\n", r.accepted ? "accept" : r.error.c_str(),
                     static_cast<unsigned long long>(r.insns_processed),
                     static_cast<unsigned long long>(r.verification_time_ns / 1000));
      if (!only_prog.empty()) std::fprintf(stderr, "%s\n", r.log.c_str());
      bool unsupported = r.error.rfind("unsupported program type", 0) == 0;
      if (unsupported) ++n_unsupported;
      std::string ours = unsupported ? "unsupported" : (r.accepted ? "accept" : "reject");
      std::string want = e.failure ? "reject" : "accept";
      std::string msg = "-";
      if (!unsupported) {
        ++ann_total;
        if (ours == want) ++ann_agree;
        if (e.failure && !e.msgs.empty() && !r.accepted) {
          ++msg_total;
          bool ok = log_matches(r.log, e.msgs);
          msg_agree += ok;
          msg = ok ? "yes" : "no";
          if (!ok && verbose)
            for (const auto& m : e.msgs) std::fprintf(stderr, "  want msg: %s\n", m.c_str());
        }
      }
      KernelResult k;
      if (!kernel_tsv.empty()) {
        auto it = cached.find(base + ":" + p.name);
        if (it != cached.end()) k = it->second;
      }
#ifdef BOMBUS_HAVE_LIBBPF
      else if (use_kernel)
        k = kernel_load(f, p.name, e.flags);
#endif
      std::string kv = k.verdict < 0 ? "n/a" : (k.verdict ? "accept" : "reject");
      if (!unsupported && k.verdict >= 0) {
        ++k_total;
        if ((k.verdict == 1) == r.accepted)
          ++k_agree;
        else
          disagreements.push_back(base + ":" + p.name + "\tbombus " + ours + " (" + clean(r.error) +
                                  ")\tkernel " + kv + " (" + clean(k.error) + ")");
      } else if (!unsupported) {
        ++k_na;
      }
      if (tsv.is_open())
        tsv << base << '\t' << p.name << '\t' << want << '\t' << ours << '\t' << kv << '\t' << msg
            << '\t' << clean(r.error) << '\t' << clean(k.error) << '\t'
            << r.verification_time_ns / 1000 << '\n';
    }
  }
  std::printf("files %d (open failed %d), annotated programs %d, unsupported program types %d\n",
              n_files, n_open_fail, n_progs, n_unsupported);
  std::printf("bombus vs annotations: verdict %d/%d (%.1f%%), message %d/%d\n", ann_agree,
              ann_total, ann_total ? 100.0 * ann_agree / ann_total : 0.0, msg_agree, msg_total);
  if (use_kernel) {
    std::printf("bombus vs kernel: verdict %d/%d (%.1f%%) over programs both load; kernel n/a %d\n",
                k_agree, k_total, k_total ? 100.0 * k_agree / k_total : 0.0, k_na);
    for (const auto& d : disagreements) std::printf("DISAGREE %s\n", d.c_str());
  }
  return 0;
}
