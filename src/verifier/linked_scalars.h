// Linked scalars, the kernel's scalar ids: registers and spilled slots holding copies of one
// value share an id, so a bound a comparison learns on one of them is every copy's
// (find_equal_scalars, the kernel's sync_linked_regs). `rX = rY; rX += K` keeps the link with
// a constant distance (the kernel's BPF_ADD_CONST): rX gets rY's id with kIdAddConst set and K
// in Reg::off (64-bit adds of 0..INT32_MAX only; a second add breaks the link).
#pragma once

#include <cstdint>

#include "verifier/state.h"

namespace bombus::verifier {

class Engine;

inline constexpr uint32_t kIdAddConst = 1u << 31;
inline uint32_t base_id(uint32_t id) {
  return id & ~kIdAddConst;
}
// A linked scalar's constant distance from the value its id names (0 without kIdAddConst).
inline int32_t add_const(const Reg& r) {
  return (r.id & kIdAddConst) ? r.off : 0;
}
// Before a scalar is copied (mov, spill): give it an id so the copies stay linked, dropping a
// constant-distance link first (the kernel's assign_scalar_id_before_mov). Not for pointers.
void assign_scalar_id_before_mov(Engine& e, Reg& r);
// After `dst += src` on scalars (`add64`: a 64-bit add; false for any other operation): keeps
// a copy linked with the constant as its distance, or drops the link.
void link_add_const(Reg& dst, const Reg& src, bool add64);

}  // namespace bombus::verifier
