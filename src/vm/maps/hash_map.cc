// Hash-like maps: hash, percpu_hash, lru_hash, lru_percpu_hash, hash_of_maps, devmap_hash.
//
// Layout of the type area: n_buckets buckets {lock, head, seq, pad} then n_slots element slots
// {next, hash, state, pad, key (rounded to 8), value(s)}. Links are 1-based slot numbers (0 ends
// a chain). Writers take the bucket's lock and bump its sequence counter around every change
// (odd while changing); readers take no lock: they walk the chain and retry if the counter moved,
// so a lookup never misses an element that was there for the whole lookup. An update writes a
// fresh slot fully before linking it in place of the old one, so a reader sees the old or the new
// value, never a mix (per-CPU maps update in place, as the kernel does).
// Free slots sit on a list under the header lock. Non-LRU maps count elements (max_entries,
// -E2BIG) and keep some spare slots for replacements; LRU maps evict with a clock over the slots
// (a lookup sets the element's reference bit, the hand clears it or evicts).
// With BPF_F_NO_COMMON_LRU each execution slot has its own active/inactive/free lists and evicts
// exactly as the kernel's per-CPU bpf_lru_list does (rotation of 4, shrink target 4, reference
// bits set only by programs' lookups and by replacing updates), checked against the kernel in
// tests/unit/maps_kernel. Elements are spread evenly over the slots; max_entries is rounded up
// to a multiple of the slot count, as the kernel rounds it to the possible CPUs.
#include <cstring>

#include "vm/maps/map_types.h"

namespace bombus::vm::maps_detail {
namespace {

using platform::MapType;

constexpr uint32_t kInUse = 1, kRef = 2;

struct Bucket {
  uint32_t lock, head, seq, pad;
};
struct ElemHdr {
  uint32_t next, hash, state, pad;
};
// BPF_F_NO_COMMON_LRU: each execution slot ("CPU") has its own LRU lists (active, inactive,
// free), as the kernel's bpf_lru_list in per-CPU mode. Links are ids: element slots 1..n_slots,
// then three list heads per CPU.
enum LruType : uint32_t { kActive = 0, kInactive = 1, kFreeList = 2 };
struct LruLink {
  uint32_t prev, next, type, cpu;
};
struct LruList {
  uint32_t lock, counts[2], next_rotation;
};
constexpr uint32_t kPercpuFreeTarget = 4, kPercpuScans = 4;  // the kernel's PERCPU_* constants

size_t lru_bytes(const map_layout::Header& h) {
  return sizeof(LruLink) * (uint64_t{h.n_slots} + 3ULL * h.ncpus) + sizeof(LruList) * h.ncpus;
}

template <typename T>
std::atomic_ref<T> A(T& v) {
  return std::atomic_ref<T>(v);
}

uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n && p < (1u << 31)) p <<= 1;
  return p;
}

class HashMap : public Map {
 public:
  Status setup() override {
    percpu_ = type() == MapType::kPercpuHash || type() == MapType::kLruPercpuHash;
    lru_ = type() == MapType::kLruHash || type() == MapType::kLruPercpuHash;
    of_maps_ = type() == MapType::kHashOfMaps;
    buckets_ = reinterpret_cast<Bucket*>(data());
    slots_ = data() + sizeof(Bucket) * hdr_->n_buckets;
    key_stride_ = round8(spec_.key_size);
    mask_ = hdr_->n_buckets - 1;
    plru_ = lru_ && (spec_.flags & platform::kFNoCommonLru);
    if (plru_) {
      links_ =
          reinterpret_cast<LruLink*>(slots_ + static_cast<size_t>(hdr_->n_slots) * hdr_->elem_size);
      lists_ = reinterpret_cast<LruList*>(links_ + hdr_->n_slots + 3 * hdr_->ncpus);
    }
    if (hdr_->free_head == 0 && A(hdr_->count).load() == 0 && !initialized()) {
      // Fresh map: chain every slot onto the free list.
      for (uint32_t i = 0; i < hdr_->n_slots; ++i)
        eh(i + 1)->next = i + 1 < hdr_->n_slots ? i + 2 : 0;
      hdr_->free_head = hdr_->n_slots ? 1 : 0;
      if (plru_) lru_populate();
      hdr_->reserved[0] = 1;  // initialized marker
    }
    return {};
  }

