// ElfFile: libelf-backed reading of eBPF relocatable objects. libelf does the header and table
// decoding; this file checks what libelf does not (machine, class, byte order, symbol and string
// indexes, data bounds) so the loader above never sees an inconsistent table.
#include "elf/elf_file.h"

#include <gelf.h>
#include <libelf.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace bombus::elf {

namespace {

bool libelf_ready() {
  static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
  return ok;
}

std::string libelf_msg() {
  const char* m = elf_errmsg(-1);
  return m ? m : "unknown libelf error";
}

}  // namespace

ElfFile::ElfFile(ElfFile&& o) noexcept {
  *this = std::move(o);
}

ElfFile& ElfFile::operator=(ElfFile&& o) noexcept {
  if (this == &o) return *this;
  if (elf_) elf_end(elf_);
  name_ = std::move(o.name_);
  buf_ = std::move(o.buf_);
  size_ = o.size_;
  elf_ = o.elf_;
  o.elf_ = nullptr;
  sections_ = std::move(o.sections_);
  symbols_ = std::move(o.symbols_);
  symtab_index_ = o.symtab_index_;
  return *this;
}

ElfFile::~ElfFile() {
  if (elf_) elf_end(elf_);
}

Error ElfFile::err(std::string msg, const Section* s) const {
  Location where;
  where.object = name_;
  if (s) where.section = std::string(s->name.empty() ? "#" + std::to_string(s->index) : s->name);
  return make_error(Errc::kInvalid, std::move(msg), std::move(where));
}

Result<ElfFile> ElfFile::open(std::span<const uint8_t> bytes, std::string name) {
  ElfFile f;
  f.name_ = std::move(name);
  if (!libelf_ready()) return f.err("libelf initialisation failed");
  // One spare zero byte so a string table missing its terminator still ends inside the buffer.
  f.buf_ = std::make_unique<uint8_t[]>(bytes.size() + 1);
  if (!bytes.empty()) std::memcpy(f.buf_.get(), bytes.data(), bytes.size());
  f.buf_[bytes.size()] = 0;
  f.size_ = bytes.size();
  BOMBUS_TRY(f.load());
  return f;
}

Result<ElfFile> ElfFile::open_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(Errc::kNotFound, "cannot open '" + path + "': " + std::strerror(errno));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::kIo, "cannot read '" + path + "'");
  return open(data, path);
}

