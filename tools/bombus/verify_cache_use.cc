// reload_program_cached: the verification cache's key, check and write-back around one reload.
#include "verify_cache_use.h"

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/object_impl.h"
#include "runtime/verifier_input.h"
#include "store/prog_tag.h"
#include "store/verify_cache.h"

namespace bombus::cli {
namespace {

struct CacheUse {
  const store::Store* st = nullptr;
  uint32_t prog_id = 0;
  std::string tag;
  bool debug = false;
  store::CacheResult result = store::CacheResult::kMissing;
  std::string key;
  std::vector<uint8_t> insns;

  void before_load(runtime::ObjectImpl& o) {
    for (const auto& p : o.prog_impls) {
      if (!p->spec->autoload) continue;
      const verifier::Program vp = runtime::verifier_input(o, *p);
      insns.resize(vp.insns.size() * sizeof(isa::Insn));
      if (!insns.empty()) std::memcpy(insns.data(), vp.insns.data(), insns.size());
      std::vector<uint8_t> input(insns);
      auto put = [&input](uint64_t v) {
        for (int i = 0; i < 8; ++i) input.push_back(static_cast<uint8_t>(v >> (8 * i)));
      };
      put(static_cast<uint64_t>(vp.type));
      put(static_cast<uint64_t>(vp.expected_attach_type));  // ctx fields, helpers, r0 range
      put(vp.gpl);
      put(vp.maps.size());
      for (const verifier::MapInfo& m : vp.maps) {
        for (uint64_t v : {uint64_t(m.type), uint64_t(m.key_size), uint64_t(m.value_size),
                           uint64_t(m.max_entries), uint64_t(m.flags), uint64_t(m.spin_lock_off),
                           uint64_t(m.timer_off), uint64_t(m.inner_map)})
          put(v);
      }
      input.insert(input.end(), vp.name.begin(), vp.name.end());
      static const char* kHex = "0123456789abcdef";
      std::string digest;
      for (uint8_t b : store::sha256(input)) {
        digest += kHex[b >> 4];
        digest += kHex[b & 15];
      }
      key = "tag=" + tag + " input=" + digest + " build=" + store::build_identity();
      result = store::check_verified(*st, prog_id, key, insns);
      if (result == store::CacheResult::kHit) o.opts.verify = false;
      if (debug) {
        std::cerr << "bombus: prog " << prog_id
                  << ": verification cache: " << store::cache_result_name(result)
                  << (result == store::CacheResult::kHit ? ", not verifying again\n"
                      : result == store::CacheResult::kMissing
                          ? ", verifying\n"
                          : " entry ignored, verifying again\n");
      }
      return;
    }
  }

  void after_load() const {
    if (key.empty() || result == store::CacheResult::kHit) return;
    if (auto s = store::save_verified(*st, prog_id, key, insns); !s.ok() && debug)
      std::cerr << "bombus: verification cache not written: " << s.error().format() << "\n";
  }
};

}  // namespace

Result<Loaded> reload_program_cached(const store::Store& st, uint32_t prog_id,
                                     std::optional<Engine> engine, bool debug) {
  CacheUse cache;
  cache.st = &st;
  cache.prog_id = prog_id;
  cache.debug = debug;
  if (auto meta = st.read_meta(store::Kind::kProg, prog_id); meta.ok())
    cache.tag = meta->value("tag", "");
  auto loaded = reload_program(st, prog_id, engine,
                               [&cache](runtime::ObjectImpl& o) { cache.before_load(o); });
  if (loaded.ok()) cache.after_load();
  return loaded;
}

}  // namespace bombus::cli
