// The ELF half of the static linker (link.h): reads inputs with libelf, concatenates sections by
// name (each piece aligned), merges symbols (a strong definition beats a weak one, externs bind
// to the definition, two strong definitions are an error), re-targets relocations (section-
// relative ones get the piece's offset added to the instruction or data they patch), merges BTF
// (link_btf.cc) and writes one ET_REL object.
#include "gen/link.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "gen/link_internal.h"

namespace bombus::gen {

namespace {

constexpr uint32_t kRelBpf64_64 = 1, kRelBpf64_32 = 10;

struct OutSec {
  std::string name;
  uint32_t type = SHT_PROGBITS;
  uint64_t flags = 0;
  uint64_t align = 1;
  uint64_t entsize = 0;
  std::vector<uint8_t> data;
  uint64_t size = 0;  // NOBITS: size without data
  std::vector<std::pair<uint64_t, std::pair<uint32_t, uint32_t>>> rels;  // offset, (sym, type)
};

struct OutSym {
  std::string name;
  uint8_t info = 0, other = 0;
  int sec = -1;  // output section index in secs (-1: undefined / absolute)
  uint64_t value = 0, size = 0;
  bool local() const { return GELF_ST_BIND(info) == STB_LOCAL; }
};

bool skipped_section(const std::string& n, uint32_t type) {
  if (type == SHT_SYMTAB || type == SHT_STRTAB || type == SHT_REL || type == SHT_RELA ||
      type == SHT_NULL || type == 0x6fff4c03 /* SHT_LLVM_ADDRSIG */)
    return true;
  return n.rfind(".debug", 0) == 0 || n == ".BTF" || n == ".BTF.ext";
}

struct ElfCloser {
  Elf* e;
  ~ElfCloser() {
    if (e) elf_end(e);
  }
};

// Lays the object out: sections, their .rel sections, .BTF, .BTF.ext, .symtab (locals first),
// .strtab (section and symbol names), written by libelf into a memory file.
Result<std::vector<uint8_t>> write_object(const std::vector<OutSec>& secs,
                                          const std::vector<OutSym>& syms,
                                          const detail::BtfOutput& btf) {
  std::string strtab(1, '\0');
  auto add_str = [&](const std::string& s) -> uint32_t {
    if (s.empty()) return 0;
    uint32_t off = static_cast<uint32_t>(strtab.size());
    strtab += s;
    strtab += '\0';
    return off;
  };
  // Final symbol order: null, locals, globals.
  std::vector<size_t> final_index(syms.size(), 0);
  std::vector<size_t> order;
  for (size_t k = 1; k < syms.size(); ++k)
    if (syms[k].local()) order.push_back(k);
  size_t first_global = order.size() + 1;
  for (size_t k = 1; k < syms.size(); ++k)
    if (!syms[k].local()) order.push_back(k);
  for (size_t k = 0; k < order.size(); ++k) final_index[order[k]] = k + 1;

  int fd = memfd_create("bombus-link", 0);
  if (fd < 0) return make_error(Errc::kIo, std::string("memfd_create: ") + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } fdc{fd};
  Elf* e = elf_begin(fd, ELF_C_WRITE, nullptr);
  if (!e) return make_error(Errc::kIo, std::string("elf_begin: ") + elf_errmsg(-1));
  ElfCloser closer{e};
  if (!gelf_newehdr(e, ELFCLASS64)) return make_error(Errc::kIo, elf_errmsg(-1));
  GElf_Ehdr eh;
  gelf_getehdr(e, &eh);
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = ET_REL;
  eh.e_machine = EM_BPF;
  eh.e_version = EV_CURRENT;
  std::vector<std::vector<uint8_t>> keep;  // buffers libelf points at until elf_update
  auto add_scn = [&](const std::string& name, uint32_t type, uint64_t flags, uint64_t align,
                     uint64_t entsize, std::vector<uint8_t> data, uint64_t nobits_size,
                     uint32_t link, uint32_t info) -> size_t {
    Elf_Scn* scn = elf_newscn(e);
    Elf_Data* d = elf_newdata(scn);
    keep.push_back(std::move(data));
    d->d_buf = keep.back().empty() ? nullptr : keep.back().data();
    d->d_size = type == SHT_NOBITS ? nobits_size : keep.back().size();
    d->d_align = align;
    d->d_type = ELF_T_BYTE;
    d->d_version = EV_CURRENT;
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    sh.sh_name = add_str(name);
    sh.sh_type = type;
    sh.sh_flags = flags;
    sh.sh_addralign = align;
    sh.sh_entsize = entsize;
    sh.sh_link = link;
    sh.sh_info = info;
    gelf_update_shdr(scn, &sh);
    return elf_ndxscn(scn);
  };
  keep.reserve(secs.size() * 2 + 8);
  std::vector<size_t> out_idx(secs.size());
  for (size_t i = 0; i < secs.size(); ++i)
    out_idx[i] = add_scn(secs[i].name, secs[i].type, secs[i].flags, secs[i].align, secs[i].entsize,
                         secs[i].data, secs[i].size, 0, 0);
  size_t nrel = 0;
  for (const auto& s : secs) nrel += !s.rels.empty();
  size_t symtab_idx =
      secs.size() + nrel + 1 + (btf.btf.empty() ? 0 : 1) + (btf.btf_ext.empty() ? 0 : 1);
  for (size_t i = 0; i < secs.size(); ++i) {
    if (secs[i].rels.empty()) continue;
    std::vector<uint8_t> data(secs[i].rels.size() * sizeof(Elf64_Rel));
    for (size_t r = 0; r < secs[i].rels.size(); ++r) {
      Elf64_Rel rel;
      rel.r_offset = secs[i].rels[r].first;
      rel.r_info =
          ELF64_R_INFO(final_index[secs[i].rels[r].second.first], secs[i].rels[r].second.second);
      std::memcpy(data.data() + r * sizeof rel, &rel, sizeof rel);
    }
    add_scn(".rel" + secs[i].name, SHT_REL, SHF_INFO_LINK, 8, sizeof(Elf64_Rel), std::move(data), 0,
            static_cast<uint32_t>(symtab_idx), static_cast<uint32_t>(out_idx[i]));
  }
  if (!btf.btf.empty()) add_scn(".BTF", SHT_PROGBITS, 0, 4, 0, btf.btf, 0, 0, 0);
  if (!btf.btf_ext.empty()) add_scn(".BTF.ext", SHT_PROGBITS, 0, 4, 0, btf.btf_ext, 0, 0, 0);
  std::vector<uint8_t> symdata((order.size() + 1) * sizeof(Elf64_Sym), 0);
  for (size_t k = 0; k < order.size(); ++k) {
    const OutSym& s = syms[order[k]];
    Elf64_Sym o{};
    o.st_name = add_str(s.name);
    o.st_info = s.info;
    o.st_other = s.other;
    o.st_shndx = s.sec >= 0 ? static_cast<uint16_t>(out_idx[s.sec]) : SHN_UNDEF;
    o.st_value = s.value;
    o.st_size = s.size;
    std::memcpy(symdata.data() + (k + 1) * sizeof o, &o, sizeof o);
  }
  size_t st = add_scn(".symtab", SHT_SYMTAB, 0, 8, sizeof(Elf64_Sym), std::move(symdata), 0,
                      static_cast<uint32_t>(symtab_idx + 1), static_cast<uint32_t>(first_global));
  if (st != symtab_idx) return make_error(Errc::kIo, "section numbering mismatch");
  uint32_t strtab_name = add_str(".strtab");
  Elf_Scn* sscn = elf_newscn(e);
  Elf_Data* sdat = elf_newdata(sscn);
  sdat->d_buf = strtab.data();
  sdat->d_size = strtab.size();
  sdat->d_align = 1;
  sdat->d_type = ELF_T_BYTE;
  GElf_Shdr ssh;
  gelf_getshdr(sscn, &ssh);
  ssh.sh_name = strtab_name;
  ssh.sh_type = SHT_STRTAB;
  ssh.sh_addralign = 1;
  gelf_update_shdr(sscn, &ssh);
  eh.e_shstrndx = static_cast<uint16_t>(elf_ndxscn(sscn));
  gelf_update_ehdr(e, &eh);
  if (elf_update(e, ELF_C_WRITE) < 0)
    return make_error(Errc::kIo, std::string("writing ELF: ") + elf_errmsg(-1));
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<uint8_t> out(static_cast<size_t>(size));
  if (pread(fd, out.data(), out.size(), 0) != size)
    return make_error(Errc::kIo, "reading back the linked object failed");
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> link_objects(
    const std::vector<std::pair<std::string, std::vector<uint8_t>>>& inputs) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return make_error(Errc::kIo, "libelf initialisation failed");
  if (inputs.empty()) return make_error(Errc::kInvalid, "no input files");
  std::vector<OutSec> secs;
  std::map<std::string, int> sec_index;
  std::vector<OutSym> syms;  // index 0 unused (the null symbol)
  syms.emplace_back();
  std::map<std::string, size_t> globals;  // name -> syms index
  std::vector<detail::BtfInput> btf_inputs;

  for (const auto& input : inputs) {
    const std::string& file = input.first;
    const std::vector<uint8_t>& bytes = input.second;
    auto bad = [&](const std::string& m) { return make_error(Errc::kInvalid, file + ": " + m); };
    std::vector<uint8_t> copy = bytes;  // libelf wants a mutable buffer
    Elf* e = elf_memory(reinterpret_cast<char*>(copy.data()), copy.size());
    ElfCloser closer{e};
    GElf_Ehdr eh;
    if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) return bad("not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF || eh.e_type != ET_REL)
      return bad("not a 64-bit BPF relocatable object (ELF class, e_machine EM_BPF, ET_REL)");
    size_t shstrndx = 0, nsec = 0;
    if (elf_getshdrstrndx(e, &shstrndx) || elf_getshdrnum(e, &nsec))
      return bad("bad section headers");
    detail::BtfInput bi;
    bi.file = file;
    std::vector<int> placed_sec(nsec, -1);
    std::vector<uint64_t> placed_off(nsec, 0);
    Elf_Scn* symtab = nullptr;
    for (size_t i = 1; i < nsec; ++i) {
      Elf_Scn* scn = elf_getscn(e, i);
      GElf_Shdr sh;
      if (!scn || !gelf_getshdr(scn, &sh)) return bad("bad section header " + std::to_string(i));
      const char* nm = elf_strptr(e, shstrndx, sh.sh_name);
      if (!nm) return bad("section " + std::to_string(i) + ": bad name");
      std::string name = nm;
      if (sh.sh_type == SHT_SYMTAB) symtab = scn;
      Elf_Data* d = elf_getdata(scn, nullptr);
      if (name == ".BTF" || name == ".BTF.ext") {
        if (d && d->d_buf && d->d_size) {
          auto* p = static_cast<const uint8_t*>(d->d_buf);
          (name == ".BTF" ? bi.btf : bi.btf_ext).assign(p, p + d->d_size);
        }
        continue;
      }
      if (skipped_section(name, sh.sh_type)) continue;
      auto it = sec_index.find(name);
      bool fresh = it == sec_index.end();
      if (fresh) {
        it = sec_index.emplace(name, static_cast<int>(secs.size())).first;
        OutSec os;
        os.name = name;
        os.type = sh.sh_type;
        os.flags = sh.sh_flags;
        os.entsize = sh.sh_entsize;
        secs.push_back(std::move(os));
      }
      OutSec& os = secs[it->second];
      if (os.type != sh.sh_type && !(os.type == SHT_NOBITS || sh.sh_type == SHT_NOBITS))
        return bad("section '" + name + "' has a different type than in other inputs");
      // "license" and "version" are kept once and must agree across inputs (libbpf's rule).
      if ((name == "license" || name == "version") && !fresh) {
        const uint8_t* p = d && d->d_buf ? static_cast<const uint8_t*>(d->d_buf) : nullptr;
        if (!p || d->d_size != os.data.size() || std::memcmp(p, os.data.data(), d->d_size) != 0)
          return bad("non-identical contents of section '" + name + "'");
        placed_sec[i] = it->second;
        placed_off[i] = 0;
        bi.placed[name] = {name, 0};
        continue;
      }
      uint64_t align = sh.sh_addralign ? sh.sh_addralign : 1;
      os.align = std::max(os.align, align);
      uint64_t cur = os.type == SHT_NOBITS ? os.size : os.data.size();
      uint64_t off = (cur + align - 1) / align * align;
      if (os.type == SHT_NOBITS) {
        os.size = off + sh.sh_size;
      } else {
        os.data.resize(off, 0);
        if (sh.sh_type != SHT_NOBITS && d && d->d_buf) {
          if (d->d_size != sh.sh_size) return bad("section '" + name + "': short data");
          auto* p = static_cast<const uint8_t*>(d->d_buf);
          os.data.insert(os.data.end(), p, p + d->d_size);
        } else {
          os.data.resize(off + sh.sh_size, 0);
        }
      }
      placed_sec[i] = it->second;
      placed_off[i] = off;
      bi.placed[name] = {name, off};
    }
    if (!symtab) return bad("no symbol table");
    // Symbols: input index -> output index.
    GElf_Shdr symsh;
    gelf_getshdr(symtab, &symsh);
    Elf_Data* sd = elf_getdata(symtab, nullptr);
    size_t nsym = sd && symsh.sh_entsize ? sd->d_size / symsh.sh_entsize : 0;
    std::vector<size_t> symmap(nsym, 0);
    for (size_t s = 1; s < nsym; ++s) {
      GElf_Sym sym;
      if (!gelf_getsym(sd, static_cast<int>(s), &sym))
        return bad("bad symbol " + std::to_string(s));
      const char* sn = elf_strptr(e, symsh.sh_link, sym.st_name);
      std::string name = sn ? sn : "";
      uint8_t type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
      if (type == STT_FILE) continue;
      int osec = -1;
      uint64_t value = sym.st_value;
      if (sym.st_shndx != SHN_UNDEF && sym.st_shndx < SHN_LORESERVE) {
        if (sym.st_shndx >= nsec) return bad("symbol '" + name + "': bad section index");
        osec = placed_sec[sym.st_shndx];
        if (osec < 0) continue;  // a symbol in a dropped (debug) section
        value += placed_off[sym.st_shndx];
      }
      if (type == STT_SECTION) {
        // One section symbol per output section; relocations against it carry the piece offset.
        OutSym o;
        o.info = GELF_ST_INFO(STB_LOCAL, STT_SECTION);
        o.sec = osec;
        size_t idx = 0;
        for (size_t k = 1; k < syms.size(); ++k)
          if (GELF_ST_TYPE(syms[k].info) == STT_SECTION && syms[k].sec == osec) idx = k;
        if (!idx) {
          idx = syms.size();
          syms.push_back(o);
        }
        symmap[s] = idx;
        continue;
      }
      OutSym o{name, sym.st_info, sym.st_other, osec, value, sym.st_size};
      if (bind == STB_LOCAL) {
        symmap[s] = syms.size();
        syms.push_back(o);
        continue;
      }
      auto g = globals.find(name);
      if (g == globals.end()) {
        symmap[s] = syms.size();
        globals.emplace(name, syms.size());
        syms.push_back(o);
        continue;
      }
      OutSym& have = syms[g->second];
      bool have_def = have.sec >= 0, new_def = osec >= 0;
      if (have_def && new_def) {
        bool have_weak = GELF_ST_BIND(have.info) == STB_WEAK, new_weak = bind == STB_WEAK;
        bool same = have.sec == osec && have.value == value &&
                    (secs[osec].name == "license" || secs[osec].name == "version");
        if (!have_weak && !new_weak && !same)
          return bad("symbol '" + name + "' is defined in more than one input");
        if (have_weak && !new_weak) have = o;  // the strong definition wins
      } else if (new_def) {
        // An extern resolved here; the binding of the definition is kept.
        have = o;
      } else if (!have_def && bind == STB_GLOBAL) {
        have.info = o.info;  // a strong extern stays strong
      }
      symmap[s] = g->second;
    }
    // Relocations.
    for (size_t i = 1; i < nsec; ++i) {
      Elf_Scn* scn = elf_getscn(e, i);
      GElf_Shdr sh;
      gelf_getshdr(scn, &sh);
      if (sh.sh_type != SHT_REL) continue;
      if (sh.sh_info >= nsec || placed_sec[sh.sh_info] < 0) continue;  // debug/BTF relocations
      OutSec& os = secs[placed_sec[sh.sh_info]];
      uint64_t base = placed_off[sh.sh_info];
      GElf_Shdr tsh;
      gelf_getshdr(elf_getscn(e, sh.sh_info), &tsh);
      bool exec = tsh.sh_flags & SHF_EXECINSTR;
      Elf_Data* rd = elf_getdata(scn, nullptr);
      size_t n = rd && sh.sh_entsize ? rd->d_size / sh.sh_entsize : 0;
      for (size_t r = 0; r < n; ++r) {
        GElf_Rel rel;
        if (!gelf_getrel(rd, static_cast<int>(r), &rel)) return bad("bad relocation");
        size_t si = GELF_R_SYM(rel.r_info);
        uint32_t rtype = static_cast<uint32_t>(GELF_R_TYPE(rel.r_info));
        if (si >= nsym || (si && !symmap[si]))
          return bad("relocation " + std::to_string(r) + " of section " + std::to_string(i) +
                     ": bad symbol " + std::to_string(si));
        uint64_t at = base + rel.r_offset;
        if (at + 8 > os.data.size() && os.type != SHT_NOBITS)
          return bad("relocation offset out of its section");
        // Section-relative: the addend lives in the patched place and must move with the piece.
        GElf_Sym sym;
        gelf_getsym(sd, static_cast<int>(si), &sym);
        if (si && GELF_ST_TYPE(sym.st_info) == STT_SECTION && sym.st_shndx < nsec &&
            placed_sec[sym.st_shndx] >= 0) {
          uint64_t delta = placed_off[sym.st_shndx];
          if (delta) {
            if (exec && (rtype == kRelBpf64_64 || rtype == kRelBpf64_32)) {
              int32_t imm;
              std::memcpy(&imm, os.data.data() + at + 4, 4);
              imm += static_cast<int32_t>(rtype == kRelBpf64_32 ? delta / 8 : delta);
              std::memcpy(os.data.data() + at + 4, &imm, 4);
            } else if (rtype == 2 /* ABS64 */) {
              uint64_t v;
              std::memcpy(&v, os.data.data() + at, 8);
              v += delta;
              std::memcpy(os.data.data() + at, &v, 8);
            } else if (rtype == 3 /* ABS32 */ || rtype == 4 /* NODYLD32 */) {
              uint32_t v;
              std::memcpy(&v, os.data.data() + at, 4);
              v += static_cast<uint32_t>(delta);
              std::memcpy(os.data.data() + at, &v, 4);
            }
          }
        }
        os.rels.push_back({at, {static_cast<uint32_t>(symmap[si]), rtype}});
      }
    }
    btf_inputs.push_back(std::move(bi));
  }
  std::map<std::string, uint64_t> sizes;
  std::vector<std::string> order;
  for (const auto& os : secs) {
    sizes[os.name] = os.type == SHT_NOBITS ? os.size : os.data.size();
    order.push_back(os.name);
  }
  BOMBUS_ASSIGN_OR_RETURN(detail::BtfOutput btf, detail::merge_btf(btf_inputs, sizes, order));
  return write_object(secs, syms, btf);
}

Status link_files(const std::string& out, const std::vector<std::string>& inputs) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> in;
  for (const auto& path : inputs) {
    std::ifstream f(path, std::ios::binary);
    if (!f)
      return make_error(Errc::kNotFound, "failed to open '" + path + "': " + std::strerror(errno));
    in.emplace_back(path, std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {}));
  }
  BOMBUS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, link_objects(in));
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  if (!o)
    return make_error(Errc::kInvalid, "failed to create '" + out + "': " + std::strerror(errno));
  o.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!o) return make_error(Errc::kInvalid, "failed to write '" + out + "'");
  return {};
}

}  // namespace bombus::gen
