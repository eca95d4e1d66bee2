// Loads through BTF-typed pointers and the context of tracing programs, the kernel's way
// (btf_struct_access / btf_ctx_access): a load at (off, size) inside a kernel struct is walked
// through the kernel's BTF — nested structs and unions, arrays, bit fields, a flexible array at
// the end — and gives a scalar, or for a pointer member a PTR_TO_BTF_ID of the pointee (untrusted,
// never NULL-checked). Writes are refused. BPF_PROG_TYPE_TRACING programs (tp_btf, fentry, fexit,
// fmod_ret) see their context as the target's arguments, u64 each, typed by its BTF prototype:
// struct pointers are trusted PTR_TO_BTF_ID, everything else a scalar. Every load through a
// BTF-typed pointer is marked InsnFacts::probe_mem: the engines run it as a load that never
// faults (an address that is not a registered object reads as 0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "verifier/state.h"

namespace bombus::btf {
class Btf;
}

namespace bombus::verifier {

class Engine;

// Reg::btf_flags bits (the kernel's PTR_TRUSTED / PTR_UNTRUSTED type flags).
inline constexpr uint8_t kBtfTrusted = 1, kBtfUntrusted = 2;

// Outcome of walking struct `type_id` at [off, off + size) (the kernel's btf_struct_walk).
struct BtfWalk {
  bool ok = false;
  bool pointer = false;  // a pointer member: next_id is its pointee's type id
  uint32_t next_id = 0;
  std::string error;  // kernel wording when !ok
};
BtfWalk btf_struct_walk(const btf::Btf& b, uint32_t type_id, int64_t off, int size);

// The kernel's type id of a kBtfId register's pointee (Reg::btf_id, else the struct that
// Reg::mem_size names as a kfunc BtfObj); 0 when unknown.
uint32_t btf_reg_type_id(const btf::Btf& b, const Reg& r);

// check_mem_access for a kBtfId pointer (check_mem.cc dispatches here).
bool check_btf_access(Engine& e, const Reg& ptr, int regno, int off, int size, bool write,
                      int value_reg, bool sign_ext);
// check_mem_access for the ctx of a BPF_PROG_TYPE_TRACING program.
bool check_tracing_ctx(Engine& e, int off, int size, bool write, int value_reg);
// Checks once, before exploration, that a tracing program's target exists in the kernel's BTF
// and is of a kind bombus models; false (after Engine::fail) otherwise.
bool check_tracing_target(Engine& e);

// r0 after a helper that returns a BTF-typed pointer: the struct it points to
// (get_current_task_btf: task_struct).
void type_helper_btf_ret(int helper_id, Reg& r0);

// Register text: "ptr_", "trusted_ptr_", "untrusted_ptr_or_null_", ... and the struct name the
// kernel prints after it ("task_struct"), empty when no BTF has been looked at on this thread.
const char* btf_reg_type_name(const Reg& r);
std::string btf_reg_struct_name(const Reg& r);

}  // namespace bombus::verifier
