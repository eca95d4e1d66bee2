// Internal: constructors of the concrete map classes and the per-type hooks Map::create uses.
#pragma once

#include <memory>

#include "vm/maps/map.h"

namespace bombus::vm::maps_detail {

// Per-type creation steps. layout() fills n_buckets/n_slots/elem_size/value_stride in `h`
// (type, sizes and ncpus already set) and returns the bytes of the type area; ring_from()
// returns the offset (from the file start) where a double-mapped ring begins, or 0.
struct TypeOps {
  std::unique_ptr<Map> (*make)() = nullptr;
  Result<size_t> (*layout)(map_layout::Header& h) = nullptr;
  size_t (*ring_from)(const map_layout::Header& h) = nullptr;
};

TypeOps array_ops(platform::MapType t);
TypeOps hash_ops(platform::MapType t);
TypeOps lpm_ops();
TypeOps queue_ops(platform::MapType t);
TypeOps bloom_ops();
TypeOps ringbuf_ops(platform::MapType t);
TypeOps perf_array_ops();
TypeOps redirect_map_ops(platform::MapType t);  // CPUMAP, XSKMAP

// Spec checks shared by BPF_MAP_CREATE and Map::open.
Status validate_spec(const MapSpec& s);

}  // namespace bombus::vm::maps_detail