  // ---- per-CPU LRU lists (the kernel's bpf_lru_list, per-CPU flavour) ----
  LruLink& lk(uint32_t id) const { return links_[id - 1]; }
  uint32_t head(uint32_t cpu, uint32_t t) const { return hdr_->n_slots + 1 + 3 * cpu + t; }
  void l_del(uint32_t id) {
    lk(lk(id).prev).next = lk(id).next;
    lk(lk(id).next).prev = lk(id).prev;
  }
  void l_add(uint32_t id, uint32_t h) {
    uint32_t first = lk(h).next;
    lk(id).prev = h;
    lk(id).next = first;
    lk(first).prev = id;
    lk(h).next = id;
  }
  bool is_ref(uint32_t i) const { return A(eh(i)->state).load(std::memory_order_relaxed) & kRef; }
  void clear_ref(uint32_t i) { A(eh(i)->state).fetch_and(~kRef, std::memory_order_relaxed); }

  void lru_populate() {
    uint32_t n = hdr_->n_slots, nc = hdr_->ncpus;
    for (uint32_t c = 0; c < nc; ++c) {
      for (uint32_t t = 0; t < 3; ++t) lk(head(c, t)).prev = lk(head(c, t)).next = head(c, t);
      lists_[c] = LruList{0, {0, 0}, head(c, kInactive)};
    }
    uint32_t per = n / nc;
    for (uint32_t i = 1; i <= n; ++i) {
      uint32_t c = std::min((i - 1) / per, nc - 1);
      lk(i).type = kFreeList;
      lk(i).cpu = c;
      l_add(i, head(c, kFreeList));
    }
  }
  void l_move(LruList& l, uint32_t c, uint32_t i, uint32_t tgt) {
    if (lk(i).type != tgt) {
      if (lk(i).type < 2) --l.counts[lk(i).type];
      if (tgt < 2) ++l.counts[tgt];
      lk(i).type = tgt;
    }
    clear_ref(i);
    if (i == l.next_rotation) l.next_rotation = lk(i).prev;
    l_del(i);
    l_add(i, head(c, tgt));
  }
  void l_move_to_free(LruList& l, uint32_t c, uint32_t i) {
    if (i == l.next_rotation) l.next_rotation = lk(i).prev;
    if (lk(i).type < 2) --l.counts[lk(i).type];
    lk(i).type = kFreeList;
    l_del(i);
    l_add(i, head(c, kFreeList));
  }
  // Takes element i out of the hash table if it is linked there (the kernel's del_from_htab).
  bool del_from_table(uint32_t i) {
    Bucket& b = buckets_[eh(i)->hash & mask_];
    shm_lock(&b.lock);
    uint32_t* link = &b.head;
    bool found = false;
    for (uint32_t j = *link; j; link = &eh(j)->next, j = *link)
      if (j == i) {
        found = true;
        break;
      }
    if (found) {
      unlink(b, link, i);
      A(hdr_->count).fetch_sub(1);
    }
    shm_unlock(&b.lock);
    return found;
  }
  void l_rotate(LruList& l, uint32_t c) {
    if (l.counts[kInactive] < l.counts[kActive]) {
      // Active tail: referenced elements go back to the active head, others to inactive.
      uint32_t ah = head(c, kActive), first = lk(ah).next;
      uint32_t n = 0;
      for (uint32_t i = lk(ah).prev; i != ah;) {
        uint32_t prev = lk(i).prev;
        l_move(l, c, i, is_ref(i) ? kActive : kInactive);
        if (++n == kPercpuScans || i == first) break;
        i = prev;
      }
    }
    uint32_t ih = head(c, kInactive);
    if (lk(ih).next == ih) return;
    uint32_t last = lk(l.next_rotation).next;
    if (last == ih) last = lk(last).next;
    uint32_t cur = l.next_rotation, next = ih;
    for (uint32_t n = 0; n < kPercpuScans;) {
      if (cur == ih) {
        cur = lk(cur).prev;
        continue;
      }
      next = lk(cur).prev;
      if (is_ref(cur)) l_move(l, c, cur, kActive);
      if (cur == last) break;
      cur = next;
      ++n;
    }
    l.next_rotation = next;
  }
  void l_shrink(LruList& l, uint32_t c, uint32_t target) {
    uint32_t ih = head(c, kInactive), done = 0, n = 0;
    for (uint32_t i = lk(ih).prev; i != ih;) {
      uint32_t prev = lk(i).prev;
      if (is_ref(i)) {
        l_move(l, c, i, kActive);
      } else if (del_from_table(i)) {
        l_move_to_free(l, c, i);
        if (++done == target) break;
      }
      if (++n == kPercpuScans) break;
      i = prev;
    }
    if (done) return;
    // Nothing unreferenced: take the oldest element regardless of its reference bit.
    uint32_t fh = lk(ih).next != ih ? ih : head(c, kActive);
    for (uint32_t i = lk(fh).prev; i != fh; i = lk(i).prev)
      if (del_from_table(i)) {
        l_move_to_free(l, c, i);
        return;
      }
  }
  uint32_t lru_pop_free() {
    uint32_t c = cur_cpu();
    LruList& l = lists_[c];
    shm_lock(&l.lock);
    l_rotate(l, c);
    uint32_t fh = head(c, kFreeList);
    if (lk(fh).next == fh) l_shrink(l, c, kPercpuFreeTarget);
    uint32_t i = lk(fh).next;
    if (i == fh) {
      i = 0;
    } else {
      clear_ref(i);
      l_move(l, c, i, kInactive);
    }
    shm_unlock(&l.lock);
    return i;
  }
  void lru_push_free(uint32_t i) {
    uint32_t c = lk(i).cpu;
    LruList& l = lists_[c];
    shm_lock(&l.lock);
    A(eh(i)->state).store(0, std::memory_order_relaxed);
    l_move(l, c, i, kFreeList);
    shm_unlock(&l.lock);
  }
  void release(uint32_t i) {
    if (spec_.timer_off >= 0) free_special_fields(val_of(i));
    if (plru_)
      lru_push_free(i);
    else
      push_free(i);
  }
  bool initialized() const { return hdr_->reserved[0] == 1; }

