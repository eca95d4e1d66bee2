// PROBE_MEM loads (see probe_mem.h): the checked read the JIT calls and the interpreter's
// fallback share.
#include "vm/probe_mem.h"

#include <cstring>

#include "vm/memory_registry.h"

namespace bombus::vm {

namespace {
thread_local std::span<const ProbeRange> t_objects;

bool readable(uint64_t addr, uint32_t size) {
  for (const ProbeRange& r : t_objects)
    if (addr >= r.start && addr - r.start <= r.len && size <= r.len - (addr - r.start)) return true;
  return MemoryRegistry::global().contains(addr, size, false);
}
}  // namespace

ProbeObjectsScope::ProbeObjectsScope(std::span<const ProbeRange> objects) : prev_(t_objects) {
  t_objects = objects;
}
ProbeObjectsScope::~ProbeObjectsScope() {
  t_objects = prev_;
}

uint64_t probe_load(uint64_t addr, uint32_t size, bool sign) {
  if (!readable(addr, size)) return 0;
  const void* p = reinterpret_cast<const void*>(addr);
  switch (size) {
    case 1: {
      uint8_t v;
      std::memcpy(&v, p, 1);
      return sign ? static_cast<uint64_t>(static_cast<int8_t>(v)) : v;
    }
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return sign ? static_cast<uint64_t>(static_cast<int16_t>(v)) : v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return sign ? static_cast<uint64_t>(static_cast<int32_t>(v)) : v;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

namespace {
thread_local const void* t_current_task = nullptr;
}  // namespace

const void* current_task() {
  if (t_current_task) return t_current_task;
  // No event: a zeroed task (16 KiB covers task_struct), readable by PROBE_MEM loads.
  alignas(64) static const uint8_t kZeroTask[16384] = {};
  static const MemoryRegistry::Registration reg =
      MemoryRegistry::global().add(kZeroTask, sizeof kZeroTask, false);
  (void)reg;
  return kZeroTask;
}

CurrentTaskScope::CurrentTaskScope(const void* task) : prev_(t_current_task) {
  t_current_task = task;
}
CurrentTaskScope::~CurrentTaskScope() {
  t_current_task = prev_;
}

}  // namespace bombus::vm
