// libbpf-backed KernelProgram (see kernel_oracle.h).
#include "kernel_oracle.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bombus::bench {

KernelProgram::KernelProgram(KernelProgram&& o) noexcept
    : fds_(std::move(o.fds_)), map_fd_(o.map_fd_) {
  o.fds_.clear();
  o.map_fd_ = -1;
}

KernelProgram::~KernelProgram() {
  for (int fd : fds_) close(fd);
  if (map_fd_ >= 0) close(map_fd_);
}

Result<KernelProgram> KernelProgram::load(const BenchProgram& p) {
  KernelProgram k;
  if (p.map == MapKind::kProgArray) {
    k.map_fd_ = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bench_chain", 4, 4,
                               static_cast<uint32_t>(p.progs.size()), nullptr);
  } else if (p.map == MapKind::kHash) {
    k.map_fd_ = bpf_map_create(BPF_MAP_TYPE_HASH, "bench_hash", 4, 8, kHashEntries, nullptr);
    for (uint32_t key = 0; k.map_fd_ >= 0 && key < kHashEntries; ++key) {
      const uint64_t val = hash_value(key);
      bpf_map_update_elem(k.map_fd_, &key, &val, BPF_ANY);
    }
  }
  if (p.map != MapKind::kNone && k.map_fd_ < 0) {
    return make_error(Errc::kUnsupported, std::string("bpf_map_create: ") + std::strerror(errno));
  }
  static char log[1 << 16];
  for (size_t i = 0; i < p.progs.size(); ++i) {
    std::vector<isa::Insn> insns = p.progs[i];
    for (size_t j = 0; j + 1 < insns.size(); ++j) {
      if (isa::is_lddw(insns[j]) && isa::lddw_imm64(insns[j], insns[j + 1]) == kMapPlaceholder) {
        insns[j].src = BPF_PSEUDO_MAP_FD;
        insns[j].imm = k.map_fd_;
        insns[j + 1].imm = 0;
      }
    }
    // Without a log first (a long verifier log fails the load with ENOSPC), then with one to
    // say why it failed.
    int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, p.name, "GPL",
                           reinterpret_cast<const bpf_insn*>(insns.data()), insns.size(), nullptr);
    log[0] = 0;
    if (fd < 0) {
      LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = sizeof log, .log_buf = log);
      fd = bpf_prog_load(BPF_PROG_TYPE_XDP, p.name, "GPL",
                         reinterpret_cast<const bpf_insn*>(insns.data()), insns.size(), &opts);
    }
    if (fd < 0) {
      std::string msg = std::string("bpf_prog_load(") + p.name + "): " + std::strerror(errno);
      const size_t len = std::strlen(log);
      if (len > 0) msg += "\n" + std::string(log, len > 2000 ? log + len - 2000 : log);
      return make_error(Errc::kUnsupported, msg);
    }
    k.fds_.push_back(fd);
  }
  for (size_t i = 0; p.map == MapKind::kProgArray && i < k.fds_.size(); ++i) {
    const uint32_t key = static_cast<uint32_t>(i);
    const uint32_t val = static_cast<uint32_t>(k.fds_[i]);
    if (bpf_map_update_elem(k.map_fd_, &key, &val, BPF_ANY) != 0) {
      return make_error(Errc::kUnsupported,
                        std::string("prog array update: ") + std::strerror(errno));
    }
  }
  return k;
}

Result<uint64_t> KernelProgram::run(const std::vector<uint8_t>& packet, int repeat,
                                    uint32_t* ns_per_run) const {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(),
              .data_size_in = static_cast<uint32_t>(packet.size()), .repeat = repeat);
  if (bpf_prog_test_run_opts(fds_[0], &opts) != 0) {
    return make_error(Errc::kUnsupported,
                      std::string("BPF_PROG_TEST_RUN: ") + std::strerror(errno));
  }
  if (ns_per_run) *ns_per_run = opts.duration;
  return static_cast<uint64_t>(opts.retval);
}

}  // namespace bombus::bench