Status ElfFile::load() {
  if (size_ < EI_NIDENT || std::memcmp(buf_.get(), ELFMAG, SELFMAG) != 0)
    return err("not an ELF file (bad magic)");
  if (buf_[EI_CLASS] != ELFCLASS64) return err("not a 64-bit ELF file");
  if (buf_[EI_DATA] != ELFDATA2LSB)
    return err("big-endian ELF objects are not supported (expected little-endian BPF)");
  elf_ = elf_memory(reinterpret_cast<char*>(buf_.get()), size_);
  if (!elf_) return err("libelf: " + libelf_msg());
  if (elf_kind(elf_) != ELF_K_ELF) return err("not an ELF object");
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf_, &eh)) return err("bad ELF header: " + libelf_msg());
  if (eh.e_machine != kEmBpf)
    return err("not a BPF object (e_machine " + std::to_string(eh.e_machine) + ", expected 247)");
  if (eh.e_type != ET_REL)
    return err("not a relocatable object (e_type " + std::to_string(eh.e_type) + ")");

  size_t shstrndx = 0, nsec = 0;
  if (elf_getshdrstrndx(elf_, &shstrndx) != 0) return err("no section name table: " + libelf_msg());
  if (elf_getshdrnum(elf_, &nsec) != 0) return err("bad section count: " + libelf_msg());
  if (nsec > 65535) return err("too many sections (" + std::to_string(nsec) + ")");
  sections_.resize(nsec);
  for (size_t i = 0; i < nsec; ++i) sections_[i].index = static_cast<uint32_t>(i);
  for (size_t i = 1; i < nsec; ++i) {
    Section& s = sections_[i];
    Elf_Scn* scn = elf_getscn(elf_, i);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
      return err("bad section header #" + std::to_string(i) + ": " + libelf_msg());
    const char* nm = elf_strptr(elf_, shstrndx, sh.sh_name);
    if (!nm)
      return err("section #" + std::to_string(i) + ": bad name offset " +
                 std::to_string(sh.sh_name));
    s.name = nm;
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    s.link = sh.sh_link;
    s.info = sh.sh_info;
    s.size = sh.sh_size;
    s.entsize = sh.sh_entsize;
    s.addralign = sh.sh_addralign;
    if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL || sh.sh_size == 0) continue;
    if (sh.sh_offset > size_ || size_ - sh.sh_offset < sh.sh_size)
      return err("section data [" + std::to_string(sh.sh_offset) + ", +" +
                     std::to_string(sh.sh_size) + ") is outside the file (" +
                     std::to_string(size_) + " bytes)",
                 &s);
    // Raw bytes straight from the file image: the object is little-endian like every host we
    // support, so no translation is needed and spans stay valid for the ElfFile's life.
    s.data = std::span<const uint8_t>(buf_.get() + sh.sh_offset, sh.sh_size);
    if (sh.sh_type == SHT_SYMTAB) {
      if (symtab_index_ != 0) return err("more than one symbol table", &s);
      symtab_index_ = static_cast<uint32_t>(i);
    }
  }
  if (symtab_index_ == 0) return Status{};

  const Section& st = sections_[symtab_index_];
  if (st.entsize != sizeof(Elf64_Sym))
    return err("bad symbol entry size " + std::to_string(st.entsize), &st);
  if (st.link == 0 || st.link >= nsec || sections_[st.link].type != SHT_STRTAB)
    return err(
        "symbol table's string table link " + std::to_string(st.link) + " is not a string table",
        &st);
  const Section& strs = sections_[st.link];
  size_t count = st.data.size() / sizeof(Elf64_Sym);
  symbols_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    Elf64_Sym raw;
    std::memcpy(&raw, st.data.data() + i * sizeof(Elf64_Sym), sizeof raw);
    Symbol& y = symbols_[i];
    y.index = static_cast<uint32_t>(i);
    if (raw.st_name >= strs.data.size() && raw.st_name != 0)
      return err("symbol #" + std::to_string(i) + ": name offset " + std::to_string(raw.st_name) +
                     " is outside the string table",
                 &st);
    if (raw.st_name < strs.data.size()) {
      const char* p = reinterpret_cast<const char*>(strs.data.data()) + raw.st_name;
      // buf_ has a trailing NUL, so strnlen over the rest of the table is safe.
      y.name = std::string_view(p, strnlen(p, strs.data.size() - raw.st_name));
    }
    y.value = raw.st_value;
    y.size = raw.st_size;
    y.bind = static_cast<uint8_t>(ELF64_ST_BIND(raw.st_info));
    y.type = static_cast<uint8_t>(ELF64_ST_TYPE(raw.st_info));
    y.visibility = static_cast<uint8_t>(ELF64_ST_VISIBILITY(raw.st_other));
    y.shndx = raw.st_shndx;
    if (y.shndx != SHN_UNDEF && y.shndx < SHN_LORESERVE && y.shndx >= nsec)
      return err("symbol '" + std::string(y.name) + "' refers to section #" +
                     std::to_string(y.shndx) + " which does not exist",
                 &st);
  }
  return Status{};
}

const Section* ElfFile::find_section(std::string_view name) const {
  for (const Section& s : sections_)
    if (s.index != 0 && s.name == name) return &s;
  return nullptr;
}

Result<std::vector<Reloc>> ElfFile::relocations(const Section& rel) const {
  const bool rela = rel.type == kShtRela;
  if (rel.type != kShtRel && !rela) return err("not a relocation section", &rel);
  const size_t esz = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
  if (rel.data.size() % esz != 0)
    return err(
        "size " + std::to_string(rel.data.size()) + " is not a multiple of " + std::to_string(esz),
        &rel);
  std::vector<Reloc> out(rel.data.size() / esz);
  for (size_t i = 0; i < out.size(); ++i) {
    Elf64_Rela r{};
    std::memcpy(&r, rel.data.data() + i * esz, esz);
    out[i].offset = r.r_offset;
    out[i].sym = static_cast<uint32_t>(ELF64_R_SYM(r.r_info));
    out[i].type = static_cast<uint32_t>(ELF64_R_TYPE(r.r_info));
    out[i].addend = rela ? r.r_addend : 0;
    if (out[i].sym >= symbols_.size())
      return err("relo #" + std::to_string(i) + ": symbol index " + std::to_string(out[i].sym) +
                     " is outside the symbol table (" + std::to_string(symbols_.size()) +
                     " entries)",
                 &rel);
  }
  return out;
}

std::vector<const Section*> ElfFile::relocation_sections_for(uint32_t target_index) const {
  std::vector<const Section*> out;
  for (const Section& s : sections_)
    if ((s.type == kShtRel || s.type == kShtRela) && s.info == target_index) out.push_back(&s);
  return out;
}

std::string_view ElfFile::license() const {
  const Section* s = find_section("license");
  if (!s || s->data.empty()) return {};
  const char* p = reinterpret_cast<const char*>(s->data.data());
  return std::string_view(p, strnlen(p, s->data.size()));
}

std::optional<uint32_t> ElfFile::kern_version() const {
  const Section* s = find_section("version");
  if (!s || s->data.size() != 4) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, s->data.data(), 4);
  return v;
}

std::string object_name_from_path(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  return std::string(dot == std::string_view::npos ? base : base.substr(0, dot));
}

}  // namespace bombus::elf
