// For each corpus object libbpf can load: open it with libbpf and load it into the kernel, then
// compare, program by program, the instructions libbpf submitted (bpf_program__insns after load)
// with bombus's relocated instructions. libbpf's lddw map fds (src 1/2) are mapped back to map
// names and compared with bombus's map indexes (src 5/6). Map definitions and the initial
// contents of global data and .kconfig maps are compared too. Needs root and a working bpf();
// skips cleanly otherwise.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bombus_progs.h"
#include "btf/btf.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

bool bpf_works() {
  if (geteuid() != 0) return false;
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bombus_probe", 4, 4, 1, nullptr);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::string show(const isa::Insn& i) {
  char b[96];
  std::snprintf(b, sizeof b, "{op 0x%02x dst %u src %u off %d imm %d}", i.opcode, i.dst, i.src,
                i.off, i.imm);
  return b;
}

class KernelLoader : public ::testing::TestWithParam<std::string> {};

TEST_P(KernelLoader, InstructionsMatchLibbpf) {
  if (!bpf_works()) GTEST_SKIP() << "bpf() unavailable (needs root and BPF syscall)";
  const std::string path = progs::path(GetParam());
  libbpf_set_print(nullptr);
  bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
  ASSERT_NE(obj, nullptr) << "libbpf cannot open " << path;
  int err = bpf_object__load(obj);
  // ksyms_typed: libbpf resolves and relocates everything, but this kernel cannot give typed
  // data ksyms an address (CONFIG_KALLSYMS_ALL is off, so "ldimm64 failed to find the address for
  // kernel symbol"); libbpf keeps the relocated instructions, so they are compared anyway.
  const bool relocation_only = err != 0 && GetParam() == "ksyms_typed";
  if (err && !relocation_only) {
    bpf_object__close(obj);
    GTEST_SKIP() << "libbpf/kernel refused to load " << path << ": " << std::strerror(-err);
  }
  OpenOptions opts;
  opts.kallsyms_path = "/proc/kallsyms";  // libbpf reads it for typeless ksyms
  auto spec = open_object_file(path, opts);
  ASSERT_TRUE(spec.ok()) << spec.error().format();

  std::map<int, std::string> fd_to_map;
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    fd_to_map[bpf_map__fd(m)] = bpf_map__name(m);
    const MapSpec* ours = spec->find_map(bpf_map__name(m));
    ASSERT_NE(ours, nullptr) << "bombus has no map '" << bpf_map__name(m) << "'";
    EXPECT_EQ(static_cast<uint32_t>(ours->type), bpf_map__type(m)) << ours->name;
    EXPECT_EQ(ours->key_size, bpf_map__key_size(m)) << ours->name;
    EXPECT_EQ(ours->value_size, bpf_map__value_size(m)) << ours->name;
    EXPECT_EQ(ours->max_entries, bpf_map__max_entries(m)) << ours->name;
    EXPECT_EQ(ours->map_flags, bpf_map__map_flags(m)) << ours->name;
    EXPECT_EQ(ours->map_extra, bpf_map__map_extra(m)) << ours->name;
    if (ours->origin != MapOrigin::kBtf && ours->btf_value_type_id != 0) {
      // The DATASEC after libbpf's fixup: same id, size and variable offsets.
      EXPECT_EQ(ours->btf_value_type_id, bpf_map__btf_value_type_id(m)) << ours->name;
      const btf_type* t = btf__type_by_id(bpf_object__btf(obj), bpf_map__btf_value_type_id(m));
      ASSERT_NE(t, nullptr);
      btf::Type mine = spec->btf->type(ours->btf_value_type_id);
      EXPECT_EQ(mine.size(), t->size) << ours->name;
      ASSERT_EQ(mine.vlen(), btf_vlen(t)) << ours->name;
      const btf_var_secinfo* vs = btf_var_secinfos(t);
      // libbpf 1.1's .kconfig variable offsets in BTF do not follow its own value layout (the
      // instructions above prove the layout), so only global-data offsets are compared.
      for (uint32_t i = 0; ours->origin != MapOrigin::kKconfig && i < mine.vlen(); ++i)
        EXPECT_EQ(mine.secinfo(i).offset, vs[i].offset) << ours->name << " var " << i;
    }
    size_t sz = 0;
    const void* init = bpf_map__initial_value(m, &sz);
    if (init && ours->origin != MapOrigin::kBtf) {
      ASSERT_EQ(ours->initial_data.size(), sz) << ours->name;
      std::vector<uint8_t> theirs(static_cast<const uint8_t*>(init),
                                  static_cast<const uint8_t*>(init) + sz);
      const std::vector<uint8_t>& mine = ours->initial_data;
      EXPECT_EQ(mine, theirs) << "initial contents of " << ours->name;
    }
  }
  EXPECT_EQ(fd_to_map.size(), spec->maps.size());

  bpf_program* p;
  int compared = 0;
  bpf_object__for_each_program(p, obj) {
    const ProgramSpec* ours = spec->find_program(bpf_program__name(p));
    ASSERT_NE(ours, nullptr) << "bombus has no program '" << bpf_program__name(p) << "'";
    EXPECT_EQ(static_cast<uint32_t>(ours->type), bpf_program__type(p)) << ours->name;
    EXPECT_EQ(ours->expected_attach_type ? static_cast<uint32_t>(*ours->expected_attach_type) : 0,
              bpf_program__expected_attach_type(p))
        << ours->name;
    const bpf_insn* li = bpf_program__insns(p);
    size_t n = bpf_program__insn_cnt(p);
    ASSERT_NE(li, nullptr) << ours->name;
    ASSERT_EQ(n, ours->insns.size()) << "prog '" << ours->name << "': instruction count";
    for (size_t i = 0; i < n; ++i) {
      isa::Insn k;
      std::memcpy(&k, &li[i], sizeof k);
      isa::Insn b = ours->insns[i];
      bool lddw_map =
          k.opcode == 0x18 && (k.src == isa::kPseudoMapFd || k.src == isa::kPseudoMapValue);
      if (lddw_map) {
        ASSERT_TRUE(fd_to_map.count(k.imm)) << "insn " << i << ": unknown map fd " << k.imm;
        EXPECT_EQ(b.src, k.src == isa::kPseudoMapFd ? isa::kPseudoMapIdx : isa::kPseudoMapIdxValue)
            << "prog '" << ours->name << "' insn " << i;
        ASSERT_LT(static_cast<size_t>(b.imm), spec->maps.size()) << "insn " << i;
        EXPECT_EQ(spec->maps[b.imm].name, fd_to_map[k.imm])
            << "prog '" << ours->name << "' insn " << i;
        k.src = b.src;
        k.imm = b.imm;
      }
      EXPECT_EQ(show(k), show(b)) << "prog '" << ours->name << "' insn " << i;
    }
    ++compared;
  }
  EXPECT_GT(compared, 0);
  bpf_object__close(obj);
}

// Objects libbpf 1.x and this kernel can load as they are. legacy_maps (SEC("maps") dropped in
// libbpf 1.0) and sections (attach targets) are covered by the unit tests instead.
INSTANTIATE_TEST_SUITE_P(Corpus, KernelLoader,
                         ::testing::Values("xdp_fw", "tc_prog", "socket_filter", "subprogs",
                                           "callbacks", "global_data", "kconfig", "map_in_map",
                                           "prog_array", "ringbuf", "core_read", "ksyms",
                                           "ksyms_typed", "kfuncs", "arena", "struct_ops"));

}  // namespace
}  // namespace bombus::loader
