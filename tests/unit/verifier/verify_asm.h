// Test helper shared by the verifier tests: assemble a program from text (isa::assemble's
// dialects) and verify it as a GPL program of the given type, failing the test on a syntax error.
#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <utility>
#include <vector>

#include "isa/asm.h"
#include "verifier/verifier.h"

namespace bombus::verifier::test_support {

inline Program assemble_program(platform::ProgType type, std::string_view text,
                                std::vector<MapInfo> maps = {}) {
  Program p;
  auto insns = isa::assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().format());
  if (insns.ok()) p.insns = *insns;
  p.type = type;
  p.gpl = true;
  p.maps = std::move(maps);
  return p;
}

inline Report verify_asm(platform::ProgType type, std::string_view text,
                         std::vector<MapInfo> maps = {}) {
  return verify(assemble_program(type, text, std::move(maps)), {});
}

}  // namespace bombus::verifier::test_support
