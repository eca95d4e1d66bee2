// `bombus gen object`: static linking of BPF ELF objects into one, with libbpf's linker
// semantics — same-named sections concatenated (aligned), symbol tables merged with
// extern/weak/global resolution, relocations re-targeted, and .BTF/.BTF.ext merged (types
// appended with id remapping, DATASECs merged, func/line info offsets adjusted).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace bombus::gen {

// Links the inputs (whole ELF file contents, with names for messages) into one ELF object.
[[nodiscard]] Result<std::vector<uint8_t>> link_objects(
    const std::vector<std::pair<std::string, std::vector<uint8_t>>>& inputs);

// Reads the input files, links them and writes `out`.
[[nodiscard]] Status link_files(const std::string& out, const std::vector<std::string>& inputs);

}  // namespace bombus::gen
