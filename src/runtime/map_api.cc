// bombus::Map: the user-side map commands of the bpf() syscall, as Result values.
#include <cstring>

#include "runtime/object_impl.h"

namespace bombus {

namespace {
Error map_error(long rc, const std::string& name, const std::string& what) {
  Errc c = Errc::kInvalid;
  switch (-rc) {
    case 2:
      c = Errc::kNotFound;
      break;
    case 17:
      c = Errc::kExists;
      break;
    case 7:
      c = Errc::kTooBig;
      break;
    case 12:
    case 28:
      c = Errc::kNoMem;
      break;
    case 1:
    case 13:
      c = Errc::kPerm;
      break;
    case 16:
      c = Errc::kBusy;
      break;
    case 95:
    case 524:
      c = Errc::kUnsupported;
      break;
    default:
      break;
  }
  return make_error(c, "map '" + name + "': " + what + " failed (" + std::to_string(rc) + ")");
}
}  // namespace

const std::string& Map::name() const {
  return name_;
}
platform::MapType Map::type() const {
  return map_->type();
}
uint32_t Map::key_size() const {
  return map_->spec().key_size;
}
uint32_t Map::value_size() const {
  return map_->spec().value_size;
}
uint32_t Map::user_value_size() const {
  return map_->user_value_size();
}
uint32_t Map::max_entries() const {
  return map_->spec().max_entries;
}
uint32_t Map::flags() const {
  return map_->spec().flags;
}
uint32_t Map::id() const {
  return map_->id();
}
const std::string& Map::path() const {
  return map_->path();
}

Result<std::vector<uint8_t>> Map::lookup(std::span<const uint8_t> key, uint64_t flags) const {
  if (key.size() != key_size())
    return make_error(Errc::kInvalid, "map '" + name_ + "': key is " + std::to_string(key.size()) +
                                          " bytes, the map's key_size is " +
                                          std::to_string(key_size()));
  std::vector<uint8_t> v(std::max<uint32_t>(user_value_size(), 8));
  long rc = map_->sys_lookup(key.data(), v.data(), flags);
  if (rc) return map_error(rc, name_, "lookup");
  v.resize(user_value_size());
  return v;
}

Status Map::update(std::span<const uint8_t> key, std::span<const uint8_t> value, uint64_t flags) {
  if (key.size() != key_size())
    return make_error(Errc::kInvalid, "map '" + name_ + "': key size mismatch");
  if (value.size() != user_value_size())
    return make_error(Errc::kInvalid, "map '" + name_ + "': value is " +
                                          std::to_string(value.size()) + " bytes, expected " +
                                          std::to_string(user_value_size()));
  long rc = map_->sys_update(key.data(), value.data(), flags);
  if (rc) return map_error(rc, name_, "update");
  return {};
}

Status Map::remove(std::span<const uint8_t> key) {
  if (key.size() != key_size())
    return make_error(Errc::kInvalid, "map '" + name_ + "': key size mismatch");
  long rc = map_->sys_delete(key.data());
  if (rc) return map_error(rc, name_, "delete");
  return {};
}

Result<std::vector<uint8_t>> Map::lookup_and_delete(std::span<const uint8_t> key) {
  std::vector<uint8_t> v(std::max<uint32_t>(user_value_size(), 8));
  long rc = map_->sys_lookup_and_delete(key.empty() ? nullptr : key.data(), v.data(), 0);
  if (rc) return map_error(rc, name_, "lookup_and_delete");
  v.resize(user_value_size());
  return v;
}

Result<std::vector<uint8_t>> Map::next_key(std::span<const uint8_t> key) const {
  std::vector<uint8_t> next(std::max<uint32_t>(key_size(), 4));
  long rc = map_->get_next_key(key.empty() ? nullptr : key.data(), next.data());
  if (rc) return map_error(rc, name_, "get_next_key");
  next.resize(key_size());
  return next;
}

Result<std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>>> Map::dump() const {
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> out;
  std::vector<uint8_t> cur;
  for (uint64_t guard = 0; guard <= uint64_t{max_entries()} + 1; ++guard) {
    auto nk = next_key(cur);
    if (!nk.ok()) {
      if (nk.error().code == Errc::kNotFound) break;
      return nk.error();
    }
    cur = *nk;
    auto v = lookup(cur);
    if (v.ok()) out.emplace_back(cur, std::move(v).value());
  }
  return out;
}

Status Map::freeze() {
  long rc = map_->freeze();
  if (rc) return map_error(rc, name_, "freeze");
  return {};
}

Result<std::vector<uint8_t>> Map::lookup_u32(uint32_t key) const {
  uint8_t k[4];
  std::memcpy(k, &key, 4);
  return lookup(k);
}

}  // namespace bombus
