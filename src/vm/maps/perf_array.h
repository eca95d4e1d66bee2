// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one ring per slot (the kernel's per-CPU perf buffers).
// bpf_perf_event_output writes a sample into the ring of the slot given in its flags
// (BPF_F_CURRENT_CPU = the execution slot); a slot nobody reads is "closed" and the helper gets
// -ENOENT, as in the kernel when no perf event is installed. A reader opens slots, then polls;
// samples that do not fit are counted as lost (reported like PERF_RECORD_LOST).
#pragma once

#include <cstdint>
#include <functional>

#include "vm/maps/map.h"

namespace bombus::vm {

class PerfEventArray : public Map {
 public:
  static constexpr uint32_t kRingBytes = 64 * 1024;  // per slot

  long output(uint64_t index, const void* data, uint64_t size);
  // Reader side.
  void open_slot(uint32_t index, bool open);
  // Calls sample(cpu, data, size) for every sample and lost(cpu, count) for drops.
  long consume(const std::function<void(uint32_t, const void*, uint32_t)>& sample,
               const std::function<void(uint32_t, uint64_t)>& lost);

  long sys_lookup(const void*, void*, uint64_t) override { return -2; }
  long get_next_key(const void* key, void* next) override;

  struct Ring {
    uint64_t head, tail, lost;
    uint32_t lock, open;
    uint8_t pad[32];
  };

 protected:
  Ring* ring(uint32_t i) const {
    return reinterpret_cast<Ring*>(data() + static_cast<size_t>(i) * (sizeof(Ring) + kRingBytes));
  }
  uint8_t* bytes(uint32_t i) const { return reinterpret_cast<uint8_t*>(ring(i) + 1); }
};

}  // namespace bombus::vm
