// Calls: helper calls checked against the platform's prototypes (argument types, memory/size
// pairs, map compatibility, GPL-only helpers, references acquired and released, spin locks,
// packet-pointer invalidation), bpf-to-bpf calls (new frame), and callbacks (bpf_loop,
// for_each_map_elem, timers) explored as functions called from the helper's call site.
#include <cstdio>

#include "verifier/btf_access.h"
#include "verifier/check_sock.h"
#include "verifier/engine.h"

namespace bombus::verifier {

using isa::Insn;
using platform::ArgType;
using platform::RetType;

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

constexpr int kHelperTailCall = 12, kHelperGetLocalStorage = 81, kHelperSpinLock = 93,
              kHelperSpinUnlock = 94, kHelperForEachMapElem = 164, kHelperTimerSetCallback = 170,
              kHelperLoop = 181;

bool is_null_const(const Reg& r) {
  return r.type == RegType::kScalar && r.var.is_const() && r.var.const_value() == 0;
}

const char* kMemTypes =
    "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";
const char* kSockTypes = "sock_common, sock, tcp_sock, xdp_sock";

bool is_sock_map(const MapInfo& m) {
  return m.type == platform::MapType::kSockmap || m.type == platform::MapType::kSockhash;
}

// Helpers whose integer result is a byte count bounded by their size argument, or -errno:
// get_stack, probe_read_str, probe_read_user_str, probe_read_kernel_str, get_task_stack.
bool returns_len_or_errno(int32_t id) {
  return id == 67 || id == 45 || id == 114 || id == 115 || id == 141;
}
constexpr int32_t kMaxErrno = 4095;

}  // namespace

void Engine::clear_pkt_pointers() {
  for (auto& fr : st_.frames) {
    for (auto& r : fr.regs)
      if (r.is_pkt() || r.type == RegType::kPacketEnd) r = Reg::unknown();
    for (auto& sl : fr.stack)
      if (sl.is_spill() && (sl.spilled.is_pkt() || sl.spilled.type == RegType::kPacketEnd))
        sl.spilled = Reg::unknown();
  }
}

void Engine::release_ref(uint32_t ref) {
  for (size_t i = 0; i < st_.refs.size(); ++i)
    if (st_.refs[i].id == ref) {
      st_.refs.erase(st_.refs.begin() + i);
      break;
    }
  // Every copy of the released pointer becomes unusable.
  for (auto& fr : st_.frames) {
    for (auto& r : fr.regs)
      if (r.ref_obj_id == ref) r = Reg::unknown();
    for (auto& sl : fr.stack)
      if (sl.is_spill() && sl.spilled.ref_obj_id == ref) sl.spilled = Reg::unknown();
  }
}

bool Engine::check_helper_mem(int regno, uint64_t size, bool write, bool zero_ok) {
  const Reg ptr = reg(regno);
  if (zero_ok && size == 0 && is_null_const(ptr)) return true;
  // A zero-sized access through a real pointer still needs the pointer in bounds (the kernel
  // checks it too); the per-type checks below handle size 0.
  if (size >= (1ull << 29)) return fail(fmt("R%d unbounded memory access", regno));
  const int sz = static_cast<int>(size);
  switch (ptr.type) {
    case RegType::kStack: {
      if (ptr.var.is_const()) {
        int64_t t = ptr.off + static_cast<int64_t>(ptr.var.const_value());
        if (t < -isa::kStackSize || t + sz > 0)
          return fail(fmt("invalid indirect access to stack R%d off=%d size=%d", regno,
                          static_cast<int>(t), sz));
        Frame& fr = st_.frames[ptr.frameno];
        max_stack_[fr.subprog] = std::max(max_stack_[fr.subprog], static_cast<int32_t>(-t));
        for (int64_t a = t; a < t + sz; ++a) {
          int i = static_cast<int>((-a - 1) / 8), k = static_cast<int>(a + (i + 1) * 8);
          StackSlot& sl = fr.slot(i);
          if (write) {
            if (sl.is_spill()) sl.scrub_spill();
            sl.bytes[k] = SlotType::kMisc;
          } else if (sl.bytes[k] == SlotType::kInvalid && !opts_.allow_uninit_stack) {
            return fail(fmt("invalid read from stack R%d off %d+%d size %d", regno,
                            static_cast<int>(t), static_cast<int>(a - t), sz),
                        "the helper reads this stack buffer; initialise all of it first");
          }
        }
        return true;
      }
      Reg probe = ptr;
      return check_stack_access(probe, regno, 0, 1, write, -1, nullptr, false) &&
             (ptr.off + ptr.var.smax + sz <= 0
                  ? true
                  : fail(fmt("invalid variable-offset indirect access to stack R%d", regno)));
    }
    case RegType::kPacket:
    case RegType::kPacketMeta:
    case RegType::kMapValue:
    case RegType::kMapKey:
    case RegType::kMem:
      if (ptr.maybe_null) break;
      return check_mem_access(regno, 0, sz, write, -1, false);
    default:
      break;
  }
  return fail(fmt("R%d type=%s expected=%s", regno, reg_type_name(ptr), kMemTypes));
}

