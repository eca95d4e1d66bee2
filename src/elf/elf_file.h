// A read-only view of an eBPF relocatable ELF object (what `clang -target bpf -c` writes), read
// through libelf from a file or a memory buffer. The bytes are copied once into an owned buffer;
// sections, symbols and names are views into it, so an ElfFile must outlive every view it hands
// out. Only 64-bit little-endian EM_BPF objects are accepted; every malformed table is reported
// with the section (and entry) it was found in, never trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct Elf;  // libelf handle

namespace bombus::elf {

// ELF constants used by the loader (values from <elf.h>).
inline constexpr uint32_t kShtNull = 0, kShtProgbits = 1, kShtSymtab = 2, kShtStrtab = 3,
                          kShtRela = 4, kShtNobits = 8, kShtRel = 9;
inline constexpr uint64_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExecinstr = 0x4;
inline constexpr uint8_t kStbLocal = 0, kStbGlobal = 1, kStbWeak = 2;
inline constexpr uint8_t kSttNotype = 0, kSttObject = 1, kSttFunc = 2, kSttSection = 3,
                         kSttFile = 4;
inline constexpr uint16_t kShnUndef = 0, kShnLoreserve = 0xff00, kShnAbs = 0xfff1,
                          kShnCommon = 0xfff2;
inline constexpr uint8_t kStvDefault = 0, kStvHidden = 2;
inline constexpr uint16_t kEmBpf = 247;
// BPF relocation types.
inline constexpr uint32_t kRBpfNone = 0, kRBpf64_64 = 1, kRBpfAbs64 = 2, kRBpfAbs32 = 3,
                          kRBpfNodyld32 = 4, kRBpf64_32 = 10;

struct Section {
  uint32_t index = 0;
  std::string_view name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t size = 0;
  uint64_t entsize = 0;
  uint64_t addralign = 0;
  // Contents; empty for SHT_NOBITS (.bss) and empty sections. `size` still gives the size.
  std::span<const uint8_t> data;

  bool is_exec() const { return type == kShtProgbits && (flags & kShfExecinstr); }
};

struct Symbol {
  uint32_t index = 0;
  std::string_view name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t bind = 0;
  uint8_t type = 0;
  uint8_t visibility = 0;
  uint16_t shndx = 0;
};

struct Reloc {
  uint64_t offset = 0;  // byte offset in the target section
  uint32_t sym = 0;     // symbol index
  uint32_t type = 0;    // R_BPF_*
  int64_t addend = 0;   // SHT_RELA only
};

class ElfFile {
 public:
  ElfFile(ElfFile&&) noexcept;
  ElfFile& operator=(ElfFile&&) noexcept;
  ~ElfFile();

  // Parses `bytes` (copied). `name` is used in error messages only.
  static Result<ElfFile> open(std::span<const uint8_t> bytes, std::string name = "");
  static Result<ElfFile> open_file(const std::string& path);

  const std::string& name() const { return name_; }
  // All sections in index order; sections()[i].index == i (index 0 is the null section).
  const std::vector<Section>& sections() const { return sections_; }
  const Section* section(uint32_t index) const {
    return index < sections_.size() ? &sections_[index] : nullptr;
  }
  const Section* find_section(std::string_view name) const;
  // The symbol table (symbols()[0] is the null symbol); empty when there is none.
  const std::vector<Symbol>& symbols() const { return symbols_; }
  const Symbol* symbol(uint32_t index) const {
    return index < symbols_.size() ? &symbols_[index] : nullptr;
  }
  uint32_t symtab_index() const { return symtab_index_; }
  // Entries of an SHT_REL / SHT_RELA section; symbol indexes are checked against the symbol table.
  Result<std::vector<Reloc>> relocations(const Section& rel) const;
  // Relocation sections (SHT_REL/SHT_RELA) whose sh_info names `target_index`.
  std::vector<const Section*> relocation_sections_for(uint32_t target_index) const;

  // The NUL-terminated string in the "license" section ("" when absent).
  std::string_view license() const;
  // The u32 in the "version" section, when present.
  std::optional<uint32_t> kern_version() const;
  // The whole file.
  std::span<const uint8_t> bytes() const { return {buf_.get(), size_}; }

 private:
  ElfFile() = default;
  Status load();
  Error err(std::string msg, const Section* s = nullptr) const;

  std::string name_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t size_ = 0;
  ::Elf* elf_ = nullptr;
  std::vector<Section> sections_;
  std::vector<Symbol> symbols_;
  uint32_t symtab_index_ = 0;
};

// libbpf's object name for a path: the file name up to its first '.' ("/x/fw.bpf.o" -> "fw").
std::string object_name_from_path(std::string_view path);

}  // namespace bombus::elf
