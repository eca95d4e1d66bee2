// load() phases: create the object's maps in shared memory (with global-data contents, frozen
// read-only sections), then per program: verify, resolve map references and callback addresses
// to host values, rewrite ctx accesses, and build the engine image.
#include <cstring>
#include <thread>

#include "platform/ctx_rewrite.h"
#include "platform/ctx_structs.h"
#include "platform/program_types.h"
#include "runtime/map_btf_fields.h"
#include "runtime/object_impl.h"
#include "runtime/probe_loads.h"
#include "runtime/verifier_input.h"
#include "verifier/verifier.h"

namespace bombus::runtime {

namespace {

Location prog_loc(const ProgramImpl& p) {
  Location l;
  l.program = p.spec->name;
  l.section = p.spec->section;
  return l;
}

const void* tail_call_target(uint64_t map, uint64_t index) {
  auto* m = reinterpret_cast<vm::Map*>(map);
  if (index >= m->spec().max_entries) return nullptr;
  uint32_t key = static_cast<uint32_t>(index), id = 0;
  if (m->sys_lookup(&key, &id, 0) != 0 || id == 0) return nullptr;
  return program_handle(id);
}

vm::PacketView skb_packet(void* ctx) {
  auto* s = static_cast<platform::SkbCtx*>(ctx);
  return {reinterpret_cast<uint8_t*>(s->data), static_cast<size_t>(s->data_end - s->data)};
}

// Binds map `i` to an existing map file when ObjectOptions::reuse_map_files names one.
Status reuse_map(ObjectImpl& o, size_t i) {
  const loader::MapSpec& ls = o.spec.maps[i];
  for (const auto& entry : o.opts.reuse_map_files) {
    if (entry.first != i) continue;
    const std::string& path = entry.second;
    auto m = vm::Map::open(path);
    if (!m.ok()) {
      Error e = m.error();
      e.message = "map '" + ls.name + "': can't reuse '" + path + "': " + e.message;
      return e;
    }
    const vm::MapSpec& have = (*m)->spec();
    auto check = [&](const char* what, uint64_t want, uint64_t got) -> Status {
      if (want == got) return {};
      return make_error(Errc::kInvalid, "map '" + ls.name + "': can't reuse '" + path + "': " +
                                            what + " differs (object: " + std::to_string(want) +
                                            ", existing map: " + std::to_string(got) + ")");
    };
    BOMBUS_TRY(check("type", static_cast<uint32_t>(ls.type), static_cast<uint32_t>(have.type)));
    BOMBUS_TRY(check("key size", ls.key_size, have.key_size));
    BOMBUS_TRY(check("value size", ls.value_size, have.value_size));
    BOMBUS_TRY(check("max_entries", ls.max_entries, have.max_entries));
    BOMBUS_TRY(check("map_flags", ls.map_flags, have.flags));
    vm::Map* raw = m->get();
    for (auto span : raw->value_regions())
      o.regions.push_back(vm::MemoryRegistry::global().add(span.data(), span.size(), true));
    o.maps.emplace_back(raw, ls.name);
    o.vm_maps.push_back(std::move(m).value());
    return {};
  }
  return {};
}

}  // namespace

Status create_maps(ObjectImpl& o) {
  for (size_t i = 0; i < o.spec.maps.size(); ++i) {
    const loader::MapSpec& ls = o.spec.maps[i];
    if (Status st = reuse_map(o, i); !st.ok()) return st;
    if (o.vm_maps.size() > i) continue;  // bound to an existing map file
    vm::MapSpec s;
    s.type = static_cast<platform::MapType>(ls.type);
    s.key_size = ls.key_size;
    s.value_size = ls.value_size;
    s.max_entries = ls.max_entries;
    s.flags = ls.map_flags;
    s.map_extra = ls.map_extra;
    s.name = ls.name;
    MapSpecialFields special = map_special_fields(o.spec.btf.get(), ls.btf_value_type_id);
    s.spin_lock_off = special.spin_lock_off;
    s.timer_off = special.timer_off;
    // The kernel sizes a perf_event_array with max_entries 0 to the number of CPUs (libbpf).
    vm::MapOptions mo;
    mo.dir = o.opts.map_dir;
    mo.ncpus = o.opts.ncpus;
    mo.id = next_map_id();
    if (s.type == platform::MapType::kPerfEventArray && s.max_entries == 0)
      s.max_entries = mo.ncpus ? mo.ncpus : std::max(1u, std::thread::hardware_concurrency());
    auto m = vm::Map::create(s, mo);
    if (!m.ok()) {
      Error e = m.error();
      e.message = "map '" + ls.name + "': " + e.message;
      return e;
    }
    vm::Map* raw = m->get();
    if (!ls.initial_data.empty()) {
      uint32_t key = 0;
      std::vector<uint8_t> v(ls.value_size, 0);
      std::memcpy(v.data(), ls.initial_data.data(),
                  std::min<size_t>(v.size(), ls.initial_data.size()));
      if (long r = raw->update(&key, v.data(), 0); r != 0)
        return make_error(Errc::kInvalid, "map '" + ls.name + "': cannot set initial contents (" +
                                              std::to_string(r) + ")");
    }
    if (ls.frozen) raw->freeze();
    for (auto span : raw->value_regions())
      o.regions.push_back(vm::MemoryRegistry::global().add(span.data(), span.size(), true));
    o.maps.emplace_back(raw, ls.name);
    o.vm_maps.push_back(std::move(m).value());
  }
  return {};
}

Status prepare_program(ObjectImpl& o, ProgramImpl& p) {
  const loader::ProgramSpec& ps = *p.spec;
  const platform::ProgTypeInfo* info = platform::prog_type_info(p.type);
  if (!info)
    return make_error(Errc::kUnsupported,
                      "program type " + std::to_string(static_cast<uint32_t>(p.type)) +
                          " is not supported by bombus",
                      prog_loc(p));
  std::vector<verifier::InsnFacts> facts;  // for the PROBE_MEM marks (probe_loads.h)
  if (o.opts.verify || may_read_kernel_objects(p.type, ps.insns)) {
    verifier::Program vp = verifier_input(o, p);
    verifier::Options vo;
    vo.log_level = 1;
    verifier::Report rep = verifier::verify(vp, vo);
    p.verifier_log = rep.log;
    // Verified only for its PROBE_MEM marks (verification off): a rejection is not an error;
    // the program then runs unmarked, as any unverified program does.
    if (!rep.accepted && o.opts.verify) {
      Location l = prog_loc(p);
      if (rep.error_insn >= 0) l.insn = rep.error_insn;
      return make_error(Errc::kRejected, rep.error, l);
    }
    if (rep.accepted) facts = std::move(rep.facts);
  }
  p.insns = ps.insns;
  mark_probe_loads(p.insns, facts);
  // Map references -> host addresses.
  for (const auto& ref : ps.map_refs) {
    if (ref.insn + 1 >= p.insns.size() || ref.map_index >= o.vm_maps.size())
      return make_error(Errc::kInvalid, "bad map reference", prog_loc(p));
    vm::Map* m = o.vm_maps[ref.map_index].get();
    uint64_t v = reinterpret_cast<uint64_t>(m);
    if (ref.value) {
      uint32_t key = 0;
      void* base = m->lookup(&key);
      if (!base) {
        Location l = prog_loc(p);
        l.insn = ref.insn;
        return make_error(Errc::kInvalid, "map '" + m->spec().name + "' has no direct value access",
                          l);
      }
      v = reinterpret_cast<uint64_t>(base) + ref.offset;
    }
    isa::Insn& a = p.insns[ref.insn];
    isa::Insn& b = p.insns[ref.insn + 1];
    a.src = 0;
    a.imm = static_cast<int32_t>(static_cast<uint32_t>(v));
    b.imm = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
  }
  // Callback addresses (lddw BPF_PSEUDO_FUNC) -> absolute instruction index.
  for (size_t i = 0; i + 1 < p.insns.size(); ++i) {
    isa::Insn& a = p.insns[i];
    if (!isa::is_lddw(a)) continue;
    if (a.src == isa::kPseudoFunc) {
      int64_t target = static_cast<int64_t>(i) + a.imm + 1;
      a.src = 0;
      a.imm = static_cast<int32_t>(target);
      p.insns[i + 1].imm = 0;
    } else if (a.src != 0) {
      Location l = prog_loc(p);
      l.insn = static_cast<int64_t>(i);
      return make_error(Errc::kUnsupported,
                        "lddw with src_reg " + std::to_string(a.src) + " is not supported", l);
    }
    ++i;
  }
  if (auto st = platform::rewrite_ctx_accesses(
          p.insns, *info, {}, ps.expected_attach_type.value_or(platform::AttachType{}));
      !st.ok()) {
    Error e = st.error();
    Location l = prog_loc(p);
    l.insn = e.where.insn;
    e.where = l;
    return e;
  }
  EngineFactory f = find_engine(o.opts.engine);
  if (!f)
    return make_error(Errc::kUnsupported, "engine not available (no JIT registered)", prog_loc(p));
  EngineConfig cfg;
  cfg.budget = o.opts.checked_budget;
  cfg.helpers = vm::helper_table();
  cfg.hooks.tail_call_target = tail_call_target;
  if (info->ld_abs) cfg.hooks.packet_data = skb_packet;
  std::vector<vm::Map*> maps;
  maps.reserve(o.vm_maps.size());
  for (const auto& m : o.vm_maps) maps.push_back(m.get());
  cfg.maps = maps;
  auto img = f(p.insns, cfg);
  if (!img.ok()) {
    Error e = img.error();
    Location l = prog_loc(p);
    l.insn = e.where.insn;
    e.where = l;
    return e;
  }
  p.image = std::move(img).value();
  p.id = next_program_id();
  register_program_handle(p.id, p.image->handle());
  p.loaded = true;
  return {};
}

}  // namespace bombus::runtime