// The lock identity of a map value that has no id (a global's value, reached through lddw).
constexpr uint32_t kLockNoId = 0xffffffff;

bool Engine::setup_callback(int target, int kind, const Reg args[5], bool async) {
  if (target < 0 || target >= static_cast<int>(prog_.insns.size()) || cfg_.subprog_of[target] < 0 ||
      cfg_.subprog_starts[cfg_.subprog_of[target]] != static_cast<uint32_t>(target))
    return fail("callback target is not the start of a function");
  if (st_.frames.size() >= static_cast<size_t>(isa::kMaxCallFrames))
    return fail(
        fmt("the call stack of %d frames is too deep !", static_cast<int>(st_.frames.size()) + 1));
  State cb = st_;
  Frame f;
  for (int r = 1; r <= 5; ++r) f.regs[r] = args[r - 1];
  f.regs[10] = Reg::pointer(RegType::kStack);
  f.regs[10].frameno = static_cast<int8_t>(cb.frames.size());
  f.callsite = pc_;
  f.subprog = cfg_.subprog_of[target];
  f.callback = true;
  f.async = async;
  f.ret_min = 0;
  f.ret_max = async ? 0 : 1;
  (void)kind;
  int caller = st_.cur().subprog;
  call_edges_[caller].push_back(f.subprog);
  // The callback's path counts one more round; the path that goes on past the call starts over.
  ++cb.frames.back().callback_depth;
  st_.cur().callback_depth = 0;
  cb.frames.push_back(std::move(f));
  push_branch(std::move(cb), target);
  return true;
}

