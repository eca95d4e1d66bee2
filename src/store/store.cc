// Implementation of the store: ids, metadata, pins, holders and garbage collection.
#include "store/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/bytes.h"
#include "base/sha1.h"

namespace fs = std::filesystem;

namespace bombus::store {

namespace {

constexpr const char* kPinMagic = "bombus-pin";

std::string kind_dir(Kind k) {
  switch (k) {
    case Kind::kProg:
      return "progs";
    case Kind::kMap:
      return "maps";
    case Kind::kBtf:
      return "btfs";
  }
  return "maps";
}

Error io_error(const std::string& what, const std::string& path) {
  return make_error(Errc::kIo, what + " '" + path + "': " + std::strerror(errno));
}

// Start time of a process (field 22 of /proc/PID/stat), to tell a live holder from a reused pid.
std::optional<uint64_t> proc_start_time(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  if (!f) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto rp = s.rfind(')');
  if (rp == std::string::npos) return std::nullopt;
  std::istringstream in(s.substr(rp + 2));
  std::string field;
  // After ")" come fields 3.. ; start time is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(in >> field)) return std::nullopt;
  }
  return std::stoull(field);
}

}  // namespace

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kProg:
      return "prog";
    case Kind::kMap:
      return "map";
    case Kind::kBtf:
      return "btf";
  }
  return "map";
}

Lock& Lock::operator=(Lock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("can't open", path);
  std::vector<uint8_t> out;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto e = io_error("can't read", path);
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

Status write_file(const std::string& path, const void* data, size_t len) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("can't create", tmp);
  const uint8_t* p = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd, p + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto e = io_error("can't write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = io_error("can't rename to", path);
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

Result<Store> Store::open(const std::string& root) {
  std::error_code ec;
  for (const char* sub : {"progs", "maps", "btfs", "pins", "holders"}) {
    fs::create_directories(fs::path(root) / sub, ec);
    if (ec) {
      return make_error(Errc::kIo, "can't create store directory '" +
                                       (fs::path(root) / sub).string() + "': " + ec.message());
    }
  }
  std::string abs = fs::absolute(root, ec).lexically_normal().string();
  if (!abs.empty() && abs.back() == '/') abs.pop_back();
  return Store(abs);
}

Result<Lock> Store::lock() const {
  std::string p = root_ + "/lock";
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("can't open store lock", p);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      auto e = io_error("can't lock store", p);
      ::close(fd);
      return e;
    }
  }
  return Lock(fd);
}

Result<uint32_t> Store::create(Kind kind) {
  std::string counter = root_ + "/next_" + std::string(kind_name(kind)) + "_id";
  uint32_t id = 1;
  if (auto bytes = read_file(counter); bytes.ok()) {
    id = static_cast<uint32_t>(
        std::strtoul(std::string(bytes->begin(), bytes->end()).c_str(), nullptr, 10));
    if (id == 0) id = 1;
  }
  while (exists(kind, id)) ++id;
  std::string next = std::to_string(id + 1);
  BOMBUS_TRY(write_file(counter, next.data(), next.size()));
  std::error_code ec;
  fs::create_directories(dir(kind, id), ec);
  if (ec) return make_error(Errc::kIo, "can't create '" + dir(kind, id) + "': " + ec.message());
  return id;
}

std::string Store::dir(Kind kind, uint32_t id) const {
  return root_ + "/" + kind_dir(kind) + "/" + std::to_string(id);
}

bool Store::exists(Kind kind, uint32_t id) const {
  struct stat st;
  return ::stat(dir(kind, id).c_str(), &st) == 0;
}

