// State comparison (the pruning rule: an explored state covers the current one when every
// register and stack byte it relied on is at least as general, with ids mapped consistently) and
// the kernel-log rendering of registers and stack slots.
#include "verifier/state.h"

#include <cinttypes>
#include <cstdio>
#include <utility>

#include "verifier/btf_access.h"
#include "verifier/linked_scalars.h"

namespace bombus::verifier {
namespace {

// old id -> cur id must be a consistent mapping for the pruning argument to hold.
class IdMap {
 public:
  bool check(uint32_t old_id, uint32_t cur_id) {
    if (old_id == 0) return true;
    if (cur_id == 0) return false;
    for (auto& [o, c] : map_) {
      if (o == old_id) return c == cur_id;
      if (c == cur_id) return false;
    }
    map_.emplace_back(old_id, cur_id);
    return true;
  }

 private:
  std::vector<std::pair<uint32_t, uint32_t>> map_;
};

bool reg_subsumes(const Reg& o, const Reg& c, IdMap& ids) {
  if (o.type == RegType::kNotInit) return true;  // never read on any explored continuation
  if (o.type != c.type) return false;
  if (o.type == RegType::kScalar) {
    // A linked old scalar covers only a scalar linked the same way (the kernel's regsafe): the
    // same constant distance and a consistent id mapping. Unlinked, it covers linked ones too.
    if (o.id != 0 && ((o.id & kIdAddConst) != (c.id & kIdAddConst) || add_const(o) != add_const(c)))
      return false;
    return o.var.contains(c.var) && ids.check(base_id(o.id), base_id(c.id));
  }
  if (o.sock != c.sock) return false;
  if (o.maybe_null != c.maybe_null || o.off != c.off || o.map != c.map || o.frameno != c.frameno ||
      o.ringbuf != c.ringbuf || o.rdonly != c.rdonly || o.mem_size != c.mem_size ||
      o.subprog != c.subprog || o.btf_id != c.btf_id || o.btf_flags != c.btf_flags)
    return false;
  if (!o.var.contains(c.var)) return false;
  if (o.is_pkt() && o.range > c.range) return false;
  return ids.check(o.id, c.id) && ids.check(o.ref_obj_id, c.ref_obj_id);
}

// Byte k of the slot is known to hold zero because a spilled constant 0 covers it.
bool is_zero_spill(const StackSlot& s, int k) {
  return s.bytes[k] == SlotType::kSpill && s.spilled.type == RegType::kScalar &&
         s.spilled.var.is_const() && s.spilled.var.const_value() == 0;
}

// An 8-byte spilled scalar nothing made precise (dynamic precision) covers any 8-byte spilled
// scalar and any all-misc/zero slot: the kernel's imprecise spill rule.
bool loose_spill(const StackSlot& os, const StackSlot& cs) {
  if (os.spill_size() != 8 || os.spilled.type != RegType::kScalar) return false;
  if (cs.spill_size() == 8) return cs.spilled.type == RegType::kScalar;
  for (SlotType b : cs.bytes)
    if (b != SlotType::kMisc && b != SlotType::kZero) return false;
  return true;
}

// Slots holding only data marks (no iterator/dynptr object): the ones liveness may ignore.
bool plain_slot(const StackSlot& s) {
  for (SlotType b : s.bytes)
    if (static_cast<uint8_t>(b) > static_cast<uint8_t>(SlotType::kZero)) return false;
  return true;
}

bool stack_subsumes(const Frame& o, const Frame& c, IdMap& ids, uint64_t loose = 0,
                    uint64_t live = ~0ull) {
  static const StackSlot kEmpty{};
  for (size_t i = 0; i < o.stack.size(); ++i) {
    if (i < 64 && !((live >> i) & 1) && plain_slot(o.stack[i]) &&
        (i >= c.stack.size() || plain_slot(c.stack[i])))
      continue;  // no continuation reads this slot
    if (i < 64 && ((loose >> i) & 1) &&
        loose_spill(o.stack[i], i < c.stack.size() ? c.stack[i] : kEmpty))
      continue;
    const StackSlot& os = o.stack[i];
    const StackSlot& cs = i < c.stack.size() ? c.stack[i] : kEmpty;
    if (os.is_special()) {  // an iterator or dynptr: the same object in the same state
      if (cs.bytes != os.bytes || !reg_subsumes(os.spilled, cs.spilled, ids)) return false;
      continue;
    }
    if (os.is_spill()) {
      if (!cs.is_spill() || cs.spill_size() != os.spill_size() ||
          !reg_subsumes(os.spilled, cs.spilled, ids)) {
        // A spilled unknown scalar covers misc bytes too.
        if (!(os.spill_size() == 8 && os.spilled.type == RegType::kScalar &&
              os.spilled.var.is_unbounded() && cs.bytes[0] != SlotType::kInvalid &&
              !cs.is_spill() && !cs.is_special()))
          return false;
      }
      if (os.spill_size() == 8) continue;
    }
    for (int k = 0; k < 8; ++k) {
      SlotType ob = os.bytes[k], cb = cs.bytes[k];
      if (ob == SlotType::kInvalid || ob == SlotType::kSpill) continue;
      if (ob == SlotType::kMisc) {
        if (cb == SlotType::kMisc || cb == SlotType::kZero) continue;
        if (cb == SlotType::kSpill && cs.spilled.type == RegType::kScalar) continue;
        return false;
      }
      if (ob == SlotType::kZero) {
        if (cb == SlotType::kZero || is_zero_spill(cs, k)) continue;
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool state_subsumes(const State& o, const State& c, const std::vector<uint16_t>* precise) {
  if (!precise) return state_subsumes_masked(o, c, PruneMasks{});
  PruneMasks m;
  m.precise = *precise;
  return state_subsumes_masked(o, c, m);
}

bool state_subsumes_masked(const State& o, const State& c, const PruneMasks& m) {
  if (o.frames.size() != c.frames.size() || o.refs.size() != c.refs.size()) return false;
  if ((o.lock_id != 0) != (c.lock_id != 0) || o.lock_off != c.lock_off || o.lock_map != c.lock_map)
    return false;
  IdMap ids;
  for (size_t f = 0; f < o.frames.size(); ++f) {
    const Frame& of = o.frames[f];
    const Frame& cf = c.frames[f];
    if (of.callsite != cf.callsite || of.callback != cf.callback) return false;
    // Fewer callback rounds left in `old` than in `cur`: old's continuations do not cover cur's.
    if (of.callback_depth > cf.callback_depth) return false;
    const uint16_t mask = f < m.precise.size() ? m.precise[f] : 0xffff;
    const uint16_t live = f < m.live.size() ? m.live[f] : 0xffff;
    for (int r = 0; r < 11; ++r) {
      if (!(live & (1u << r))) continue;  // dead: no continuation reads it
      if (!(mask & (1u << r)) && of.regs[r].type == RegType::kScalar &&
          cf.regs[r].type == RegType::kScalar)
        continue;  // an imprecise scalar: any value is as good as any other
      if (!reg_subsumes(of.regs[r], cf.regs[r], ids)) return false;
    }
    if (!stack_subsumes(of, cf, ids, f < m.loose_slots.size() ? m.loose_slots[f] : 0,
                        f < m.live_slots.size() ? m.live_slots[f] : ~0ull))
      return false;
  }
  for (size_t i = 0; i < o.refs.size(); ++i)
    if (!ids.check(o.refs[i].id, c.refs[i].id)) return false;
  // The held lock must be the same object up to the id mapping the registers established.
  return ids.check(o.lock_id, c.lock_id);
}

bool state_equal(const State& a, const State& b, const std::vector<uint16_t>* precise) {
  return state_subsumes(a, b, precise) && state_subsumes(b, a, precise);
}

// Socket pointers in the kernel's spelling ("sock_common_or_null", "tcp_sock", ...).
static const char* sock_type_name(const Reg& r) {
  static const char* const kNames[][2] = {{"ptr_", "ptr_or_null_"},
                                          {"sock_common", "sock_common_or_null"},
                                          {"sock", "sock_or_null"},
                                          {"tcp_sock", "tcp_sock_or_null"},
                                          {"xdp_sock", "xdp_sock_or_null"}};
  return kNames[static_cast<int>(r.sock)][r.maybe_null ? 1 : 0];
}

const char* reg_type_name(const Reg& r) {
  switch (r.type) {
    case RegType::kNotInit:
      return "?";
    case RegType::kScalar:
      return "scalar";
    case RegType::kCtx:
      return r.maybe_null ? "ctx_or_null" : "ctx";
    case RegType::kConstMapPtr:
      return r.maybe_null ? "map_ptr_or_null" : "map_ptr";
    case RegType::kMapValue:
      return r.maybe_null ? "map_value_or_null" : "map_value";
    case RegType::kMapKey:
      return "map_key";
    case RegType::kStack:
      return "fp";
    case RegType::kPacket:
      return "pkt";
    case RegType::kPacketMeta:
      return "pkt_meta";
    case RegType::kPacketEnd:
      return "pkt_end";
    case RegType::kMem:
      if (r.ringbuf) return r.maybe_null ? "ringbuf_mem_or_null" : "ringbuf_mem";
      return r.maybe_null ? "mem_or_null" : (r.rdonly ? "rdonly_mem" : "mem");
    case RegType::kFunc:
      return "func";
    case RegType::kBtfId:
      if (r.sock != SockKind::kNone) return sock_type_name(r);
      return btf_reg_type_name(r);
    case RegType::kIter:
      return r.maybe_null ? "iter_drained" : "iter";
    case RegType::kDynptr:
      return r.map == 3 ? "dynptr_ptr" : "dynptr";  // 3: the drain callback's const pointer
  }
  return "?";
}

std::string reg_str(const Reg& r) {
  char buf[64];
  if (r.type == RegType::kScalar) {
    if (r.var.is_const()) {
      std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(r.var.const_value()));
      return buf;
    }
    std::string s = "scalar(";
    if (r.id) {
      s += "id=" + std::to_string(base_id(r.id));
      if (r.id & kIdAddConst) s += (r.off >= 0 ? "+" : "") + std::to_string(r.off);
      if (!r.var.is_unbounded()) s += ',';
    }
    return s + r.var.bounds_str() + ")";
  }
  if (r.type == RegType::kStack && r.var.is_const() && r.var.const_value() == 0) {
    std::snprintf(buf, sizeof buf, "fp%d", r.off);
    return buf;
  }
  std::string s = reg_type_name(r);
  if (r.type == RegType::kBtfId) s += btf_reg_struct_name(r);
  s += '(';
  std::string inner;
  auto add = [&](const std::string& x) {
    if (!inner.empty()) inner += ',';
    inner += x;
  };
  if (r.id) add("id=" + std::to_string(r.id));
  if (r.ref_obj_id) add("ref_obj_id=" + std::to_string(r.ref_obj_id));
  if (r.off) add("off=" + std::to_string(r.off));
  if (r.is_pkt()) add("r=" + std::to_string(r.range));
  if (r.mem_size && r.type == RegType::kMem) add("sz=" + std::to_string(r.mem_size));
  if (!r.var.is_const() || r.var.const_value() != 0) {
    std::string b = r.var.bounds_str();
    if (!b.empty()) add(b);
  }
  return s + inner + ')';
}

std::string state_str(const State& s, bool only_frame_top) {
  std::string out;
  size_t first = only_frame_top ? s.frames.size() - 1 : 0;
  for (size_t f = first; f < s.frames.size(); ++f) {
    const Frame& fr = s.frames[f];
    if (s.frames.size() > 1)
      out += (out.empty() ? "" : " ") + std::string("frame") + std::to_string(f) + ":";
    for (int r = 0; r < 11; ++r) {
      if (fr.regs[r].type == RegType::kNotInit) continue;
      if (!out.empty()) out += ' ';
      out += "R" + std::to_string(r) + "=" + reg_str(fr.regs[r]);
    }
    for (size_t i = 0; i < fr.stack.size(); ++i) {
      const StackSlot& sl = fr.stack[i];
      if (sl.bytes == std::array<SlotType, 8>{}) continue;
      out += " fp-" + std::to_string((i + 1) * 8) + "=";
      if (sl.is_spill() || sl.is_special()) {
        out += reg_str(sl.spilled);
        continue;
      }
      for (int k = 7; k >= 0; --k) {
        switch (sl.bytes[k]) {
          case SlotType::kInvalid:
            out += '?';
            break;
          case SlotType::kMisc:
            out += 'm';
            break;
          case SlotType::kZero:
            out += '0';
            break;
          case SlotType::kSpill:
            out += 'r';
            break;
          case SlotType::kIter:
          case SlotType::kDynptr:
            out += 'x';  // a byte of a special object whose first byte was overwritten
            break;
        }
      }
    }
  }
  if (!s.refs.empty()) {
    out += " refs=";
    for (size_t i = 0; i < s.refs.size(); ++i) out += (i ? "," : "") + std::to_string(s.refs[i].id);
  }
  return out;
}

}  // namespace bombus::verifier
