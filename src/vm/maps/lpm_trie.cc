// BPF_MAP_TYPE_LPM_TRIE: a binary longest-prefix-match trie (a path-compressed radix tree) in the
// shared-memory map file, with the kernel's semantics:
//  - key = u32 prefixlen + data[key_size - 4]; max prefixlen = 8 * data size; a prefixlen over
//    that is -EINVAL for update/delete and a miss for lookup;
//  - lookup walks from the root, matching at most min(node prefixlen, key prefixlen) bits per
//    node, and returns the value of the last non-intermediate node that matched fully (the
//    longest prefix);
//  - update replaces an equal prefix (-EEXIST with BPF_NOEXIST), otherwise adds a node
//    (-ENOENT with BPF_EXIST, -ENOSPC when max_entries real nodes exist), inserting an
//    intermediate node where two prefixes diverge; the stored data is the key's as given;
//  - delete removes an exact prefix (-ENOENT otherwise), turning a node with two children into
//    an intermediate one and removing a childless node's intermediate parent with it;
//  - get_next_key visits the real nodes in post-order (children before their parent, bit 0
//    before bit 1), so more specific prefixes come first; a null, invalid or absent key restarts
//    at the first node.
//
// Shared-memory layout of the type area: a TrieHdr, the readers' GraceArea (read_section.h), a
// FIFO ring of free nodes {node, retire epoch}, then the node slots {child[2], prefixlen, flags,
// data (rounded to 8), value}. Links are 1-based slot numbers (0 = none). Writers (update/delete/
// get_next_key) serialise on a lock in the file and make every change visible with single link
// stores, as the kernel's RCU trie does; they bump a sequence counter around each change (odd
// while changing). Readers take no lock: they walk and retry when the counter moved.
// Grace periods, as the kernel's kfree_rcu gives them: a node a writer unlinks joins the tail of
// the FIFO tagged with a retire epoch, and is reused only when no program that was running then
// is still running (a program's lookup holds a reader slot until its outermost run ends), so
// a value pointer a program got keeps its contents until the program ends. When every free node
// still waits for a reader, a program's update is -ENOMEM (the kernel's allocation failure) and
// a user-space update waits for the readers (up to kGraceWaitMs, reaping dead processes' slots).
// The syscall-side lookup copies the value inside the validated read and takes no slot.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "vm/abi.h"
#include "vm/maps/map_types.h"
#include "vm/maps/read_section.h"

namespace bombus::vm::maps_detail {
namespace {

constexpr uint32_t kIntermediate = 1;
constexpr uint32_t kInitMagic = 0x4c504d32;  // "LPM2" (LPM1: the layout without grace periods)
constexpr uint32_t kOldMagic = 0x4c504d31;
constexpr int kGraceWaitMs = 2000;

struct FreeNode {
  uint32_t node;
  uint32_t pad;
  uint64_t epoch;  // retire epoch (0: never linked, reusable at once)
};

struct TrieHdr {
  uint32_t root;
  uint32_t seq;
  uint32_t lock;
  uint32_t n_entries;
  uint32_t free_head;  // positions in the free ring (mod n_slots); head == tail: empty
  uint32_t free_tail;
  uint32_t free_count;
  uint32_t initialized;
  uint8_t pad[32];
};
static_assert(sizeof(TrieHdr) == 64);

struct Node {
  uint32_t child[2];
  uint32_t prefixlen;
  uint32_t flags;
};

template <typename T>
std::atomic_ref<T> A(T& v) {
  return std::atomic_ref<T>(v);
}

inline uint32_t bit_at(const uint8_t* data, uint32_t index) {
  return (data[index / 8] >> (7 - (index % 8))) & 1;
}

class LpmTrie : public Map {
 public:
  Status setup() override {
    data_size_ = spec_.key_size - 4;
    max_bits_ = data_size_ * 8;
    th_ = reinterpret_cast<TrieHdr*>(data());
    grace_ = reinterpret_cast<GraceArea*>(data() + sizeof(TrieHdr));
    ring_ = reinterpret_cast<FreeNode*>(data() + sizeof(TrieHdr) + sizeof(GraceArea));
    nodes_ = data() + nodes_offset(*hdr_);
    data_stride_ = round8(data_size_);
    if (A(th_->initialized).load(std::memory_order_acquire) == kOldMagic)
      return make_error(Errc::kInvalid, "map '" + spec_.name +
                                            "': lpm_trie file from an older bombus (no grace "
                                            "periods); recreate the map");
    if (A(th_->initialized).load(std::memory_order_acquire) != kInitMagic) {
      shm_lock(&th_->lock);
      if (th_->initialized != kInitMagic) {
        for (uint32_t i = 0; i < hdr_->n_slots; ++i) ring_[i] = FreeNode{i + 1, 0, 0};
        grace_init(*grace_);
        th_->free_head = 0;
        th_->free_tail = 0;
        th_->free_count = hdr_->n_slots;
        A(th_->initialized).store(kInitMagic, std::memory_order_release);
      }
      shm_unlock(&th_->lock);
    }
    return {};
  }

