// Loading BTF from a file: raw BTF (/sys/kernel/btf/vmlinux, `bpftool btf dump` input) or the
// .BTF section of an ELF object (via libelf).
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "btf/btf.h"

namespace bombus::btf {
namespace {

// One read() per chunk into a buffer sized from fstat (sysfs files may report 4096 or the real
// size; keep reading until EOF either way).
Result<std::vector<uint8_t>> read_all(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(Errc::kNotFound, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  std::vector<uint8_t> data;
  size_t cap = (::fstat(fd, &st) == 0 && st.st_size > 0) ? size_t(st.st_size) + 1 : 1 << 16;
  data.resize(cap);
  size_t len = 0;
  for (;;) {
    if (len == data.size()) data.resize(data.size() * 2);
    ssize_t n = ::read(fd, data.data() + len, data.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error(Errc::kIo, "error reading '" + path + "': " + std::strerror(e));
    }
    if (n == 0) break;
    len += size_t(n);
  }
  ::close(fd);
  data.resize(len);
  return data;
}

Result<std::vector<uint8_t>> elf_section(const std::vector<uint8_t>& file, const std::string& path,
                                         const char* want) {
  if (elf_version(EV_CURRENT) == EV_NONE) return make_error(Errc::kIo, "libelf init failed");
  Elf* elf = elf_memory(const_cast<char*>(reinterpret_cast<const char*>(file.data())), file.size());
  if (!elf) return make_error(Errc::kInvalid, "'" + path + "': not an ELF file");
  size_t shstrndx = 0;
  std::vector<uint8_t> out;
  bool found = false;
  if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
      if (!name || std::strcmp(name, want) != 0) continue;
      Elf_Data* d = elf_getdata(scn, nullptr);
      if (d && d->d_buf) {
        auto* p = static_cast<const uint8_t*>(d->d_buf);
        out.assign(p, p + d->d_size);
      }
      found = true;
      break;
    }
  }
  elf_end(elf);
  if (!found) return make_error(Errc::kNotFound, "'" + path + "': no " + want + " section");
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> read_elf_section(const std::string& path, const std::string& name) {
  BOMBUS_ASSIGN_OR_RETURN(std::vector<uint8_t> data, read_all(path));
  return elf_section(data, path, name.c_str());
}

Result<Btf> Btf::load_file(const std::string& path, const Btf* base) {
  BOMBUS_ASSIGN_OR_RETURN(std::vector<uint8_t> data, read_all(path));
  if (data.size() >= 4 && std::memcmp(data.data(),
                                      "\x7f"
                                      "ELF",
                                      4) == 0) {
    BOMBUS_ASSIGN_OR_RETURN(data, elf_section(data, path, ".BTF"));
  }
  auto r = parse(data, base);
  if (!r.ok()) r.error().where.object = path;
  return r;
}

}  // namespace bombus::btf