bool Engine::do_helper_call(const Insn& insn) {
  const int id = insn.imm;
  const platform::HelperProto* p = platform::helper_proto(id);
  if (!p || p->name.empty() ||
      !platform::helper_allowed(prog_.type, id, prog_.expected_attach_type)) {
    std::string name = p && !p->name.empty() ? "bpf_" + std::string(p->name) : "unknown";
    return fail(fmt("program of this type cannot use helper %s#%d", name.c_str(), id),
                "this helper does not exist or is not available to this program type");
  }
  const std::string fname = "bpf_" + std::string(p->name) + "#" + std::to_string(id);
  if (!p->known)
    return fail(fmt("helper %s is not supported by bombus", fname.c_str()),
                "the kernel offers this helper to this program type, but bombus has no "
                "prototype for it yet");
  if (p->gpl_only() && !prog_.gpl)
    return fail("cannot call GPL-restricted function from non-GPL compatible program",
                "declare a GPL-compatible license: char LICENSE[] SEC(\"license\") = \"GPL\";");
  if (st_.lock_id && id != kHelperSpinUnlock)
    return fail("function calls are not allowed while holding a lock",
                "release the spin lock before calling helpers");

  int map = -1;
  int mem_reg = -1;
  bool mem_write = false;
  int func_target = -1;
  uint32_t release = 0;
  uint32_t cast_ref = 0;  // kPtrCast: the reference arg 1 belongs to
  uint64_t alloc_size = 0;
  uint64_t msize_max = 0;  // the largest size a kConstSize argument allows
  for (int i = 0; i < 5; ++i) {
    ArgType at = p->args[i];
    if (at == ArgType::kNone) break;
    const int rn = i + 1;
    if (!check_reg_read(rn)) return false;
    Reg& r = reg(rn);
    auto expect = [&](const char* want) {
      return fail(fmt("R%d type=%s expected=%s", rn, reg_type_name(r), want));
    };
    // Packet memory only goes to helpers made for it (the kernel's per-helper pkt_access).
    if (r.is_pkt() && !(p->flags & platform::kPktAccess))
      return fail("helper access to the packet is not allowed",
                  "copy the bytes to the stack first, or use a helper that takes packet data");
    // A sockmap/sockhash value is a socket (the kernel's resolve_map_arg_type).
    if (at == ArgType::kPtrToMapValue && map >= 0 && is_sock_map(prog_.maps[map]))
      at = ArgType::kPtrToBtfIdSockCommon;
    switch (at) {
      case ArgType::kNone:
      case ArgType::kAnything:
        break;
      case ArgType::kConstMapPtr: {
        if (r.type != RegType::kConstMapPtr || r.maybe_null) return expect("map_ptr");
        map = r.map;
        const MapInfo* m = map_of(r);
        if (!m) return fail("invalid map reference");
        if (!platform::helper_accepts_map(id, m->type, prog_.type))
          return fail(fmt("cannot pass map_type %u into func %s", static_cast<uint32_t>(m->type),
                          fname.c_str()));
        break;
      }
      case ArgType::kPtrToMapKey:
      case ArgType::kPtrToMapValue:
      case ArgType::kPtrToUninitMapValue:
      case ArgType::kPtrToMapValueOrNull: {
        if (map < 0) return fail("invalid map_ptr to access map->key");
        if (at == ArgType::kPtrToMapValueOrNull && is_null_const(r)) break;
        const MapInfo& m = prog_.maps[map];
        uint32_t sz = at == ArgType::kPtrToMapKey ? m.key_size : m.value_size;
        if (!check_helper_mem(rn, sz, at == ArgType::kPtrToUninitMapValue, false)) return false;
        break;
      }
      case ArgType::kPtrToMem:
      case ArgType::kPtrToMemOrNull:
      case ArgType::kPtrToUninitMem:
        if (at == ArgType::kPtrToMemOrNull && is_null_const(r)) {
          mem_reg = -2;  // NULL: the size must be zero
          break;
        }
        if (r.type == RegType::kScalar || r.type == RegType::kCtx ||
            r.type == RegType::kConstMapPtr || r.type == RegType::kPacketEnd ||
            r.type == RegType::kFunc || r.maybe_null)
          return expect(kMemTypes);
        mem_reg = rn;
        mem_write = at == ArgType::kPtrToUninitMem;
        break;
      case ArgType::kConstSize:
      case ArgType::kConstSizeOrZero: {
        if (r.type != RegType::kScalar) return expect("scalar");
        const Scalar& v = r.var;
        if (v.smin < 0)
          return fail(fmt("R%d min value is negative, either use unsigned or 'var &= const'", rn),
                      "the size argument can be negative; bound it with an unsigned check");
        if (v.umax == 0 && at == ArgType::kConstSize && mem_reg != -2)
          return fail(fmt("R%d invalid zero-sized read: u64=[%lld,%lld]", rn,
                          static_cast<long long>(v.umin), static_cast<long long>(v.umax)));
        if (v.umin == 0 && at == ArgType::kConstSize && mem_reg > 0)
          return fail(fmt("R%d invalid zero-sized read: u64=[%lld,%lld]", rn,
                          static_cast<long long>(v.umin), static_cast<long long>(v.umax)));
        if (v.umax >= (1ull << 29))
          return fail(
              fmt("R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", rn),
              "bound the size argument before the call");
        msize_max = v.umax;
        if (mem_reg == -2) {
          if (v.umax != 0) return fail(fmt("R%d type=scalar expected=%s", rn - 1, kMemTypes));
        } else if (mem_reg > 0) {
          if (!check_helper_mem(mem_reg, v.umax, mem_write, at == ArgType::kConstSizeOrZero))
            return false;
        }
        mem_reg = -1;
        break;
      }
      case ArgType::kPtrToCtx:
      case ArgType::kPtrToCtxOrNull:
        if (at == ArgType::kPtrToCtxOrNull && is_null_const(r)) break;
        if (r.type != RegType::kCtx) return expect("ctx");
        if (r.off != 0 || !r.var.is_const() || r.var.const_value() != 0)
          return fail(fmt("dereference of modified ctx ptr R%d off=%d disallowed", rn, r.off));
        break;
      case ArgType::kPtrToStackOrNull:
        if (is_null_const(r)) break;
        if (r.type != RegType::kStack) return expect("fp");
        break;
      case ArgType::kPtrToFunc:
        if (r.type != RegType::kFunc) return expect("func");
        func_target = r.subprog;
        break;
      case ArgType::kPtrToSpinLock:
      case ArgType::kPtrToTimer: {
        bool lock = at == ArgType::kPtrToSpinLock;
        if (r.type != RegType::kMapValue || r.maybe_null) return expect("map_value");
        if (!r.var.is_const())
          return fail(fmt("R%d doesn't have constant offset. %s has to be at the constant offset",
                          rn, lock ? "bpf_spin_lock" : "bpf_timer"));
        const MapInfo* m = map_of(r);
        int want = lock ? m->spin_lock_off : m->timer_off;
        int at_off = r.off + static_cast<int>(r.var.const_value());
        if (want < 0)
          return fail(fmt("map '%s' has no valid %s", m->name.c_str(),
                          lock ? "bpf_spin_lock" : "bpf_timer"));
        if (at_off != want)
          return fail(fmt("off %d doesn't point to 'struct %s' that is at %d", at_off,
                          lock ? "bpf_spin_lock" : "bpf_timer", want));
        if (lock) {
          if (id == kHelperSpinLock) {
            if (st_.lock_id) return fail("Locking two bpf_spin_locks are not allowed");
            st_.lock_id = r.id ? r.id : kLockNoId;
            st_.lock_map = r.map;
            st_.lock_off = at_off;
          } else {
            if (!st_.lock_id) return fail("bpf_spin_unlock without taking a lock");
            if (st_.lock_map != r.map || st_.lock_off != at_off ||
                st_.lock_id != (r.id ? r.id : kLockNoId))
              return fail("bpf_spin_unlock of different lock");
            st_.lock_id = 0;
            st_.lock_map = -1;
            st_.lock_off = 0;
          }
        } else {
          map = r.map;  // the timer callback receives this map's key and value
        }
        break;
      }
      case ArgType::kPtrToInt:
      case ArgType::kPtrToLong: {
        const int sz = at == ArgType::kPtrToInt ? 4 : 8;
        if (!check_helper_mem(rn, sz, true, false)) return false;
        // The kernel's check_ptr_alignment(strict): the int/long itself must be aligned.
        const uint64_t low = static_cast<uint64_t>(sz - 1);
        const uint64_t fixed = static_cast<uint64_t>(static_cast<int64_t>(r.off));
        if (!r.is_pkt() &&
            (((r.var.var.value + fixed) & low) != 0 || (r.var.var.mask & low) != 0)) {
          const char* what = r.type == RegType::kStack      ? "stack "
                             : r.type == RegType::kMapValue ? "value "
                             : r.type == RegType::kMapKey   ? "key "
                                                            : "";
          std::string var =
              r.var.var.is_const() ? std::to_string(r.var.var.value) : r.var.var.str();
          return fail(
              fmt("misaligned %saccess off %s+%d+%d size %d", what, var.c_str(), r.off, 0, sz),
              "pass a pointer to a naturally aligned int/long (e.g. a whole stack slot)");
        }
        break;
      }
      case ArgType::kPtrToConstStr:
        if (r.type != RegType::kMapValue || r.maybe_null) return expect("map_value");
        break;
      case ArgType::kPtrToAllocMem:
        if (r.type != RegType::kMem || !r.ringbuf || r.maybe_null) return expect("ringbuf_mem");
        if (r.ref_obj_id == 0)
          return fail(fmt("R%d must be referenced when passed to release function", rn));
        if (r.off != 0 || !r.var.is_const() || r.var.const_value() != 0)
          return fail(fmt("R%d must have zero offset when passed to release func", rn));
        release = r.ref_obj_id;
        break;
      case ArgType::kConstAllocSizeOrZero:
        if (r.type != RegType::kScalar || !r.var.is_const())
          return fail(fmt("R%d is not a known constant'", rn));
        alloc_size = r.var.const_value();
        break;
      case ArgType::kPtrToDynptr:
      case ArgType::kPtrToBtfId:
        if (r.type != RegType::kBtfId || r.maybe_null) return expect("ptr_");
        break;
      case ArgType::kPtrToSockCommon:
      case ArgType::kPtrToBtfIdSockCommon:
        // Socket pointers are BTF-id pointers here (skb->sk, lookups, casts), never NULL.
        if (r.type != RegType::kBtfId || r.maybe_null) return expect(kSockTypes);
        // ARG_PTR_TO_SOCK_COMMON takes only socket pointers, not BTF-typed ones (skc_to_*).
        if (at == ArgType::kPtrToSockCommon && r.sock == SockKind::kNone) return expect(kSockTypes);
        if (p->flags & platform::kReleasesRef) {
          if (r.ref_obj_id == 0)
            return fail(fmt("R%d must be referenced when passed to release function", rn));
          release = r.ref_obj_id;
        }
        if (i == 0 && (p->flags & platform::kPtrCast)) cast_ref = r.ref_obj_id;
        break;
    }
  }
  if (release) release_ref(release);

  // Callbacks run with their own frame, explored from the call site.
  if (func_target >= 0) {
    Reg args[5];
    bool async = false;
    if (id == kHelperLoop) {
      // nr_loops (r1) bounds the rounds: at the limit the callback is not entered again
      // (the kernel marks r1 precise for this, as states with other counts must differ).
      mark_precise(1);
      if (st_.cur().callback_depth >= reg(1).var.umax) {
        st_.cur().callback_depth = 0;
        func_target = -1;
      }
      args[0] = Reg::unknown();
      args[0].var = Scalar::unknown_bytes(4);
      args[1] = reg(3);
    } else if (id == kHelperForEachMapElem || id == kHelperTimerSetCallback) {
      const MapInfo* m = map < 0 ? nullptr : &prog_.maps[map];
      args[0] = Reg::pointer(RegType::kConstMapPtr);
      args[0].map = map;
      args[1] = Reg::pointer(RegType::kMapKey);
      args[1].map = map;
      args[2] = Reg::pointer(RegType::kMapValue);
      args[2].map = map;
      if (id == kHelperForEachMapElem) args[3] = reg(3);
      async = id == kHelperTimerSetCallback;
      (void)m;
    } else {
      for (int i = 0; i < 5; ++i) args[i] = Reg::unknown();
    }
    if (func_target >= 0 && !setup_callback(func_target, id, args, async)) return false;
  }

  // get_local_storage's flags must be a known zero (the kernel's register_is_null).
  if (id == kHelperGetLocalStorage &&
      !(reg(2).type == RegType::kScalar && reg(2).var.is_const() && reg(2).var.const_value() == 0))
    return fail("get_local_storage() doesn't support non-zero flags");
  if (id == kHelperTailCall) {
    const int sub = st_.cur().subprog;
    for (const FuncInfo& f : prog_.funcs)
      if (sub > 0 && f.insn == cfg_.subprog_starts[sub] && !f.returns_scalar)
        return fail("tail_call is only allowed in functions that return 'int'.");
  }
  if (id == kHelperTailCall && !st_.refs.empty())
    return fail("tail_call would lead to reference leak");

  for (int r = 1; r <= 5; ++r) reg(r) = Reg{};
  Reg& r0 = reg(0);
  switch (p->ret) {
    case RetType::kInteger:
      r0 = Reg::unknown();
      if (returns_len_or_errno(id)) {
        // A length up to the buffer's size or a negative errno (do_refine_retval_range).
        Scalar& v = r0.var;
        v.smin = v.s32_min = -kMaxErrno;
        v.smax = static_cast<int64_t>(msize_max);
        v.s32_max = static_cast<int32_t>(std::min<uint64_t>(msize_max, INT32_MAX));
        v.sync();
      }
      break;
    case RetType::kVoid:
      r0 = Reg{};
      break;
    case RetType::kPtrToMapValue:
    case RetType::kPtrToMapValueOrNull: {
      if (map < 0) return fail("kernel subsystem misconfigured verifier");
      const MapInfo& m = prog_.maps[map];
      if (is_sock_map(m)) {  // a socket, referenced (the kernel's is_acquire_function)
        r0 = Reg::pointer(RegType::kBtfId);
        r0.sock = SockKind::kSock;
        r0.maybe_null = true;
        r0.id = r0.ref_obj_id = new_id();
        st_.refs.push_back(RefState{r0.id, pc_});
        break;
      }
      if ((m.type == platform::MapType::kArrayOfMaps || m.type == platform::MapType::kHashOfMaps) &&
          m.inner_map >= 0) {
        r0 = Reg::pointer(RegType::kConstMapPtr);
        r0.map = m.inner_map;
      } else {
        r0 = Reg::pointer(RegType::kMapValue);
        r0.map = map;
      }
      if (p->ret == RetType::kPtrToMapValueOrNull) {
        r0.maybe_null = true;
        r0.id = new_id();
      }
      break;
    }
    case RetType::kPtrToAllocMemOrNull: {
      r0 = Reg::pointer(RegType::kMem);
      r0.ringbuf = true;
      r0.maybe_null = true;
      r0.mem_size = static_cast<uint32_t>(alloc_size);
      r0.id = new_id();
      if (p->flags & platform::kAcquiresRef) {
        r0.ref_obj_id = r0.id;
        st_.refs.push_back(RefState{r0.id, pc_});
      }
      break;
    }
    case RetType::kPtrToBtfIdOrNull:
    case RetType::kPtrToMemOrBtfId:
    case RetType::kPtrToSocketOrNull:
    case RetType::kPtrToTcpSockOrNull:
    case RetType::kPtrToSockCommonOrNull:
    case RetType::kPtrToBtfIdTrusted:
      r0 = Reg::pointer(RegType::kBtfId);
      r0.sock = sock_kind_of_ret(p->ret);
      r0.maybe_null = p->ret != RetType::kPtrToMemOrBtfId && p->ret != RetType::kPtrToBtfIdTrusted;
      type_helper_btf_ret(id, r0);  // btf_access.cc: the struct r0 points to
      if (r0.maybe_null) r0.id = new_id();
      if (p->flags & platform::kAcquiresRef) {
        r0.ref_obj_id = r0.id;
        st_.refs.push_back(RefState{r0.id, pc_});
      } else if (p->flags & platform::kPtrCast) {
        r0.ref_obj_id = cast_ref;  // the same object: releasing either releases both
      }
      break;
  }
  // A tail call made inside a subprogram returns to that subprogram's caller once the target
  // program finishes, and the target may have changed the packet: the kernel (6.13+) treats
  // every tail call like a packet-changing helper.
  constexpr int kTailCall = 12;
  if (p->changes_pkt_data() || id == kTailCall) clear_pkt_pointers();
  return true;
}

bool Engine::do_subprog_call(const Insn& insn) {
  const int target = pc_ + insn.imm + 1;
  if (st_.lock_id) return fail("function calls are not allowed while holding a lock");
  if (st_.frames.size() >= static_cast<size_t>(isa::kMaxCallFrames))
    return fail(
        fmt("the call stack of %d frames is too deep !", static_cast<int>(st_.frames.size()) + 1),
        "bpf-to-bpf calls may nest at most 8 deep");
  const int callee = cfg_.subprog_of[target];
  for (const auto& fr : st_.frames)
    if (fr.subprog == callee)
      return fail(fmt("recursive call from insn %d to insn %d", pc_, target),
                  "eBPF functions may not call themselves, directly or indirectly");
  Frame f;
  for (int r = 1; r <= 5; ++r) f.regs[r] = reg(r);
  f.regs[10] = Reg::pointer(RegType::kStack);
  f.regs[10].frameno = static_cast<int8_t>(st_.frames.size());
  f.callsite = pc_;
  f.subprog = callee;
  call_edges_[st_.cur().subprog].push_back(callee);
  st_.frames.push_back(std::move(f));
  pc_ = target;
  jumped_ = true;
  return true;
}

}  // namespace bombus::verifier
