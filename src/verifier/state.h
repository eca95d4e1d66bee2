// Abstract machine state in the kernel's model: typed registers (scalars with bounds, pointers
// with fixed + variable offset, id, range, nullability), stack slots per call frame (spilled
// registers and per-byte misc/zero/invalid marks), acquired references and the held spin lock.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "verifier/scalar.h"

namespace bombus::verifier {

enum class RegType : uint8_t {
  kNotInit,
  kScalar,
  kCtx,
  kConstMapPtr,
  kMapValue,
  kMapKey,
  kStack,
  kPacket,
  kPacketMeta,
  kPacketEnd,
  kMem,
  kFunc,
  kBtfId,
  // Only as the description of a special stack object (StackSlot::spilled of kIter / kDynptr
  // slots): map = iterator kind or dynptr type, off = slot index within the object, maybe_null =
  // iterator drained, ref_obj_id = the reference it holds, id = dynptr identity.
  kIter,
  kDynptr,
};

// kBtfId pointers to sockets: the kernel's PTR_TO_SOCK_COMMON / SOCKET / TCP_SOCK / XDP_SOCK, whose
// fields are read by the socket tables (check_sock.h). kNone: any other BTF-typed pointer.
enum class SockKind : uint8_t { kNone, kSockCommon, kSock, kTcpSock, kXdpSock };

struct Reg {
  RegType type = RegType::kNotInit;
  SockKind sock = SockKind::kNone;  // kBtfId only
  bool maybe_null = false;
  bool ringbuf = false;  // kMem from ringbuf_reserve
  bool rdonly = false;
  int8_t frameno = 0;       // kStack: whose frame
  int32_t off = 0;          // pointers: fixed offset
  Scalar var;               // scalar value, or the pointer's variable offset
  uint32_t id = 0;          // null-check / packet-range / linked-scalar identity
  uint32_t ref_obj_id = 0;  // acquired reference this pointer belongs to
  int32_t range = 0;        // packet: bytes past the pointer known to be before data_end
  int32_t map = -1;         // map index for map pointers, keys and values
  uint32_t mem_size = 0;    // kMem: size of the region
  int32_t subprog = -1;     // kFunc: target insn
  uint32_t btf_id = 0;      // kBtfId: the pointee's type id in the kernel's BTF (0: see mem_size)
  uint8_t btf_flags = 0;    // kBtfId: kBtfTrusted / kBtfUntrusted (verifier/btf_access.h)

  bool is_pointer() const { return type != RegType::kNotInit && type != RegType::kScalar; }
  bool is_pkt() const { return type == RegType::kPacket || type == RegType::kPacketMeta; }
  static Reg scalar(const Scalar& s) {
    Reg r;
    r.type = RegType::kScalar;
    r.var = s;
    return r;
  }
  static Reg unknown() { return scalar(Scalar::unknown()); }
  static Reg constant(uint64_t v) { return scalar(Scalar::constant(v)); }
  static Reg pointer(RegType t) {
    Reg r;
    r.type = t;
    r.var = Scalar::constant(0);
    return r;
  }
};

// kIter / kDynptr: bytes of an open-coded iterator or a dynptr on the stack (verifier/iter.h,
// verifier/dynptr.h), described by StackSlot::spilled; not readable as data.
enum class SlotType : uint8_t { kInvalid, kSpill, kMisc, kZero, kIter, kDynptr };

// A spill covers bytes [0, spill_size()) of the slot (the low-address end, where a little-endian
// value's low bytes are); narrower than 8 only for scalars, like the kernel's narrow spills.
struct StackSlot {                  // 8 bytes at [-(i+1)*8, -i*8) of a frame
  std::array<SlotType, 8> bytes{};  // byte k is at offset -(i+1)*8 + k
  Reg spilled;                      // valid when bytes[0] is kSpill
  bool is_spill() const { return bytes[0] == SlotType::kSpill; }
  bool is_special() const { return bytes[0] == SlotType::kIter || bytes[0] == SlotType::kDynptr; }
  int spill_size() const {
    int n = 0;
    while (n < 8 && bytes[n] == SlotType::kSpill) ++n;
    return n;
  }
  // A plain write into the slot ends the spill: its bytes become misc, the others keep their
  // marks (an invalid byte is not made readable).
  void scrub_spill() {
    for (auto& b : bytes)
      if (b == SlotType::kSpill) b = SlotType::kMisc;
    spilled = Reg{};
  }
};

struct Frame {
  std::array<Reg, 11> regs;
  std::vector<StackSlot> stack;      // grows on demand, index 0 is closest to the frame pointer
  int callsite = -1;                 // insn of the call that created this frame
  int subprog = 0;                   // index into the subprogram table
  bool callback = false;             // a helper-invoked callback (return value is checked)
  bool async = false;                // timer callback: never returns into the caller
  int32_t ret_min = 0, ret_max = 0;  // callback return range
  // Callback rounds this frame's current helper call has entered on this path (the kernel's
  // callback_depth): bpf_loop stops re-entering its callback after nr_loops of them.
  uint32_t callback_depth = 0;
  StackSlot& slot(int i) {
    if (static_cast<int>(stack.size()) <= i) stack.resize(i + 1);
    return stack[i];
  }
};

struct RefState {
  uint32_t id = 0;
  int insn = 0;
};

struct State {
  std::vector<Frame> frames;
  std::vector<RefState> refs;
  uint32_t lock_id = 0;  // 0: no spin lock held; else the map-value pointer id/map identity
  int32_t lock_off = 0;
  int32_t lock_map = -1;
  // may_goto fall-throughs taken on this path (the kernel's may_goto_depth), plus active
  // iterator next() branches (the kernel's iterator depth): states that differ only in it are
  // different iterations of a loop that may_goto or an iterator bounds, never an infinite loop.
  uint32_t may_goto_depth = 0;

  Frame& cur() { return frames.back(); }
  const Frame& cur() const { return frames.back(); }
  Reg& reg(int r) { return frames.back().regs[r]; }
};

// Does `old` (a state whose every continuation was verified safe, or is being) cover `cur`?
// `precise` (optional, one mask per frame) names the registers whose scalar bounds matter; the
// bounds of other scalars are ignored. Without it every scalar is compared.
bool state_subsumes(const State& old, const State& cur,
                    const std::vector<uint16_t>* precise = nullptr);
// Per-frame masks for the pruning rule (index = frame number; a missing entry means "all").
struct PruneMasks {
  std::vector<uint16_t> live;         // registers read by some continuation; others are ignored
  std::vector<uint16_t> precise;      // scalars whose bounds matter; others cover any scalar
  std::vector<uint64_t> loose_slots;  // slot i: an 8-byte spilled scalar there is imprecise
  std::vector<uint64_t> live_slots;   // slot i read by some continuation; others are ignored
};
bool state_subsumes_masked(const State& old, const State& cur, const PruneMasks& masks);
// Equality under the same masks (loop detection).
bool state_equal(const State& a, const State& b, const std::vector<uint16_t>* precise = nullptr);

const char* reg_type_name(const Reg& r);  // kernel spelling: "scalar", "map_value_or_null", ...
std::string reg_str(const Reg& r);        // "scalar(umax=255,var_off=(0x0; 0xff))", "fp-8", ...
std::string state_str(const State& s, bool only_frame_top = false);

}  // namespace bombus::verifier
