// bombus public C++ API: open a .bpf.o, load it (maps created in shared memory, map references
// resolved to host addresses, context accesses rewritten, programs verified and prepared for an
// engine), then run programs (BPF_PROG_TEST_RUN semantics), read and update maps, and consume
// events (trace_printk lines, ring buffers, perf buffers).
//
//   auto obj = bombus::Object::open_file("xdp_fw.bpf.o").value();
//   if (auto st = obj->load(); !st) { std::cerr << st.error().format(); }
//   bombus::Program* prog = obj->find_program("xdp_fw");
//   bombus::TestRun run;  run.data_in = packet;
//   auto res = prog->test_run(run);   // res->retval, res->data_out, res->duration_ns
//   bombus::Map* m = obj->find_map("verdicts");
//   auto value = m->lookup_u32(2);    // std::vector<uint8_t>
//
// Errors are bombus::Result / bombus::Status values (base/result.h) whose Error::neg_errno()
// matches the kernel's answer for the same condition. Every class here is thread-safe for
// concurrent test_run() and map operations; open/load/close are not.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "platform/uapi.h"

namespace bombus {

namespace vm {
class Map;
}
namespace runtime {
struct ObjectImpl;
struct ProgramImpl;
}  // namespace runtime

// Which engine runs the programs. kJit is available once a JIT registered itself
// (runtime/engine.h); until then load() fails with kUnsupported for it.
enum class Engine { kInterp, kChecked, kJit };

struct ObjectOptions {
  std::string object_name;    // default: the file name up to its first '.' ("obj" for memory)
  std::string btf_path;       // target BTF for CO-RE (default /sys/kernel/btf/vmlinux)
  std::string kconfig_path;   // .kconfig source (default /proc/config.gz)
  std::string kconfig_extra;  // extra "CONFIG_X=y" lines
  Engine engine = Engine::kInterp;
  bool verify = true;           // run the verifier before accepting a program
  uint64_t checked_budget = 0;  // Engine::kChecked: max instructions per run (0 = unlimited)
  std::string map_dir;          // directory for map files ("" = anonymous shared memory)
  uint32_t ncpus = 0;           // execution slots ("CPUs"); 0 = hardware threads
  bool enable_stats = false;    // keep run_cnt / run_time_ns (like kernel.bpf_stats_enabled)
  // trace_printk output. Default: lines in the kernel's trace_pipe format appended to
  // <map_dir>/trace_pipe when map_dir is set, else dropped.
  std::function<void(std::string_view line)> trace;
  // Maps bound to existing map files instead of being created (object map index -> file path),
  // as libbpf's bpf_map__reuse_fd binds a map to an existing kernel map. The existing map must
  // match the object's definition (type, key and value size, max_entries, flags).
  std::vector<std::pair<uint32_t, std::string>> reuse_map_files;
  // Per-program autoload overrides, by program name.
  std::vector<std::pair<std::string, bool>> autoload;
};

// BPF_PROG_TEST_RUN input. Empty spans mean "not given" (as a NULL pointer in the syscall).
struct TestRun {
  std::span<const uint8_t> data_in;
  std::span<const uint8_t> ctx_in;
  uint32_t repeat = 1;         // 0 is treated as 1, as the kernel does
  uint32_t data_size_out = 0;  // 0 = no limit; smaller than the output: -ENOSPC, data truncated
  uint32_t ctx_size_out = 0;   // 0 = full ctx when ctx_in was given
  uint32_t cpu = 0;            // execution slot to run on
  uint32_t flags = 0;          // BPF_F_TEST_RUN_ON_CPU etc.
  // Tracing programs (tp_btf, fentry, fexit, fmod_ret): the event as JSON, its pointer arguments
  // built as synthetic kernel objects from vmlinux BTF (runtime/tracing_event.h), e.g.
  // {"prev": {"pid": 1, "comm": "a"}, "next": {"pid": 2}} for tp_btf/sched_switch.
  std::string_view event;
};

struct TestRunResult {
  uint32_t retval = 0;
  uint64_t retval64 = 0;  // full r0 (the kernel reports 32 bits)
  std::vector<uint8_t> data_out;
  std::vector<uint8_t> ctx_out;
  uint64_t duration_ns = 0;     // average per run
  bool data_truncated = false;  // data_out was cut to data_size_out (kernel: -ENOSPC)
};

struct ProgramStats {
  uint64_t run_cnt = 0;
  uint64_t run_time_ns = 0;
};

class Program {
 public:
  const std::string& name() const;
  const std::string& section() const;
  platform::ProgType type() const;
  bool loaded() const;
  uint32_t id() const;  // runtime id (prog_array values refer to it)
  // Instructions as the engine runs them (after map resolution and ctx rewriting).
  std::span<const uint8_t> insns_bytes() const;
  size_t insn_count() const;
  const std::string& verifier_log() const;

