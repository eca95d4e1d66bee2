// The store: a directory that plays the kernel's part for the `bombus` command. Every loaded
// program and map gets an id and a folder there (metadata as JSON, the object bytes, the map's
// shared-memory data file); a pin is a small file at any path the user names that points at an
// object in the store; an object lives while a pin, a live holder process, or (for maps) a live
// program refers to it, and is reclaimed by gc() after. All mutations take an flock on
// ROOT/lock, so several processes can load, run and dump at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace bombus::store {

// kBtf: a loaded object's BTF (the kernel's BTF objects); it lives while a program or map that
// names it in "btf_id" lives.
enum class Kind { kProg, kMap, kBtf };
std::string_view kind_name(Kind k);

struct PinRef {
  Kind kind;
  uint32_t id;
  std::string root;
};

// Exclusive flock on the store's lock file while alive.
class Lock {
 public:
  Lock() = default;
  explicit Lock(int fd) : fd_(fd) {}
  Lock(Lock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Lock& operator=(Lock&& o) noexcept;
  ~Lock();

 private:
  int fd_ = -1;
};

class Store {
 public:
  // Opens (creating if needed) the store at `root`.
  static Result<Store> open(const std::string& root);

  const std::string& root() const { return root_; }
  Result<Lock> lock() const;

  // Allocates the next id of a kind and creates its folder. Caller holds the lock.
  Result<uint32_t> create(Kind kind);
  std::string dir(Kind kind, uint32_t id) const;
  bool exists(Kind kind, uint32_t id) const;
  std::vector<uint32_t> list(Kind kind) const;

  Result<nlohmann::ordered_json> read_meta(Kind kind, uint32_t id) const;
  // Atomic replace (write to a temporary, then rename).
  Status write_meta(Kind kind, uint32_t id, const nlohmann::ordered_json& meta) const;

  // Pins: write a pin file at `path` naming the object, and index it in the store.
  Status pin(Kind kind, uint32_t id, const std::string& path) const;
  // Reads a pin file; errors say what the file is when it is not a bombus pin.
  static Result<PinRef> read_pin(const std::string& path);
  // Pins of an object that still exist and still point at it.
  std::vector<std::string> pins_of(Kind kind, uint32_t id) const;

  // Marks this process as holding the object until it exits (or release()).
  Status hold(Kind kind, uint32_t id) const;
  void release(Kind kind, uint32_t id) const;

  // Reclaims objects no pin, live holder or live program refers to (BTF: no live program or
  // map). Caller holds the lock.
  void gc() const;

 private:
  explicit Store(std::string root) : root_(std::move(root)) {}
  bool alive(Kind kind, uint32_t id) const;
  std::string root_;
};

// Helper for file I/O with clear errors.
Result<std::vector<uint8_t>> read_file(const std::string& path);
Status write_file(const std::string& path, const void* data, size_t len);

}  // namespace bombus::store