  ElemHdr* eh(uint32_t idx1) const {
    return reinterpret_cast<ElemHdr*>(slots_ + static_cast<size_t>(idx1 - 1) * hdr_->elem_size);
  }
  uint8_t* key_of(uint32_t idx1) const { return reinterpret_cast<uint8_t*>(eh(idx1) + 1); }
  uint8_t* val_of(uint32_t idx1, uint32_t cpu = 0) const {
    return key_of(idx1) + key_stride_ + static_cast<size_t>(cpu) * hdr_->value_stride;
  }

  uint32_t hash(const void* key) const {
    const auto* p = static_cast<const uint8_t*>(key);
    uint32_t n = spec_.key_size;
    uint64_t h = hdr_->seed ^ (n * 0x9E3779B97F4A7C15ULL);
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
      p += 8;
      n -= 8;
    }
    if (n) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    }
    h ^= h >> 29;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 32;
    return static_cast<uint32_t>(h);
  }

  // Lock-free search. Returns the slot (1-based) or 0.
  uint32_t find(const void* key, uint32_t h) const {
    Bucket& b = buckets_[h & mask_];
    for (;;) {
      uint32_t s1 = A(b.seq).load(std::memory_order_acquire);
      if (s1 & 1) {
        __builtin_ia32_pause();
        continue;
      }
      uint32_t found = 0, steps = 0;
      for (uint32_t i = A(b.head).load(std::memory_order_acquire); i && steps <= hdr_->n_slots;
           i = A(eh(i)->next).load(std::memory_order_acquire), ++steps) {
        if (i > hdr_->n_slots) break;
        if (eh(i)->hash == h && std::memcmp(key_of(i), key, spec_.key_size) == 0) {
          found = i;
          break;
        }
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if (A(b.seq).load(std::memory_order_relaxed) == s1) return found;
    }
  }
  // Search with the bucket lock held; *pred_link gets the link that points at the result.
  uint32_t find_locked(Bucket& b, const void* key, uint32_t h, uint32_t** pred_link) const {
    uint32_t* link = &b.head;
    for (uint32_t i = *link; i; link = &eh(i)->next, i = *link) {
      if (eh(i)->hash == h && std::memcmp(key_of(i), key, spec_.key_size) == 0) {
        *pred_link = link;
        return i;
      }
    }
    return 0;
  }

  uint32_t pop_free() {
    shm_lock(&hdr_->lock);
    uint32_t i = hdr_->free_head;
    if (i) hdr_->free_head = eh(i)->next;
    shm_unlock(&hdr_->lock);
    return i;
  }
  void push_free(uint32_t i) {
    A(eh(i)->state).store(0, std::memory_order_relaxed);
    shm_lock(&hdr_->lock);
    A(eh(i)->next).store(hdr_->free_head, std::memory_order_release);
    hdr_->free_head = i;
    shm_unlock(&hdr_->lock);
  }
  void unlink(Bucket& b, uint32_t* link, uint32_t i) {
    A(b.seq).fetch_add(1, std::memory_order_acq_rel);
    A(*link).store(eh(i)->next, std::memory_order_release);
    A(b.seq).fetch_add(1, std::memory_order_release);
  }

  // LRU: clock eviction. Returns a slot taken out of the table, or 0.
  uint32_t evict() {
    uint32_t n = hdr_->n_slots;
    for (uint32_t tries = 0; tries < 4 * n + 64; ++tries) {
      uint32_t i = A(hdr_->lru_hand).fetch_add(1) % n + 1;
      uint32_t st = A(eh(i)->state).load(std::memory_order_relaxed);
      if (!(st & kInUse)) continue;
      if (st & kRef) {
        A(eh(i)->state).fetch_and(~kRef, std::memory_order_relaxed);
        continue;
      }
      Bucket& b = buckets_[eh(i)->hash & mask_];
      uint32_t exp = 0;
      if (!A(b.lock).compare_exchange_strong(exp, 1, std::memory_order_acquire)) continue;
      uint32_t* link = &b.head;
      bool ok = false;
      for (uint32_t j = *link; j; link = &eh(j)->next, j = *link)
        if (j == i) {
          ok = true;
          break;
        }
      if (ok) {
        unlink(b, link, i);
        A(hdr_->count).fetch_sub(1);
        A(eh(i)->state).store(0, std::memory_order_relaxed);
      }
      shm_unlock(&b.lock);
      if (ok) return i;
    }
    return 0;
  }

  uint32_t alloc() {
    uint32_t i;
    if (plru_) {
      i = lru_pop_free();
    } else {
      i = pop_free();
      if (!i && lru_) i = evict();
    }
    // An evicted element's timer goes with it.
    if (i && spec_.timer_off >= 0) free_special_fields(val_of(i));
    return i;
  }

  void fill_value(uint32_t i, const void* value, bool all_cpus) {
    if (spec_.spin_lock_off >= 0 || spec_.timer_off >= 0 || percpu_)
      std::memset(val_of(i), 0,
                  static_cast<size_t>(hdr_->elem_size) - sizeof(ElemHdr) - key_stride_);
    if (!percpu_) {
      copy_value(val_of(i), value);
    } else if (all_cpus) {
      for (uint32_t c = 0; c < hdr_->ncpus; ++c)
        copy_value(val_of(i, c), static_cast<const uint8_t*>(value) + c * hdr_->value_stride);
    } else {
      copy_value(val_of(i, cur_cpu()), value);
    }
  }

  // lru_percpu_hash with per-CPU LRU lists, in the kernel's order: take a free element first
  // (which may rotate and evict) unless BPF_EXIST, then update an existing element in place
  // (marking it referenced) or link the new one; an unused new element goes back to the free list.
  long update_plru_percpu(const void* key, const void* value, uint64_t flags, bool all_cpus,
                          uint32_t h) {
    uint32_t n = 0;
    if (flags != platform::kExist && !(n = alloc())) return -12;
    Bucket& b = buckets_[h & mask_];
    shm_lock(&b.lock);
    uint32_t* link;
    uint32_t old = find_locked(b, key, h, &link);
    long rc = 0;
    if (old && flags == platform::kNoExist) {
      rc = -17;
    } else if (!old && flags == platform::kExist) {
      rc = -2;
    } else if (old) {
      if (all_cpus) {
        for (uint32_t c = 0; c < hdr_->ncpus; ++c)
          copy_value(val_of(old, c), static_cast<const uint8_t*>(value) + c * hdr_->value_stride);
      } else {
        copy_value(val_of(old, cur_cpu()), value);
      }
      A(eh(old)->state).fetch_or(kRef, std::memory_order_relaxed);
    } else {
      std::memcpy(key_of(n), key, spec_.key_size);
      fill_value(n, value, all_cpus);
      eh(n)->hash = h;
      A(eh(n)->state).store(kInUse, std::memory_order_relaxed);
      A(b.seq).fetch_add(1, std::memory_order_acq_rel);
      A(eh(n)->next).store(b.head, std::memory_order_relaxed);
      A(b.head).store(n, std::memory_order_release);
      A(hdr_->count).fetch_add(1);
      A(b.seq).fetch_add(1, std::memory_order_release);
      n = 0;
    }
    shm_unlock(&b.lock);
    if (n) release(n);
    return rc;
  }

  long do_update(const void* key, const void* value, uint64_t flags, bool all_cpus) {
    if (flags > platform::kFLock || (flags & 3) == 3) return -22;
    if (lru_ && flags > platform::kExist) return -22;  // LRU maps take no BPF_F_LOCK
    uint32_t h = hash(key);
    if (plru_ && percpu_) return update_plru_percpu(key, value, flags, all_cpus, h);
    if (flags & platform::kFLock) {
      if (spec_.spin_lock_off < 0 || percpu_) return -22;
      if (uint32_t e = find(key, h)) {
        if ((flags & 3) == platform::kNoExist) return -17;
        copy_value_locked(val_of(e), value);
        return 0;
      }
    }
    Bucket& b = buckets_[h & mask_];
    if (percpu_) {
      // In-place update of an existing element.
      shm_lock(&b.lock);
      uint32_t* link;
      if (uint32_t e = find_locked(b, key, h, &link)) {
        long rc = 0;
        if ((flags & 3) == platform::kNoExist) {
          rc = -17;
        } else if (all_cpus) {
          for (uint32_t c = 0; c < hdr_->ncpus; ++c)
            copy_value(val_of(e, c), static_cast<const uint8_t*>(value) + c * hdr_->value_stride);
        } else {
          copy_value(val_of(e, cur_cpu()), value);
        }
        if (rc == 0 && lru_) A(eh(e)->state).fetch_or(kRef, std::memory_order_relaxed);
        shm_unlock(&b.lock);
        return rc;
      }
      shm_unlock(&b.lock);
      if ((flags & 3) == platform::kExist) return -2;
    }
    uint32_t n = alloc();
    if (!n) return lru_ ? -12 : (A(hdr_->count).load() >= spec_.max_entries ? -7 : -12);
    std::memcpy(key_of(n), key, spec_.key_size);
    fill_value(n, value, all_cpus);
    eh(n)->hash = h;
    A(eh(n)->state).store(kInUse, std::memory_order_relaxed);  // new: not yet referenced
    shm_lock(&b.lock);
    uint32_t* link = nullptr;
    uint32_t old = find_locked(b, key, h, &link);
    long rc = 0;
    if (old && (flags & 3) == platform::kNoExist)
      rc = -17;
    else if (!old && (flags & 3) == platform::kExist)
      rc = -2;
    else if (!old && !lru_ && A(hdr_->count).load() >= spec_.max_entries)
      rc = -7;
    if (rc) {
      shm_unlock(&b.lock);
      release(n);
      return rc;
    }
    A(b.seq).fetch_add(1, std::memory_order_acq_rel);
    if (old) {
      if (lru_) A(eh(n)->state).fetch_or(kRef, std::memory_order_relaxed);  // as the kernel
      A(eh(n)->next).store(eh(old)->next, std::memory_order_relaxed);
      A(*link).store(n, std::memory_order_release);
    } else {
      A(eh(n)->next).store(b.head, std::memory_order_relaxed);
      A(b.head).store(n, std::memory_order_release);
      A(hdr_->count).fetch_add(1);
    }
    A(b.seq).fetch_add(1, std::memory_order_release);
    shm_unlock(&b.lock);
    if (old) release(old);
    return 0;
  }

  void* lookup(const void* key) override {
    uint32_t i = find(key, hash(key));
    if (!i) return nullptr;
    if (lru_ && !(A(eh(i)->state).load(std::memory_order_relaxed) & kRef))
      A(eh(i)->state).fetch_or(kRef, std::memory_order_relaxed);
    if (of_maps_) {
      uint32_t id;
      std::memcpy(&id, val_of(i), 4);
      return find_map_by_id(id);
    }
    return val_of(i, percpu_ ? cur_cpu() : 0);
  }
  void* lookup_percpu(const void* key, uint32_t cpu) override {
    if (cpu >= hdr_->ncpus) return nullptr;
    uint32_t i = find(key, hash(key));
    return i ? val_of(i, percpu_ ? cpu : 0) : nullptr;
  }
  long update(const void* key, const void* value, uint64_t flags) override {
    return do_update(key, value, flags, false);
  }
  long sys_update(const void* key, const void* value, uint64_t flags) override {
    if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
    return do_update(key, value, flags, percpu_);
  }
  long sys_lookup(const void* key, void* value, uint64_t flags) override {
    if (of_maps_) {
      if (flags) return -22;
      uint32_t i = find(key, hash(key));
      if (!i) return -2;
      std::memcpy(value, val_of(i), 4);
      return 0;
    }
    if (lru_ && !percpu_) {
      // The syscall's lookup does not mark the element referenced (only programs' lookups do).
      if (spec_.flags & platform::kFWronly) return -1;
      if (flags & ~platform::kFLock) return -22;
      if ((flags & platform::kFLock) && spec_.spin_lock_off < 0) return -22;
      uint32_t i = find(key, hash(key));
      if (!i) return -2;
      if (flags & platform::kFLock)
        read_value_locked(value, val_of(i));
      else
        std::memcpy(value, val_of(i), spec_.value_size);
      zero_special_fields(value);
      return 0;
    }
    return Map::sys_lookup(key, value, flags);
  }
  long remove(const void* key) override {
    uint32_t h = hash(key);
    Bucket& b = buckets_[h & mask_];
    shm_lock(&b.lock);
    uint32_t* link;
    uint32_t i = find_locked(b, key, h, &link);
    if (i) {
      unlink(b, link, i);
      A(hdr_->count).fetch_sub(1);
    }
    shm_unlock(&b.lock);
    if (!i) return -2;
    release(i);
    return 0;
  }

  long get_next_key(const void* key, void* next) override {
    uint32_t start = 0;
    if (key) {
      uint32_t h = hash(key);
      Bucket& b = buckets_[h & mask_];
      shm_lock(&b.lock);
      uint32_t* link;
      uint32_t i = find_locked(b, key, h, &link);
      if (i && eh(i)->next) {
        std::memcpy(next, key_of(eh(i)->next), spec_.key_size);
        shm_unlock(&b.lock);
        return 0;
      }
      shm_unlock(&b.lock);
      if (i) start = (h & mask_) + 1;  // missing key: restart from the first bucket
    }
    for (uint32_t bi = start; bi < hdr_->n_buckets; ++bi) {
      Bucket& b = buckets_[bi];
      if (!A(b.head).load(std::memory_order_relaxed)) continue;
      shm_lock(&b.lock);
      if (uint32_t i = b.head) {
        std::memcpy(next, key_of(i), spec_.key_size);
        shm_unlock(&b.lock);
        return 0;
      }
      shm_unlock(&b.lock);
    }
    return -2;
  }

  long for_each(const std::function<long(const void*, void*)>& cb) override {
    long n = 0;
    uint32_t cpu = percpu_ ? cur_cpu() : 0;
    for (uint32_t bi = 0; bi < hdr_->n_buckets; ++bi) {
      uint32_t steps = 0;
      for (uint32_t i = A(buckets_[bi].head).load(std::memory_order_acquire);
           i && i <= hdr_->n_slots && steps <= hdr_->n_slots;
           i = A(eh(i)->next).load(std::memory_order_acquire), ++steps) {
        ++n;
        if (cb(key_of(i), val_of(i, cpu))) return n;
      }
    }
    return n;
  }

  std::vector<std::span<uint8_t>> value_regions() const override {
    return {std::span<uint8_t>(slots_, static_cast<size_t>(hdr_->n_slots) * hdr_->elem_size)};
  }

 protected:
  Bucket* buckets_ = nullptr;
  uint8_t* slots_ = nullptr;
  uint32_t key_stride_ = 0, mask_ = 0;
  bool percpu_ = false, lru_ = false, of_maps_ = false;
  bool plru_ = false;  // BPF_F_NO_COMMON_LRU: per-CPU LRU lists
  LruLink* links_ = nullptr;
  LruList* lists_ = nullptr;
};

}  // namespace