  static size_t nodes_offset(const map_layout::Header& h) {
    size_t ring = sizeof(FreeNode) * static_cast<size_t>(h.n_slots);
    return (sizeof(TrieHdr) + sizeof(GraceArea) + ring + 63) & ~size_t{63};
  }

  Node* node(uint32_t i) const {
    return reinterpret_cast<Node*>(nodes_ + static_cast<size_t>(i - 1) * hdr_->elem_size);
  }
  uint8_t* ndata(uint32_t i) const { return reinterpret_cast<uint8_t*>(node(i) + 1); }
  uint8_t* nvalue(uint32_t i) const { return ndata(i) + data_stride_; }

  // Leading bits equal between node i's data and `kdata`, capped at `limit`.
  uint32_t match_len(uint32_t i, const uint8_t* kdata, uint32_t limit) const {
    const uint8_t* nd = ndata(i);
    uint32_t bits = 0, off = 0;
    while (bits < limit) {
      uint32_t n = std::min<uint32_t>(8, data_size_ - off);
      uint64_t a = 0, b = 0;
      std::memcpy(&a, nd + off, n);
      std::memcpy(&b, kdata + off, n);
      uint64_t diff = __builtin_bswap64(a ^ b);
      if (diff) {
        bits += static_cast<uint32_t>(__builtin_clzll(diff));
        return std::min(bits, limit);
      }
      bits += 8 * n;
      off += n;
      if (off >= data_size_) break;
    }
    return std::min(bits, limit);
  }
  uint32_t match(uint32_t i, const uint8_t* key) const {
    uint32_t kplen;
    std::memcpy(&kplen, key, 4);
    uint32_t np = A(node(i)->prefixlen).load(std::memory_order_relaxed);
    return match_len(i, key + 4, std::min(np, kplen));
  }
  bool valid(uint32_t i) const { return i >= 1 && i <= hdr_->n_slots; }

  // ---- lookup (lock-free) ----
  // One walk; the caller validates it against the sequence counter.
  uint32_t walk_longest(const uint8_t* key, uint32_t kplen) const {
    uint32_t found = 0, steps = 0;
    for (uint32_t i = A(th_->root).load(std::memory_order_acquire);
         valid(i) && steps <= max_bits_ + 1; ++steps) {
      Node* n = node(i);
      uint32_t np = A(n->prefixlen).load(std::memory_order_relaxed);
      if (np > max_bits_) break;  // torn read; the sequence check retries
      uint32_t m = match_len(i, key + 4, std::min(np, kplen));
      if (m == max_bits_) return i;
      if (m < np) break;
      if (!(A(n->flags).load(std::memory_order_relaxed) & kIntermediate)) found = i;
      i = A(n->child[bit_at(key + 4, np)]).load(std::memory_order_acquire);
    }
    return found;
  }
  uint32_t read_begin() const {
    for (;;) {
      uint32_t s = A(th_->seq).load(std::memory_order_acquire);
      if (!(s & 1)) return s;
      __builtin_ia32_pause();
    }
  }
  bool read_ok(uint32_t s) const {
    std::atomic_thread_fence(std::memory_order_acquire);
    return A(th_->seq).load(std::memory_order_relaxed) == s;
  }
  uint32_t find_longest(const uint8_t* key) const {
    uint32_t kplen;
    std::memcpy(&kplen, key, 4);
    if (kplen > max_bits_) return 0;
    for (;;) {
      uint32_t s = read_begin();
      uint32_t found = walk_longest(key, kplen);
      if (read_ok(s)) return found;
    }
  }

