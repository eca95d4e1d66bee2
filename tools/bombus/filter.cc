// `bombus filter 'EXPR' IN.pcap [write OUT.pcap] [count] [engine ...]`: a tcpdump expression
// compiled by libpcap, converted from classic BPF to eBPF and run over a capture.
#include "net/filter.h"

#include <iostream>

#include "net/engines.h"
#include "nouns.h"
#include "progress.h"

namespace bombus::cli {

int do_filter(Args& args, const Globals& g) {
  if (args.empty() || args.peek() == "help") {
    if (g.json) {
      print_json(g, nullptr);
      return 0;
    }
    std::cerr << "Usage: bombus filter EXPRESSION FILE [write OUT_FILE] [count]\n"
                 "                    [engine { ebpf | interp | classic | libpcap }]\n"
                 "                    [body { auto | branchy | flat | vector }]\n"
                 "\n"
                 "       EXPRESSION is a tcpdump filter expression (one word: quote it).\n"
                 "       FILE is a pcap or pcapng capture; matching packets go to OUT_FILE.\n"
                 "       count prints only the number of matching packets.\n"
                 "       ebpf (default): converted to eBPF and JIT-compiled (see body);\n"
                 "       interp: the same eBPF on the interpreter; classic: the reference\n"
                 "       cBPF interpreter; libpcap: libpcap's bpf_filter().\n"
                 "       body picks the ebpf engine's code: branchy (the lean JIT), flat (its\n"
                 "       branch-free body), vector (8 packets at once with AVX2); auto\n"
                 "       (default) times them on the first batches and keeps the fastest.\n";
    return 0;
  }
  net::FilterOptions opts;
  opts.expr = args.next();
  auto in = args.require("capture file");
  if (!in.ok()) return fail(g, in.error());
  opts.input = *in;
  bool count_only = false;
  while (!args.empty()) {
    if (args.accept("write")) {
      auto out = args.require("output file");
      if (!out.ok()) return fail(g, out.error());
      opts.write_out = *out;
    } else if (args.accept("count")) {
      count_only = true;
    } else if (args.accept("engine")) {
      auto e = args.require("engine");
      if (!e.ok()) return fail(g, e.error());
      if (is_prefix(*e, "ebpf")) {
        opts.engine = net::FilterEngine::kEbpf;
      } else if (is_prefix(*e, "interp")) {
        opts.engine = net::FilterEngine::kEbpf;
        opts.ebpf_engine = net::interp_ebpf_engine();
      } else if (is_prefix(*e, "classic")) {
        opts.engine = net::FilterEngine::kClassic;
      } else if (is_prefix(*e, "libpcap")) {
        opts.engine = net::FilterEngine::kLibpcap;
      } else {
        return fail(g, "unknown engine '" + *e + "', expected ebpf, interp, classic or libpcap");
      }
    } else if (args.accept("body")) {
      auto b = args.require("body");
      if (!b.ok()) return fail(g, b.error());
      using Body = net::FilterOptions::JitBody;
      if (is_prefix(*b, "auto")) {
        opts.jit_body = Body::kAuto;
      } else if (is_prefix(*b, "branchy")) {
        opts.jit_body = Body::kBranchy;
      } else if (is_prefix(*b, "flat")) {
        opts.jit_body = Body::kFlat;
      } else if (is_prefix(*b, "vector")) {
        opts.jit_body = Body::kVector;
      } else {
        return fail(g, "unknown body '" + *b + "', expected auto, branchy, flat or vector");
      }
    } else {
      return fail(g, "unrecognized argument '" + args.peek() + "'");
    }
  }
  Progress progress(!g.json, "packets");
  opts.progress = [&](const net::FilterStats& st, std::pair<uint64_t, uint64_t> pos) {
    progress.update(st.packets, pos.first, pos.second);
  };
  auto stats = net::run_filter(opts);
  progress.finish();
  if (!stats.ok()) return fail(g, stats.error());
  if (g.json) {
    print_json(g, {{"packets", stats->packets}, {"matched", stats->matched}});
  } else if (count_only) {
    std::cout << stats->matched << "\n";
  } else {
    std::cout << net::format_filter_stats(*stats, false) << "\n";
  }
  return 0;
}

}  // namespace bombus::cli
