// Object: open through the loader, load (maps, then programs), and the accessors of the public
// Object / Program classes.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include "runtime/object_impl.h"
#include "vm/helpers/timers.h"

namespace bombus {

using runtime::ObjectImpl;
using runtime::ProgramImpl;

namespace {

loader::OpenOptions loader_options(const ObjectOptions& o) {
  loader::OpenOptions lo;
  lo.object_name = o.object_name;
  lo.btf_custom_path = o.btf_path;
  lo.kconfig_path = o.kconfig_path;
  lo.kconfig_extra = o.kconfig_extra;
  for (const auto& [name, on] : o.autoload) lo.autoload[name] = on;
  return lo;
}

// trace_pipe-style line: "<comm>-<pid> [cpu] d..31 <s>.<us>: bpf_trace_printk: <msg>".
std::string trace_line(std::string_view msg) {
  char comm[17] = "bombus";
  FILE* f = std::fopen("/proc/self/comm", "r");
  if (f) {
    if (std::fgets(comm, sizeof comm, f)) comm[std::strcspn(comm, "\n")] = 0;
    std::fclose(f);
  }
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  vm::RunState* rs = vm::current_run_state();
  char head[128];
  std::snprintf(head, sizeof head, "%16s-%-7d [%03u] d..31 %5ld.%06ld: bpf_trace_printk: ", comm,
                static_cast<int>(getpid()), rs ? rs->cpu : 0, static_cast<long>(ts.tv_sec),
                static_cast<long>(ts.tv_nsec / 1000));
  std::string line = head;
  line += msg;
  if (line.empty() || line.back() != '\n') line += '\n';
  return line;
}

Result<std::unique_ptr<Object>> finish_open(Result<loader::ObjectSpec> spec,
                                            const ObjectOptions& opts) {
  if (!spec.ok()) return spec.error();
  auto impl = std::make_unique<ObjectImpl>();
  impl->opts = opts;
  impl->spec = std::move(spec).value();
  for (const auto& ps : impl->spec.programs) {
    auto p = std::make_unique<ProgramImpl>();
    p->obj = impl.get();
    p->spec = &ps;
    p->type = static_cast<platform::ProgType>(ps.type);
    impl->prog_impls.push_back(std::move(p));
  }
  for (auto& p : impl->prog_impls) impl->programs.emplace_back(p.get());
  return std::make_unique<Object>(std::move(impl));
}

}  // namespace

Result<std::unique_ptr<Object>> Object::open_file(const std::string& path,
                                                  const ObjectOptions& opts) {
  return finish_open(loader::open_object_file(path, loader_options(opts)), opts);
}

Result<std::unique_ptr<Object>> Object::open_memory(std::span<const uint8_t> bytes,
                                                    const ObjectOptions& opts) {
  return finish_open(loader::open_object(bytes, loader_options(opts)), opts);
}

Object::Object(std::unique_ptr<runtime::ObjectImpl> impl) : impl_(std::move(impl)) {}

Object::~Object() {
  if (!impl_) return;
  // Armed bpf_timers call back into the programs: free them before the programs go.
  for (auto& m : impl_->vm_maps)
    if (m && m->spec().timer_off >= 0) vm::TimerService::global().forget_map(m.get());
  for (auto& p : impl_->prog_impls)
    if (p->id) runtime::register_program_handle(p->id, nullptr);
}

Status Object::load() {
  ObjectImpl& o = *impl_;
  if (o.loaded) return make_error(Errc::kBusy, "object '" + o.spec.name + "' is already loaded");
  BOMBUS_TRY(runtime::create_maps(o));
  // trace_printk sink for every program of this object.
  std::function<void(std::string_view)> trace = o.opts.trace;
  if (!trace && !o.opts.map_dir.empty()) {
    std::string path = o.opts.map_dir + "/trace_pipe";
    auto mu = std::make_shared<std::mutex>();
    trace = [path, mu](std::string_view msg) {
      std::string line = trace_line(msg);
      std::lock_guard g(*mu);
      int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
      if (fd >= 0) {
        [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
        ::close(fd);
      }
    };
  }
  for (auto& p : o.prog_impls) {
    if (!p->spec->autoload) continue;
    p->env.prog_type = p->type;
    p->env.trace = trace;
    BOMBUS_TRY(runtime::prepare_program(o, *p));
  }
  // prog_array initial slots (`.values = { [i] = &prog }`).
  for (size_t mi = 0; mi < o.spec.maps.size(); ++mi) {
    const auto& ms = o.spec.maps[mi];
    for (const auto& [slot, target] : ms.init_slots) {
      uint32_t id = 0;
      if (ms.type == loader::MapType::kProgArray) {
        if (Program* p = find_program(target)) id = p->id();
      } else if (Map* m = find_map(target)) {
        id = m->id();
      }
      if (!id) continue;
      uint32_t key = slot;
      long r = o.vm_maps[mi]->sys_update(&key, &id, 0);
      if (r)
        return make_error(Errc::kInvalid, "map '" + ms.name + "': cannot fill slot " +
                                              std::to_string(slot) + " with '" + target + "'");
    }
  }
  o.loaded = true;
  return {};
}

const std::string& Object::name() const {
  return impl_->spec.name;
}
std::span<Program> Object::programs() {
  return impl_->programs;
}
std::span<Map> Object::maps() {
  return impl_->maps;
}

Program* Object::find_program(std::string_view name) {
  for (auto& p : impl_->programs)
    if (p.name() == name) return &p;
  return nullptr;
}

Map* Object::find_map(std::string_view name) {
  for (size_t i = 0; i < impl_->maps.size(); ++i)
    if (impl_->maps[i].name() == name || impl_->spec.maps[i].real_name == name)
      return &impl_->maps[i];
  return nullptr;
}

const std::string& Program::name() const {
  return impl_->spec->name;
}
const std::string& Program::section() const {
  return impl_->spec->section;
}
platform::ProgType Program::type() const {
  return impl_->type;
}
bool Program::loaded() const {
  return impl_->loaded;
}
uint32_t Program::id() const {
  return impl_->id;
}
std::span<const uint8_t> Program::insns_bytes() const {
  return {reinterpret_cast<const uint8_t*>(impl_->insns.data()), impl_->insns.size() * 8};
}
size_t Program::insn_count() const {
  return impl_->insns.size();
}
const std::string& Program::verifier_log() const {
  return impl_->verifier_log;
}
ProgramStats Program::stats() const {
  return {impl_->run_cnt.load(), impl_->run_time_ns.load()};
}
Result<TestRunResult> Program::test_run(const TestRun& in) {
  if (!impl_->loaded) return make_error(Errc::kInvalid, "prog '" + name() + "': not loaded");
  return runtime::run_test(*impl_, in);
}

}  // namespace bombus
