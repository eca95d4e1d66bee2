// open_object on the corpus: what each object must turn into.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bombus_progs.h"
#include "btf/btf.h"
#include "loader/object.h"

namespace bombus::loader {
namespace {

constexpr uint8_t kCall = 0x85, kLddw = 0x18;

ObjectSpec open_ok(const std::string& name, OpenOptions o = {}) {
  auto r = open_object_file(progs::path(name), o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().format());
  if (!r.ok()) return {};
  return std::move(r).value();
}

// Every call src=1 and lddw src=4 lands on the start of the program or of an appended subprogram.
void expect_calls_resolved(const ProgramSpec& p) {
  std::vector<uint32_t> starts = {0};
  for (const SubprogRange& s : p.subprogs) starts.push_back(s.start);
  for (size_t i = 0; i < p.insns.size(); ++i) {
    const isa::Insn& in = p.insns[i];
    bool call = in.opcode == kCall && in.src == isa::kPseudoCall;
    bool addr = in.opcode == kLddw && in.src == isa::kPseudoFunc;
    if (!call && !addr) continue;
    int64_t t = static_cast<int64_t>(i) + in.imm + 1;
    EXPECT_NE(std::find(starts.begin(), starts.end(), t), starts.end())
        << p.name << " insn " << i << " -> " << t;
  }
}

TEST(OpenObject, XdpFirewall) {
  ObjectSpec o = open_ok("xdp_fw");
  EXPECT_EQ(o.name, "xdp_fw");
  EXPECT_EQ(o.license, "GPL");
  ASSERT_EQ(o.maps.size(), 2u);
  EXPECT_EQ(o.maps[0].name, "blocklist");
  EXPECT_EQ(o.maps[0].type, MapType::kHash);
  EXPECT_EQ(o.maps[0].key_size, 4u);
  EXPECT_EQ(o.maps[0].value_size, 8u);
  EXPECT_EQ(o.maps[0].max_entries, 1024u);
  EXPECT_NE(o.maps[0].btf_key_type_id, 0u);
  ASSERT_NE(o.btf, nullptr);
  EXPECT_EQ(o.btf->resolve_size(o.maps[0].btf_value_type_id).value(), 8u);
  EXPECT_EQ(o.maps[1].name, "verdicts");
  ASSERT_EQ(o.programs.size(), 1u);
  const ProgramSpec& p = o.programs[0];
  EXPECT_EQ(p.name, "xdp_fw");
  EXPECT_EQ(p.section, "xdp");
  EXPECT_EQ(p.type, ProgType::kXdp);
  EXPECT_EQ(p.expected_attach_type, AttachType::kXdp);
  EXPECT_TRUE(p.autoload);
  EXPECT_EQ(p.insns.size(), p.main_insn_count);
  ASSERT_FALSE(p.map_refs.empty());
  bool saw_blocklist = false;
  for (const MapRef& r : p.map_refs) {
    const isa::Insn& in = p.insns[r.insn];
    EXPECT_EQ(in.opcode, kLddw);
    EXPECT_EQ(in.src, isa::kPseudoMapIdx);
    EXPECT_EQ(static_cast<uint32_t>(in.imm), r.map_index);
    EXPECT_FALSE(r.value);
    saw_blocklist |= o.maps[r.map_index].name == "blocklist";
  }
  EXPECT_TRUE(saw_blocklist);
  ASSERT_EQ(p.func_info.size(), 1u);
  EXPECT_EQ(p.func_info[0].insn_off, 0u);
  EXPECT_EQ(o.btf->name(p.func_info[0].type_id), "xdp_fw");
  ASSERT_FALSE(p.line_info.empty());
  EXPECT_NE(p.line_info[0].file.find("xdp_fw.bpf.c"), std::string_view::npos);
  EXPECT_EQ(o.btf->str(p.line_info[0].file_name_off), p.line_info[0].file);
}

TEST(OpenObject, SubprogramsAreAppendedPerProgram) {
  ObjectSpec o = open_ok("subprogs");
  ASSERT_EQ(o.programs.size(), 3u);
  const ProgramSpec* a = o.find_program("prog_a");
  const ProgramSpec* b = o.find_program("prog_b");
  const ProgramSpec* c = o.find_program("prog_c");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(c->type, ProgType::kSchedCls);
  auto names = [](const ProgramSpec& p) {
    std::vector<std::string> n;
    for (const auto& s : p.subprogs) n.push_back(s.name);
    return n;
  };
  // prog_a: sum_squares (-> square), then bump, then global_add; each once.
  std::vector<std::string> an = names(*a);
  std::sort(an.begin(), an.end());
  EXPECT_EQ(an, (std::vector<std::string>{"bump", "global_add", "square", "sum_squares"}));
  EXPECT_EQ(names(*b).size(), 2u);
  for (const ProgramSpec* p : {a, b, c}) {
    expect_calls_resolved(*p);
    // One func_info per function, at its start, in order.
    ASSERT_EQ(p->func_info.size(), p->subprogs.size() + 1) << p->name;
    EXPECT_EQ(p->func_info[0].insn_off, 0u);
    for (size_t i = 0; i < p->subprogs.size(); ++i) {
      EXPECT_EQ(p->func_info[i + 1].insn_off, p->subprogs[i].start);
      EXPECT_EQ(o.btf->name(p->func_info[i + 1].type_id), p->subprogs[i].name);
    }
    uint32_t end = p->main_insn_count;
    for (const auto& s : p->subprogs) {
      EXPECT_EQ(s.start, end);
      end += s.count;
    }
    EXPECT_EQ(end, p->insns.size());
    for (size_t i = 1; i < p->line_info.size(); ++i)
      EXPECT_LE(p->line_info[i - 1].insn_off, p->line_info[i].insn_off);
  }
  // The map used inside bump() is referenced from each program's own copy.
  for (const ProgramSpec* p : {a, b, c}) {
    ASSERT_EQ(p->map_refs.size(), 1u) << p->name;
    EXPECT_GE(p->map_refs[0].insn, p->main_insn_count);
  }
}

TEST(OpenObject, CallbacksByAddress) {
  ObjectSpec o = open_ok("callbacks");
  const ProgramSpec& p = o.programs.at(0);
  int addrs = 0;
  for (const isa::Insn& in : p.insns) addrs += in.opcode == kLddw && in.src == isa::kPseudoFunc;
  EXPECT_EQ(addrs, 2);
  EXPECT_EQ(p.subprogs.size(), 2u);
  expect_calls_resolved(p);
}

TEST(OpenObject, GlobalDataMaps) {
  ObjectSpec o = open_ok("global_data");
  const MapSpec* data = o.find_map(".data");
  const MapSpec* ro = o.find_map(".rodata");
  const MapSpec* bss = o.find_map(".bss");
  const MapSpec* custom = o.find_map(".data.counters");
  ASSERT_TRUE(data && ro && bss && custom);
  EXPECT_EQ(data->name, "global_d.data");
  EXPECT_EQ(ro->name, "global_d.rodata");
  EXPECT_EQ(custom->name, ".data.counters");
  for (const MapSpec* m : {data, ro, bss, custom}) {
    EXPECT_EQ(m->type, MapType::kArray);
    EXPECT_EQ(m->key_size, 4u);
    EXPECT_EQ(m->max_entries, 1u);
    EXPECT_EQ(m->initial_data.size(), m->value_size);
    EXPECT_NE(m->btf_value_type_id, 0u) << m->real_name;
  }
  EXPECT_TRUE(ro->frozen);
  EXPECT_FALSE(data->frozen);
  EXPECT_EQ(ro->map_flags, kMapFlagMmapable | kMapFlagRdonlyProg);
  EXPECT_EQ(data->map_flags, kMapFlagMmapable);
  int32_t packets;
  std::memcpy(&packets, data->initial_data.data(), 4);
  EXPECT_EQ(packets, 7);
  std::string ro_text(ro->initial_data.begin(), ro->initial_data.end());
  EXPECT_NE(ro_text.find("bombus"), std::string::npos);
  EXPECT_NE(ro_text.find("len %u"), std::string::npos);
  for (uint8_t b : bss->initial_data) EXPECT_EQ(b, 0);
  uint64_t counter;
  std::memcpy(&counter, custom->initial_data.data(), 8);
  EXPECT_EQ(counter, 42u);
  // Every data reference is a map-value lddw inside the section's bounds.
  const ProgramSpec& p = o.programs.at(0);
  ASSERT_FALSE(p.map_refs.empty());
  for (const MapRef& r : p.map_refs) {
    EXPECT_TRUE(r.value);
    EXPECT_EQ(p.insns[r.insn].src, isa::kPseudoMapIdxValue);
    EXPECT_LE(r.offset, o.maps[r.map_index].value_size);
  }
}

TEST(OpenObject, KconfigExterns) {
  char path[] = "/tmp/bombus_cfg_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const char cfg[] = "CONFIG_HZ=1000\nCONFIG_DEFAULT_HOSTNAME=\"bombus-box\"\n";
  ASSERT_EQ(write(fd, cfg, sizeof cfg - 1), static_cast<ssize_t>(sizeof cfg - 1));
  close(fd);
  OpenOptions opt;
  opt.kconfig_path = path;
  opt.kernel_version = 0x050a11;
  opt.has_syscall_wrapper = false;
  ObjectSpec o = open_ok("kconfig", opt);
  std::remove(path);
  const MapSpec* k = o.find_map(".kconfig");
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(k->frozen);
  EXPECT_EQ(k->name, "kconfig.kconfig");
  auto value_of = [&](const char* name) -> const ExternSpec* {
    for (const ExternSpec& x : o.externs)
      if (x.name == name) return &x;
    return nullptr;
  };
  const ExternSpec* ver = value_of("LINUX_KERNEL_VERSION");
  const ExternSpec* hz = value_of("CONFIG_HZ");
  const ExternSpec* host = value_of("CONFIG_DEFAULT_HOSTNAME");
  const ExternSpec* wrap = value_of("LINUX_HAS_SYSCALL_WRAPPER");
  const ExternSpec* none = value_of("CONFIG_BOMBUS_DOES_NOT_EXIST");
  ASSERT_TRUE(ver && hz && host && wrap && none);
  uint32_t v;
  std::memcpy(&v, k->initial_data.data() + ver->kcfg_offset, 4);
  EXPECT_EQ(v, 0x050a11u);
  int32_t h;
  std::memcpy(&h, k->initial_data.data() + hz->kcfg_offset, 4);
  EXPECT_EQ(h, 1000);
  EXPECT_STREQ(reinterpret_cast<const char*>(k->initial_data.data() + host->kcfg_offset),
               "bombus-box");
  EXPECT_EQ(k->initial_data[wrap->kcfg_offset], 0);
  EXPECT_TRUE(none->weak);
  EXPECT_FALSE(none->resolved);
  EXPECT_EQ(none->kcfg_offset % 8, 0u);  // 8-byte externs come first
  // Every extern access reads the .kconfig map at the extern's offset.
  const ProgramSpec& p = o.programs.at(0);
  uint32_t kidx = *o.map_index(".kconfig");
  int refs = 0;
  for (const MapRef& r : p.map_refs) {
    EXPECT_EQ(r.map_index, kidx);
    bool at_extern = false;
    for (const ExternSpec& x : o.externs) at_extern |= x.kcfg_offset == r.offset;
    EXPECT_TRUE(at_extern) << r.offset;
    ++refs;
  }
  EXPECT_EQ(refs, 5);
}

TEST(OpenObject, KconfigFileTheUserNamesMustExist) {
  OpenOptions opt;
  opt.kconfig_path = "/nonexistent/bombus/.config";
  auto r = open_object_file(progs::path("kconfig"), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().format().find("/nonexistent/bombus/.config"), std::string::npos);
}

TEST(OpenObject, LegacyMapsSection) {
  ObjectSpec o = open_ok("legacy_maps");
  ASSERT_EQ(o.maps.size(), 2u);
  EXPECT_EQ(o.maps[0].name, "legacy_counts");
  EXPECT_EQ(o.maps[0].origin, MapOrigin::kLegacy);
  EXPECT_EQ(o.maps[0].type, MapType::kArray);
  EXPECT_EQ(o.maps[0].max_entries, 64u);
  EXPECT_EQ(o.maps[1].name, "legacy_hash");
  EXPECT_EQ(o.maps[1].type, MapType::kHash);
  EXPECT_EQ(o.maps[1].value_size, 4u);
  EXPECT_EQ(o.maps[1].map_flags, 1u);
  EXPECT_EQ(o.programs.at(0).map_refs.size(), 2u);
}

TEST(OpenObject, MapInMap) {
  ObjectSpec o = open_ok("map_in_map");
  const MapSpec* outer = o.find_map("outer_arr");
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(outer->type, MapType::kArrayOfMaps);
  EXPECT_EQ(outer->value_size, 4u);
  ASSERT_NE(outer->inner, nullptr);
  EXPECT_EQ(outer->inner->type, MapType::kArray);
  EXPECT_EQ(outer->inner->max_entries, 4u);
  EXPECT_EQ(outer->inner->value_size, 4u);
  EXPECT_EQ(outer->init_slots, (std::map<uint32_t, std::string>{{0, "inner_a"}, {2, "inner_b"}}));
  const MapSpec* hash = o.find_map("outer_hash");
  ASSERT_NE(hash, nullptr);
  ASSERT_NE(hash->inner, nullptr);
  EXPECT_EQ(hash->inner->type, MapType::kHash);
  EXPECT_EQ(hash->inner->key_size, 8u);
  EXPECT_EQ(hash->inner->max_entries, 16u);
  EXPECT_TRUE(hash->init_slots.empty());
}

TEST(OpenObject, ProgArrayValues) {
  ObjectSpec o = open_ok("prog_array");
  const MapSpec* jt = o.find_map("jump_table");
  ASSERT_NE(jt, nullptr);
  EXPECT_EQ(jt->type, MapType::kProgArray);
  EXPECT_EQ(jt->key_size, 4u);
  EXPECT_EQ(jt->value_size, 4u);
  EXPECT_EQ(jt->init_slots, (std::map<uint32_t, std::string>{{1, "tail_a"}, {3, "tail_b"}}));
  EXPECT_EQ(o.programs.size(), 3u);
}

TEST(OpenObject, Ringbuf) {
  ObjectSpec o = open_ok("ringbuf");
  ASSERT_EQ(o.maps.size(), 1u);
  EXPECT_EQ(o.maps[0].type, MapType::kRingbuf);
  EXPECT_EQ(o.maps[0].max_entries, 4096u);
  EXPECT_EQ(o.maps[0].key_size, 0u);
}

TEST(OpenObject, SectionsAndAutoload) {
  OpenOptions opt;
  opt.autoload["s_kprobe"] = false;
  opt.autoload["s_not_autoloaded"] = true;
  ObjectSpec o = open_ok("sections", opt);
  EXPECT_EQ(o.unknown_sections, std::vector<std::string>{"bombus/unknown"});
  const ProgramSpec* u = o.find_program("s_unknown");
  ASSERT_NE(u, nullptr);
  EXPECT_FALSE(u->known_section);
  EXPECT_EQ(u->type, ProgType::kUnspec);
  EXPECT_FALSE(o.find_program("s_kprobe")->autoload);
  EXPECT_TRUE(o.find_program("s_not_autoloaded")->autoload);
  EXPECT_EQ(o.find_program("s_kprobe")->attach_target, "do_sys_open");
  EXPECT_EQ(o.find_program("s_fentry")->expected_attach_type, AttachType::kTraceFentry);
  EXPECT_EQ(o.find_program("s_xdp_frags")->prog_flags, kProgFlagXdpHasFrags);
  EXPECT_EQ(o.find_program("s_tc_ingress")->expected_attach_type, AttachType::kTcxIngress);
  ObjectSpec plain = open_ok("sections");
  EXPECT_FALSE(plain.find_program("s_not_autoloaded")->autoload);
  EXPECT_TRUE(plain.find_program("s_kprobe")->autoload);
}

TEST(OpenObject, AutoloadOverrideForUnknownProgramIsAnError) {
  OpenOptions opt;
  opt.autoload["no_such_prog"] = false;
  auto r = open_object_file(progs::path("xdp_fw"), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no_such_prog"), std::string::npos);
}

TEST(OpenObject, MemoryBufferUsesGivenName) {
  std::ifstream in(progs::path("global_data"), std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  OpenOptions opt;
  opt.object_name = "gd";
  auto r = open_object(bytes, opt);
  ASSERT_TRUE(r.ok()) << r.error().format();
  EXPECT_EQ(r->name, "gd");
  EXPECT_NE(r->find_map("gd.rodata"), nullptr);
  auto d = open_object(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "obj");
}

// Every corpus object opens, and each program's structure is consistent.
TEST(OpenObject, WholeCorpus) {
  for (const char* n : progs::kNames) {
    OpenOptions opt;
    if (std::string(n) == "core_read" && access("/sys/kernel/btf/vmlinux", R_OK) != 0)
      opt.skip_core = true;
    auto r = open_object_file(progs::path(n), opt);
    ASSERT_TRUE(r.ok()) << n << ": " << r.error().format();
    EXPECT_FALSE(r->programs.empty()) << n;
    for (const ProgramSpec& p : r->programs) {
      EXPECT_GE(p.insns.size(), p.main_insn_count);
      EXPECT_GT(p.main_insn_count, 0u);
      expect_calls_resolved(p);
      for (const MapRef& m : p.map_refs) EXPECT_LT(m.map_index, r->maps.size());
    }
  }
}

}  // namespace
}  // namespace bombus::loader

namespace bombus::loader {
namespace {

TEST(OpenObject, MapAttributes) {
  ObjectSpec o = open_ok("map_attrs");
  const MapSpec* p = o.find_map("pinned_sizes");
  const MapSpec* b = o.find_map("bloom");
  const MapSpec* r = o.find_map("routes");
  ASSERT_TRUE(p && b && r);
  EXPECT_EQ(p->key_size, 8u);
  EXPECT_EQ(p->value_size, 16u);
  EXPECT_EQ(p->btf_key_type_id, 0u);
  EXPECT_EQ(p->map_flags, 1u);
  EXPECT_EQ(p->pinning, Pinning::kByName);
  EXPECT_EQ(b->type, MapType::kBloomFilter);
  EXPECT_EQ(b->map_extra, 3u);
  EXPECT_EQ(b->key_size, 0u);
  EXPECT_EQ(b->value_size, 8u);
  EXPECT_EQ(b->pinning, Pinning::kNone);
  EXPECT_EQ(r->type, MapType::kLpmTrie);
  EXPECT_EQ(r->key_size, 8u);
  EXPECT_EQ(o.btf->name(r->btf_key_type_id), "lpm_key");
}

}  // namespace
}  // namespace bombus::loader

namespace bombus::loader {
namespace {

// clang leaves DATASEC sizes and .kconfig offsets at 0; the ObjectSpec's BTF has them filled.
TEST(OpenObject, DatasecsDescribeTheMapValues) {
  for (const char* n : {"global_data", "kconfig"}) {
    ObjectSpec o = open_ok(n);
    ASSERT_NE(o.btf, nullptr);
    int checked = 0;
    for (const MapSpec& m : o.maps) {
      if (m.origin == MapOrigin::kBtf) continue;
      ASSERT_NE(m.btf_value_type_id, 0u) << m.real_name;
      btf::Type ds = o.btf->type(m.btf_value_type_id);
      ASSERT_EQ(ds.kind(), btf::Kind::kDatasec);
      EXPECT_EQ(ds.size(), m.value_size) << m.real_name;
      std::vector<uint32_t> offs;
      for (uint32_t i = 0; i < ds.vlen(); ++i) {
        btf::VarSecinfo vi = ds.secinfo(i);
        EXPECT_LE(vi.offset + vi.size, m.value_size) << m.real_name;
        offs.push_back(vi.offset);
        if (m.origin == MapOrigin::kKconfig) {
          bool match = false;
          for (const ExternSpec& x : o.externs)
            match |= x.name == o.btf->name(vi.type) && x.kcfg_offset == vi.offset;
          EXPECT_TRUE(match) << o.btf->name(vi.type);
        }
      }
      std::sort(offs.begin(), offs.end());
      EXPECT_EQ(std::adjacent_find(offs.begin(), offs.end()), offs.end())
          << m.real_name << ": two variables at one offset";
      ++checked;
    }
    EXPECT_GT(checked, 0) << n;
    // Line info text survives the BTF swap.
    EXPECT_FALSE(o.programs.at(0).line_info.at(0).file.empty());
  }
}

}  // namespace
}  // namespace bombus::loader