  Result<TestRunResult> test_run(const TestRun& in);
  ProgramStats stats() const;

  explicit Program(runtime::ProgramImpl* impl) : impl_(impl) {}
  runtime::ProgramImpl* impl() const { return impl_; }

 private:
  runtime::ProgramImpl* impl_;
};

class Map {
 public:
  const std::string& name() const;
  platform::MapType type() const;
  uint32_t key_size() const;
  uint32_t value_size() const;       // one element (per-CPU maps: of one CPU's copy)
  uint32_t user_value_size() const;  // what lookup() returns (per-CPU: ncpus * round8(value))
  uint32_t max_entries() const;
  uint32_t flags() const;
  uint32_t id() const;
  const std::string& path() const;  // the map file ("" for anonymous memory)

  Result<std::vector<uint8_t>> lookup(std::span<const uint8_t> key, uint64_t flags = 0) const;
  Status update(std::span<const uint8_t> key, std::span<const uint8_t> value, uint64_t flags = 0);
  Status remove(std::span<const uint8_t> key);
  Result<std::vector<uint8_t>> lookup_and_delete(std::span<const uint8_t> key);
  // Next key after `key` (empty = first). kNotFound at the end.
  Result<std::vector<uint8_t>> next_key(std::span<const uint8_t> key) const;
  // Every (key, value) pair, in get_next_key order.
  Result<std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>>> dump() const;
  Status freeze();

  // Convenience for u32-keyed maps.
  Result<std::vector<uint8_t>> lookup_u32(uint32_t key) const;

  vm::Map* raw() const { return map_; }
  explicit Map(vm::Map* m, std::string name) : map_(m), name_(std::move(name)) {}

 private:
  vm::Map* map_;
  std::string name_;
};

class Object {
 public:
  static Result<std::unique_ptr<Object>> open_file(const std::string& path,
                                                   const ObjectOptions& opts = {});
  static Result<std::unique_ptr<Object>> open_memory(std::span<const uint8_t> bytes,
                                                     const ObjectOptions& opts = {});
  ~Object();

  // Creates maps and prepares every autoload program. Errors name the program and instruction.
  Status load();

  const std::string& name() const;
  std::span<Program> programs();
  std::span<Map> maps();
  Program* find_program(std::string_view name);
  Map* find_map(std::string_view name);  // by kernel-facing or object name (".rodata")

  runtime::ObjectImpl* impl() const { return impl_.get(); }
  explicit Object(std::unique_ptr<runtime::ObjectImpl> impl);  // internal: use open_*()

 private:
  std::unique_ptr<runtime::ObjectImpl> impl_;
};

// Ring buffer consumer (libbpf's ring_buffer): add maps with callbacks, then poll or consume.
// A callback returning nonzero stops consumption and becomes the return value.
class RingBufferConsumer {
 public:
  using Callback = std::function<int(const void* data, size_t size)>;
  RingBufferConsumer();
  ~RingBufferConsumer();
  Status add(Map& ringbuf, Callback cb);
  // Waits up to timeout_ms (-1 = forever) for data, then consumes. Returns records handled.
  Result<long> poll(int timeout_ms);
  Result<long> consume();
  // An fd that becomes readable when any ring has data (for epoll/poll loops).
  int epoll_fd() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Perf buffer consumer (libbpf's perf_buffer): opens every slot of a perf_event_array.
class PerfBufferConsumer {
 public:
  using SampleFn = std::function<void(uint32_t cpu, const void* data, uint32_t size)>;
  using LostFn = std::function<void(uint32_t cpu, uint64_t count)>;
  static Result<std::unique_ptr<PerfBufferConsumer>> create(Map& perf_array, SampleFn sample,
                                                            LostFn lost = nullptr);
  ~PerfBufferConsumer();
  Result<long> poll(int timeout_ms);

 private:
  PerfBufferConsumer() = default;
  vm::Map* map_ = nullptr;
  SampleFn sample_;
  LostFn lost_;
};

}  // namespace bombus
