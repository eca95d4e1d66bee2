// Result<T> and Error: how every layer reports expected failures (bad input, a rejected
// program, a missing file) without exceptions. An Error carries a code, a one-line message and
// a Location that names where the problem is (object, section, program, relocation, insn).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace bombus {

enum class Errc {
  kInvalid,      // malformed input (EINVAL)
  kNotFound,     // ENOENT
  kExists,       // EEXIST
  kTooBig,       // E2BIG
  kNoMem,        // ENOMEM
  kPerm,         // EPERM / EACCES
  kUnsupported,  // EOPNOTSUPP
  kIo,           // an OS call failed
  kRejected,     // the verifier refused a program
  kRuntime,      // a program faulted while running (checked mode, budget)
  kBusy,         // EBUSY
};

// Where a problem is. Every field is optional; format() prints the ones that are set.
struct Location {
  std::string object;
  std::string section;
  std::string program;
  std::optional<int64_t> relo;
  std::optional<int64_t> insn;
  std::optional<int64_t> byte_offset;
  std::optional<int64_t> line;  // 1-based line in a text source (asm, data file)
};

struct Error {
  Errc code = Errc::kInvalid;
  std::string message;
  Location where;

  // e.g. "obj.o: prog 'xdp_fw': relo #3: insn 17: field 'data_end' not found"
  std::string format() const;
  // errno-style negative code matching the kernel's answer for the same condition.
  int neg_errno() const;
};

Error make_error(Errc code, std::string message, Location where = {});

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error err) : v_(std::in_place_index<1>, std::move(err)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  void check() const {
    if (v_.index() != 0) std::abort();  // value() on an error is a programming bug
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error err) : err_(std::move(err)) {}
  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *err_; }
  Error& error() { return *err_; }

 private:
  std::optional<Error> err_;
};

using Status = Result<void>;

}  // namespace bombus

// Propagate an error from an expression returning Result<...>.
#define BOMBUS_TRY(expr)                                   \
  do {                                                     \
    auto&& bombus_try_r_ = (expr);                         \
    if (!bombus_try_r_.ok()) return bombus_try_r_.error(); \
  } while (0)

#define BOMBUS_CONCAT_INNER(a, b) a##b
#define BOMBUS_CONCAT(a, b) BOMBUS_CONCAT_INNER(a, b)
#define BOMBUS_ASSIGN_OR_RETURN(lhs, expr) \
  BOMBUS_ASSIGN_OR_RETURN_IMPL(BOMBUS_CONCAT(bombus_r_, __LINE__), lhs, expr)
#define BOMBUS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.error();                 \
  lhs = std::move(tmp).value()

// Internal invariant: a bug in bombus, never bad input.
#define BOMBUS_ASSERT(cond)                                        \
  do {                                                             \
    if (!(cond)) ::bombus::assert_fail(#cond, __FILE__, __LINE__); \
  } while (0)

namespace bombus {
[[noreturn]] void assert_fail(const char* cond, const char* file, int line);
}