TypeOps hash_ops(platform::MapType t) {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new HashMap()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    auto type = static_cast<MapType>(h.type);
    bool percpu = type == MapType::kPercpuHash || type == MapType::kLruPercpuHash;
    bool lru = type == MapType::kLruHash || type == MapType::kLruPercpuHash;
    if (lru && (h.flags & platform::kFNoCommonLru)) {
      // As the kernel: max_entries becomes a multiple of the CPU count, each CPU list the same.
      uint64_t up = (uint64_t{h.max_entries} + h.ncpus - 1) / h.ncpus * h.ncpus;
      h.max_entries =
          up > 0xffffffffULL ? h.max_entries / h.ncpus * h.ncpus : static_cast<uint32_t>(up);
    }
    h.n_buckets = pow2_at_least(h.max_entries);
    uint64_t spare = lru ? 0 : 2ULL * h.ncpus + 16;
    h.n_slots = static_cast<uint32_t>(h.max_entries + spare);
    uint64_t values = (percpu ? h.ncpus : 1) * uint64_t{h.value_stride};
    uint64_t elem = sizeof(ElemHdr) + round8(h.key_size) + values;
    if (elem > 0xffffffffULL) return make_error(Errc::kTooBig, "hash element too large");
    h.elem_size = static_cast<uint32_t>(elem);
    uint64_t bytes = sizeof(Bucket) * uint64_t{h.n_buckets} + elem * h.n_slots;
    if (lru && (h.flags & platform::kFNoCommonLru)) bytes += lru_bytes(h);
    if (bytes > (1ULL << 36)) return make_error(Errc::kTooBig, "hash map too large");
    return static_cast<size_t>(bytes);
  };
  return ops;
}

}  // namespace bombus::vm::maps_detail
