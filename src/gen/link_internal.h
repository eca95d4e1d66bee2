// Internal types of the static linker shared by its ELF part (link.cc) and its BTF part
// (link_btf.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace bombus::gen::detail {

// Where one input section landed in the output: output section name and byte offset.
struct Placement {
  std::string out_name;
  uint64_t dst_off = 0;
};

// One input's view for the BTF merge: its raw .BTF / .BTF.ext and where its sections went
// (by input section name).
struct BtfInput {
  std::string file;
  std::vector<uint8_t> btf;
  std::vector<uint8_t> btf_ext;
  std::map<std::string, Placement> placed;  // input section name -> placement
};

struct BtfOutput {
  std::vector<uint8_t> btf;
  std::vector<uint8_t> btf_ext;
};

// Merges the inputs' BTF: types appended with id remapping, strings deduplicated, DATASECs of
// the same name merged (entries moved by the section's placement, extern VARs dropped where a
// definition exists), BTF.ext records re-based. `sec_sizes` gives output section sizes.
[[nodiscard]] Result<BtfOutput> merge_btf(const std::vector<BtfInput>& inputs,
                                          const std::map<std::string, uint64_t>& sec_sizes,
                                          const std::vector<std::string>& sec_order);

}  // namespace bombus::gen::detail