  // The syscall's lookup copies the value inside the validated read, so it never returns a value
  // from a node reused after a concurrent delete (a program's pointer relies on the FIFO delay).
  long sys_lookup(const void* key, void* value, uint64_t flags) override {
    if (flags) return Map::sys_lookup(key, value, flags);
    if (spec_.flags & platform::kFWronly) return -1;
    const auto* k = static_cast<const uint8_t*>(key);
    uint32_t kplen;
    std::memcpy(&kplen, k, 4);
    if (kplen > max_bits_) return -2;
    for (;;) {
      uint32_t s = read_begin();
      uint32_t i = walk_longest(k, kplen);
      if (i) std::memcpy(value, nvalue(i), spec_.value_size);
      if (read_ok(s)) return i ? 0 : -2;
    }
  }

  // In a program run, the node stays until the run ends (read_section.h).
  void* lookup(const void* key) override {
    read_section_enter(*grace_);
    uint32_t i = find_longest(static_cast<const uint8_t*>(key));
    return i ? nvalue(i) : nullptr;
  }
  void* lookup_percpu(const void* key, uint32_t cpu) override {
    return cpu < hdr_->ncpus ? lookup(key) : nullptr;
  }

  // ---- writers (under th_->lock) ----
  // The oldest free node, once no reader can still hold it (0 otherwise).
  uint32_t alloc_node() {
    if (th_->free_count == 0) return 0;
    const FreeNode& f = ring_[th_->free_head];
    if (f.epoch != 0 && !grace_reclaimable(*grace_, f.epoch)) return 0;
    uint32_t i = f.node;
    th_->free_head = (th_->free_head + 1) % hdr_->n_slots;
    --th_->free_count;
    return i;
  }
  // `linked`: the node was reachable, so readers may hold it (else it is reusable at once).
  void free_node(uint32_t i, bool linked = true) {
    if (!i) return;
    ring_[th_->free_tail] = FreeNode{i, 0, linked ? grace_retire(*grace_) : 0};
    th_->free_tail = (th_->free_tail + 1) % hdr_->n_slots;
    ++th_->free_count;
  }
  void begin_change() { A(th_->seq).fetch_add(1, std::memory_order_acq_rel); }
  void end_change() { A(th_->seq).fetch_add(1, std::memory_order_release); }
  void set_link(uint32_t* link, uint32_t v) { A(*link).store(v, std::memory_order_release); }

  // Adds a real node (checks BPF_EXIST and max_entries); 0 or -errno.
  long check_add(uint64_t flags) {
    if (flags == platform::kExist) return -2;
    if (th_->n_entries >= spec_.max_entries) return -28;  // ENOSPC
    ++th_->n_entries;
    return 0;
  }

