// Grace periods for map elements that programs reach by pointer: the kernel frees an LPM trie
// node with kfree_rcu, so a value pointer a program got from bpf_map_lookup_elem stays valid, with
// the old contents, until the program ends, however the map changes meanwhile. bombus does the
// same with epochs kept in the map file, so readers and writers may be different processes:
//  - a program's first lookup in a run claims a reader slot holding the map's current epoch, and
//    the end of the thread's outermost run (vm::RunScope) empties it again;
//  - a writer tags every element it unlinks with a fresh epoch (grace_retire) and reuses it only
//    when every reader slot that is in use holds a later epoch (grace_reclaimable), i.e. every
//    program that might have seen the element has ended.
// Lookups outside a run (user space) take no slot; they copy under their own validation.
#pragma once

#include <cstdint>

namespace bombus::vm {

struct ReaderSlot {
  uint64_t epoch;  // 0: free; else the map's epoch when the reader entered
  uint32_t pid;    // the reader's process (a dead process's slot is reaped by writers)
  uint32_t pad;
};
inline constexpr uint32_t kReaderSlots = 256;

// Lives in the map file; zero-filled is not valid: grace_init sets the first epoch.
struct GraceArea {
  uint64_t epoch;       // next retire epoch (starts at 1)
  uint64_t safe_below;  // writers' cache: epochs below it are reclaimable (under the map's lock)
  uint8_t pad[48];
  ReaderSlot slots[kReaderSlots];
};

void grace_init(GraceArea& a);
// Reader: inside a program run, makes sure this thread holds a slot of `a` until its outermost
// run ends. Outside a run it does nothing and returns false.
bool read_section_enter(GraceArea& a);
// Writer, after unlinking an element: the epoch to tag it with.
uint64_t grace_retire(GraceArea& a);
// Writer (under the map's lock): an element tagged `epoch` may be reused.
bool grace_reclaimable(GraceArea& a, uint64_t epoch);
// Empties the slots of processes that ended inside a section; returns how many.
uint32_t grace_reap_dead(GraceArea& a);

}  // namespace bombus::vm
