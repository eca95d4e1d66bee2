// Loading objects for the store: `prog load`/`loadall` put a loaded object's maps and programs
// into the store (ids, metadata, shared-memory map files); `prog run`, `map ...` and friends
// bring a stored program back into this process, bound to the very same map files, so
// several processes see and change one set of maps — as they would with the kernel.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bombus/bombus.h"
#include "cli.h"
#include "loader/object.h"
#include "store/store.h"
#include "verifier/verifier.h"

namespace bombus::runtime {
struct ObjectImpl;
}

namespace bombus::cli {

struct LoadRequest {
  std::vector<uint8_t> bytes;       // the object file
  std::string object_name;          // for messages and global-data map names
  std::optional<std::string> type;  // `type TYPE`: overrides the section's program type
  // Maps to reuse instead of creating: object map index -> store map id.
  std::vector<std::pair<uint32_t, uint32_t>> reuse;
  std::optional<std::string> only_program;  // load just this program (others not autoloaded)
  Engine engine = Engine::kJit;
  // Called on the opened object right before load() (prog run's verification cache uses it).
  std::function<void(runtime::ObjectImpl&)> before_load;
};

struct Loaded {
  std::unique_ptr<Object> obj;
  std::vector<uint32_t> map_ids;  // store id per object map index (0 = not in the store yet)
  uint32_t btf_id = 0;            // the object's BTF in the store (0 = none, or not yet)
};

// Engine keyword (`engine interp|jit|checked`) -> Engine.
Result<Engine> parse_engine(const std::string& word);
// The engine used when none is named: the JIT (the program is verified), else the interpreter.
Engine default_engine();
void register_engines();

// Opens and loads an object. Maps named in `reuse` are bound to the store's files.
Result<Loaded> load_object(const store::Store& st, const LoadRequest& req);

// Records the object's BTF in the store (once per load; a no-op without BTF). Caller holds the
// lock. adopt_maps and adopt_program call it.
Status adopt_btf(const store::Store& st, Loaded& l);
// The BTF file a stored map's keys and values are formatted with ("" when it has none).
std::string map_btf_file(const store::Store& st, uint32_t map_id,
                         const nlohmann::ordered_json& meta);

// Moves the maps that are not in the store yet into it (ids + metadata). Caller holds the lock.
Status adopt_maps(const store::Store& st, Loaded& l);
// Records a loaded program in the store and returns its id. Caller holds the lock.
Result<uint32_t> adopt_program(const store::Store& st, Loaded& l, const Program& p,
                               const LoadRequest& req);

// Loads a stored program back (its object from the store, maps bound to the store's files).
Result<Loaded> reload_program(const store::Store& st, uint32_t prog_id,
                              std::optional<Engine> engine = std::nullopt,
                              std::function<void(runtime::ObjectImpl&)> before_load = {});
// Tail calls across processes. Prog-array slots in the store hold store program ids (as the
// kernel's hold program ids), whichever process wrote them. Before a stored program runs, this
// loads every stored program that the prog arrays reachable from it name (transitively) into
// this process and registers each under its store id, so bpf_tail_call() finds it. `targets`
// keeps those programs alive for the run. Slots changed after this call are not seen.
Status bind_tail_calls(const store::Store& st, uint32_t prog_id, Loaded& l,
                       std::optional<Engine> engine, std::vector<Loaded>& targets);
// After `prog load(all)`: the slots an object filled itself (`.values = { [i] = &prog }`) hold
// this process's program ids; rewrite them to the store ids of the adopted programs
// (`store_ids`: runtime program id -> store id). Slots naming programs not loaded are cleared.
Status store_prog_array_slots(Loaded& l,
                              const std::vector<std::pair<uint32_t, uint32_t>>& store_ids);

// Opens a stored map in this process.
Result<std::unique_ptr<vm::Map>> open_stored_map(const store::Store& st, uint32_t map_id);

// libbpf's pin name for a map: '.' becomes '_' ("fw.rodata" -> "fw_rodata").
std::string pin_name(const std::string& map_name);

// The running kernel's tag for a program (see store/prog_tag.h): its digest of the instructions
// libbpf would submit, with map references zeroed, 8 bytes hex.
std::string prog_tag(const loader::ProgramSpec& spec);

// The message for an object that failed to load. For a program the verifier rejected: the
// error, the C source line it came from, and a hint; the whole verifier log with -d.
std::string rejection_message_for(const LoadRequest& req, const Error& e, bool debug);

// Verifies one program of an opened object as load() would (`type` overrides its type).
verifier::Report verify_program(const Object& obj, const std::string& prog_name, int log_level,
                                std::optional<std::string> type = std::nullopt);

}  // namespace bombus::cli