  long locked_update(const uint8_t* key, const void* value, uint64_t flags) {
    uint32_t kplen;
    std::memcpy(&kplen, key, 4);
    uint32_t nn = alloc_node();
    if (!nn) return -12;
    // Fill the new node completely while it is still unreachable.
    Node* n = node(nn);
    n->child[0] = n->child[1] = 0;
    n->prefixlen = kplen;
    n->flags = 0;
    std::memset(ndata(nn), 0, data_stride_);
    std::memcpy(ndata(nn), key + 4, data_size_);
    std::memset(nvalue(nn), 0, hdr_->value_stride);
    copy_value(nvalue(nn), value);

    uint32_t* slot = &th_->root;
    uint32_t cur = 0, m = 0;
    while ((cur = *slot) != 0) {
      m = match(cur, key);
      uint32_t np = node(cur)->prefixlen;
      if (np != m || np == kplen) break;
      slot = &node(cur)->child[bit_at(key + 4, np)];
    }
    long rc = 0;
    uint32_t to_free = 0;
    begin_change();
    if (!cur) {
      rc = check_add(flags);
      if (!rc) set_link(slot, nn);
    } else if (node(cur)->prefixlen == m) {
      // Same prefix: replace the node (an intermediate one becomes real).
      if (!(node(cur)->flags & kIntermediate)) {
        if (flags == platform::kNoExist) rc = -17;
      } else {
        rc = check_add(flags);
      }
      if (!rc) {
        n->child[0] = node(cur)->child[0];
        n->child[1] = node(cur)->child[1];
        set_link(slot, nn);
        to_free = cur;
      }
    } else if (!(rc = check_add(flags))) {
      if (m == kplen) {
        // The new prefix covers cur: it becomes cur's parent.
        n->child[bit_at(ndata(cur), m)] = cur;
        set_link(slot, nn);
      } else {
        uint32_t im = alloc_node();
        if (!im) {
          --th_->n_entries;
          rc = -12;
        } else {
          Node* in = node(im);
          in->prefixlen = m;
          in->flags = kIntermediate;
          std::memcpy(ndata(im), ndata(cur), data_stride_);
          uint32_t b = bit_at(key + 4, m);
          in->child[b] = nn;
          in->child[b ^ 1] = cur;
          set_link(slot, im);
        }
      }
    }
    end_change();
    if (rc) free_node(nn, false);
    free_node(to_free);
    return rc;
  }

  long update(const void* key, const void* value, uint64_t flags) override {
    if (flags > platform::kExist) return -22;
    uint32_t kplen;
    std::memcpy(&kplen, key, 4);
    if (kplen > max_bits_) return -22;
    shm_lock(&th_->lock);
    long rc = locked_update(static_cast<const uint8_t*>(key), value, flags);
    shm_unlock(&th_->lock);
    return rc;
  }

  long locked_remove(const uint8_t* key) {
    uint32_t kplen;
    std::memcpy(&kplen, key, 4);
    uint32_t* trim = &th_->root;
    uint32_t* trim2 = trim;
    uint32_t parent = 0, cur = 0, m = 0;
    while ((cur = *trim) != 0) {
      m = match(cur, key);
      uint32_t np = node(cur)->prefixlen;
      if (np != m || np == kplen) break;
      parent = cur;
      trim2 = trim;
      trim = &node(cur)->child[bit_at(key + 4, np)];
    }
    if (!cur || node(cur)->prefixlen != kplen || node(cur)->prefixlen != m ||
        (node(cur)->flags & kIntermediate))
      return -2;
    --th_->n_entries;
    Node* n = node(cur);
    begin_change();
    if (n->child[0] && n->child[1]) {
      A(n->flags).fetch_or(kIntermediate, std::memory_order_release);
      end_change();
      return 0;
    }
    if (parent && (node(parent)->flags & kIntermediate) && !n->child[0] && !n->child[1]) {
      Node* p = node(parent);
      set_link(trim2, p->child[0] == cur ? p->child[1] : p->child[0]);
      end_change();
      free_node(parent);
      free_node(cur);
      return 0;
    }
    set_link(trim, n->child[0] ? n->child[0] : n->child[1]);
    end_change();
    free_node(cur);
    return 0;
  }

  long remove(const void* key) override {
    uint32_t kplen;
    std::memcpy(&kplen, key, 4);
    if (kplen > max_bits_) return -22;
    shm_lock(&th_->lock);
    long rc = locked_remove(static_cast<const uint8_t*>(key));
    shm_unlock(&th_->lock);
    return rc;
  }

  void copy_key(uint32_t i, void* out) const {
    auto* o = static_cast<uint8_t*>(out);
    std::memcpy(o, &node(i)->prefixlen, 4);
    std::memcpy(o + 4, ndata(i), data_size_);
  }

  // First real node in post-order under `root` (intermediate nodes always have two children).
  uint32_t leftmost(uint32_t root) const {
    uint32_t found = 0;
    for (uint32_t i = root; i;) {
      Node* n = node(i);
      if (!(n->flags & kIntermediate)) {
        found = i;
        i = n->child[0] ? n->child[0] : n->child[1];
      } else {
        i = n->child[0];
      }
    }
    return found;
  }

