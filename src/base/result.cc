// Formatting of Error/Location and the internal assertion handler.
#include "base/result.h"

#include <cerrno>
#include <cstdio>

namespace bombus {

std::string Error::format() const {
  std::string out;
  auto add = [&](const std::string& part) {
    if (!out.empty()) out += ": ";
    out += part;
  };
  if (!where.object.empty()) add(where.object);
  if (where.line) add("line " + std::to_string(*where.line));
  if (!where.section.empty()) add("section '" + where.section + "'");
  if (!where.program.empty()) add("prog '" + where.program + "'");
  if (where.relo) add("relo #" + std::to_string(*where.relo));
  if (where.insn) add("insn " + std::to_string(*where.insn));
  if (where.byte_offset) add("offset " + std::to_string(*where.byte_offset));
  add(message);
  return out;
}

int Error::neg_errno() const {
  switch (code) {
    case Errc::kInvalid:
      return -EINVAL;
    case Errc::kNotFound:
      return -ENOENT;
    case Errc::kExists:
      return -EEXIST;
    case Errc::kTooBig:
      return -E2BIG;
    case Errc::kNoMem:
      return -ENOMEM;
    case Errc::kPerm:
      return -EPERM;
    case Errc::kUnsupported:
      return -EOPNOTSUPP;
    case Errc::kIo:
      return -EIO;
    case Errc::kRejected:
      return -EACCES;
    case Errc::kRuntime:
      return -EFAULT;
    case Errc::kBusy:
      return -EBUSY;
  }
  return -EINVAL;
}

Error make_error(Errc code, std::string message, Location where) {
  return Error{code, std::move(message), std::move(where)};
}

void assert_fail(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "bombus: internal error: %s (%s:%d)\n", cond, file, line);
  std::abort();
}

}  // namespace bombus