std::vector<uint32_t> Store::list(Kind kind) const {
  std::vector<uint32_t> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ + "/" + kind_dir(kind), ec)) {
    const std::string n = e.path().filename().string();
    if (n.find_first_not_of("0123456789") != std::string::npos || n.empty()) continue;
    // Only objects whose metadata is complete are listed (creation is write-meta-last).
    if (fs::exists(e.path() / "meta.json")) ids.push_back(static_cast<uint32_t>(std::stoul(n)));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<nlohmann::ordered_json> Store::read_meta(Kind kind, uint32_t id) const {
  std::string p = dir(kind, id) + "/meta.json";
  auto bytes = read_file(p);
  if (!bytes.ok()) {
    return make_error(Errc::kNotFound,
                      std::string(kind_name(kind)) + " id " + std::to_string(id) + " not found");
  }
  auto j = nlohmann::ordered_json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (j.is_discarded()) return make_error(Errc::kInvalid, "corrupt metadata '" + p + "'");
  return j;
}

Status Store::write_meta(Kind kind, uint32_t id, const nlohmann::ordered_json& meta) const {
  std::string text = meta.dump(1);
  return write_file(dir(kind, id) + "/meta.json", text.data(), text.size());
}

static std::string pin_index_name(const std::string& abs_path) {
  std::string_view v(abs_path);
  auto h = sha1({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
  return to_hex(std::span<const uint8_t>(h.data(), 10), "");
}

Status Store::pin(Kind kind, uint32_t id, const std::string& path) const {
  std::error_code ec;
  std::string abs = fs::absolute(path, ec).lexically_normal().string();
  struct stat st;
  if (::lstat(abs.c_str(), &st) == 0) {
    return make_error(Errc::kExists, "can't pin the object ('" + path + "'): File exists");
  }
  auto parent = fs::path(abs).parent_path();
  if (!fs::is_directory(parent, ec)) {
    return make_error(Errc::kNotFound,
                      "can't pin the object ('" + path + "'): No such file or directory");
  }
  nlohmann::ordered_json pin = {
      {"magic", kPinMagic}, {"kind", kind_name(kind)}, {"id", id}, {"root", root_}};
  std::string text = pin.dump() + "\n";
  BOMBUS_TRY(write_file(abs, text.data(), text.size()));
  nlohmann::ordered_json idx = {{"path", abs}, {"kind", kind_name(kind)}, {"id", id}};
  std::string itext = idx.dump();
  return write_file(root_ + "/pins/" + pin_index_name(abs), itext.data(), itext.size());
}

Result<PinRef> Store::read_pin(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes.ok())
    return make_error(Errc::kNotFound, "bpf obj get (" + path + "): No such file or directory");
  auto j = nlohmann::ordered_json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("magic", "") != kPinMagic) {
    return make_error(Errc::kInvalid, "'" + path + "' is not a bombus pin");
  }
  PinRef r;
  std::string kind = j.value("kind", "");
  r.kind = kind == "prog" ? Kind::kProg : kind == "btf" ? Kind::kBtf : Kind::kMap;
  r.id = j.value("id", 0u);
  r.root = j.value("root", "");
  return r;
}

std::vector<std::string> Store::pins_of(Kind kind, uint32_t id) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ + "/pins", ec)) {
    auto bytes = read_file(e.path().string());
    if (!bytes.ok()) continue;
    auto j = nlohmann::ordered_json::parse(bytes->begin(), bytes->end(), nullptr, false);
    if (j.is_discarded() || j.value("kind", "") != kind_name(kind) || j.value("id", 0u) != id)
      continue;
    std::string p = j.value("path", "");
    auto r = read_pin(p);
    if (r.ok() && r->kind == kind && r->id == id && r->root == root_) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

static std::string holder_name(Kind kind, uint32_t id, long pid) {
  return std::to_string(pid) + "." + std::string(kind_name(kind)) + "." + std::to_string(id);
}

Status Store::hold(Kind kind, uint32_t id) const {
  long pid = ::getpid();
  auto st = proc_start_time(pid);
  std::string text = std::to_string(st.value_or(0));
  return write_file(root_ + "/holders/" + holder_name(kind, id, pid), text.data(), text.size());
}

void Store::release(Kind kind, uint32_t id) const {
  ::unlink((root_ + "/holders/" + holder_name(kind, id, ::getpid())).c_str());
}

bool Store::alive(Kind kind, uint32_t id) const {
  if (!pins_of(kind, id).empty()) return true;
  std::error_code ec;
  std::string suffix = "." + std::string(kind_name(kind)) + "." + std::to_string(id);
  for (const auto& e : fs::directory_iterator(root_ + "/holders", ec)) {
    std::string n = e.path().filename().string();
    if (n.size() <= suffix.size() ||
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    long pid = std::strtol(n.c_str(), nullptr, 10);
    auto bytes = read_file(e.path().string());
    auto now = proc_start_time(pid);
    if (now && bytes.ok() && std::to_string(*now) == std::string(bytes->begin(), bytes->end()))
      return true;
    fs::remove(e.path(), ec);  // stale holder
  }
  return false;
}

void Store::gc() const {
  std::error_code ec;
  // Drop index entries of pins that were removed or overwritten.
  for (const auto& e : fs::directory_iterator(root_ + "/pins", ec)) {
    auto bytes = read_file(e.path().string());
    bool keep = false;
    if (bytes.ok()) {
      auto j = nlohmann::ordered_json::parse(bytes->begin(), bytes->end(), nullptr, false);
      if (!j.is_discarded()) {
        auto r = read_pin(j.value("path", ""));
        keep = r.ok() && r->root == root_ &&
               std::string(kind_name(r->kind)) == j.value("kind", "") && r->id == j.value("id", 0u);
      }
    }
    if (!keep) fs::remove(e.path(), ec);
  }
  std::set<uint32_t> live_maps;
  for (uint32_t id : list(Kind::kProg)) {
    if (!alive(Kind::kProg, id)) {
      fs::remove_all(dir(Kind::kProg, id), ec);
      continue;
    }
    auto meta = read_meta(Kind::kProg, id);
    if (meta.ok() && meta->contains("map_ids")) {
      for (auto& m : (*meta)["map_ids"]) live_maps.insert(m.get<uint32_t>());
    }
  }
  std::set<uint32_t> live_btfs;
  auto note_btf = [&](Kind kind, uint32_t id) {
    auto meta = read_meta(kind, id);
    if (meta.ok() && meta->contains("btf_id")) live_btfs.insert((*meta)["btf_id"].get<uint32_t>());
  };
  for (uint32_t id : list(Kind::kProg)) note_btf(Kind::kProg, id);
  for (uint32_t id : list(Kind::kMap)) {
    if (live_maps.count(id) == 0 && !alive(Kind::kMap, id)) {
      fs::remove_all(dir(Kind::kMap, id), ec);
      continue;
    }
    note_btf(Kind::kMap, id);
  }
  for (uint32_t id : list(Kind::kBtf)) {
    if (live_btfs.count(id) == 0) fs::remove_all(dir(Kind::kBtf, id), ec);
  }
}

}  // namespace bombus::store