  long locked_next(const uint8_t* key, void* next) {
    uint32_t root = th_->root;
    if (!root) return -2;
    uint32_t kplen = 0;
    if (key) std::memcpy(&kplen, key, 4);
    if (!key || kplen > max_bits_) {
      copy_key(leftmost(root), next);
      return 0;
    }
    std::vector<uint32_t> stack;
    stack.reserve(max_bits_ + 1);
    uint32_t cur = root, m = 0;
    while (cur) {
      stack.push_back(cur);
      m = match(cur, key);
      uint32_t np = node(cur)->prefixlen;
      if (np != m || np == kplen) break;
      cur = node(cur)->child[bit_at(key + 4, np)];
    }
    if (!cur || node(cur)->prefixlen != m || (node(cur)->flags & kIntermediate)) {
      copy_key(leftmost(root), next);
      return 0;
    }
    // Post-order successor: the right sibling subtree's first node, else the parent.
    uint32_t at = stack.back();
    for (size_t sp = stack.size() - 1; sp > 0; --sp) {
      Node* p = node(stack[sp - 1]);
      if (p->child[0] == at && p->child[1]) {
        copy_key(leftmost(p->child[1]), next);
        return 0;
      }
      if (!(p->flags & kIntermediate)) {
        copy_key(stack[sp - 1], next);
        return 0;
      }
      at = stack[sp - 1];
    }
    return -2;
  }

  long get_next_key(const void* key, void* next) override {
    shm_lock(&th_->lock);
    long rc = locked_next(static_cast<const uint8_t*>(key), next);
    shm_unlock(&th_->lock);
    return rc;
  }

  // User space may wait for the programs that hold the free nodes (-ENOMEM after kGraceWaitMs).
  long sys_update(const void* key, const void* value, uint64_t flags) override {
    if ((spec_.flags & platform::kFRdonly) || frozen()) return -1;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kGraceWaitMs);
    for (;;) {
      const long rc = update(key, value, flags);
      if (rc != -12 || current_run_state() != nullptr || std::chrono::steady_clock::now() > until)
        return rc;
      grace_reap_dead(*grace_);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  long for_each(const std::function<long(const void*, void*)>&) override { return -95; }

  std::vector<std::span<uint8_t>> value_regions() const override {
    return {std::span<uint8_t>(nodes_, static_cast<size_t>(hdr_->n_slots) * hdr_->elem_size)};
  }

 private:
  TrieHdr* th_ = nullptr;
  GraceArea* grace_ = nullptr;
  FreeNode* ring_ = nullptr;
  uint8_t* nodes_ = nullptr;
  uint32_t data_size_ = 0, max_bits_ = 0, data_stride_ = 0;
};

}  // namespace

TypeOps lpm_ops() {
  TypeOps ops;
  ops.make = [] { return std::unique_ptr<Map>(new LpmTrie()); };
  ops.layout = [](map_layout::Header& h) -> Result<size_t> {
    // max_entries real nodes need at most max_entries - 1 intermediate ones; an update holds
    // two more while it links them; the rest delays reuse of freed nodes.
    uint64_t slots = 2ULL * h.max_entries + std::max<uint64_t>(256, h.max_entries / 2);
    if (slots > 0x7fffffffULL) return make_error(Errc::kTooBig, "lpm_trie max_entries too large");
    h.n_buckets = 0;
    h.n_slots = static_cast<uint32_t>(slots);
    uint64_t elem = sizeof(Node) + round8(h.key_size - 4) + uint64_t{h.value_stride};
    if (elem > 0xffffffffULL) return make_error(Errc::kTooBig, "lpm_trie node too large");
    h.elem_size = static_cast<uint32_t>(elem);
    uint64_t bytes = LpmTrie::nodes_offset(h) + elem * slots;
    if (bytes > (1ULL << 36)) return make_error(Errc::kTooBig, "lpm_trie too large");
    return static_cast<size_t>(bytes);
  };
  return ops;
}

}  // namespace bombus::vm::maps_detail
