// Runs every tests/data/verifier/*.case file through verify() and compares verdict, error text,
// error instruction and log fragments with the file's expectations.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "case_file.h"

namespace bombus::verifier::testing {
namespace {

std::vector<std::filesystem::path> case_files() {
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir = std::filesystem::path(BOMBUS_SOURCE_DIR) / "tests/data/verifier";
  if (!std::filesystem::exists(dir)) return out;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".case") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class VerifierCase : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(VerifierCase, MatchesExpectation) {
  std::ifstream f(GetParam());
  std::stringstream ss;
  ss << f.rdbuf();
  Case c = parse_case(GetParam().stem().string(), ss.str());
  ASSERT_TRUE(c.problem.empty()) << GetParam() << ": " << c.problem;
  Options o;
  o.log_level = 1;
  Report r = verify(c.prog, o);
  EXPECT_EQ(r.accepted, c.expect_accept) << "error: " << r.error << "\nlog:\n" << r.log;
  if (!c.error.empty())
    EXPECT_NE(r.error.find(c.error), std::string::npos)
        << "expected error containing '" << c.error << "', got '" << r.error << "'\nlog:\n"
        << r.log;
  if (c.insn >= 0) EXPECT_EQ(r.error_insn, c.insn) << r.log;
  for (const auto& frag : c.log)
    EXPECT_NE(r.log.find(frag), std::string::npos) << "log lacks '" << frag << "':\n" << r.log;
  if (c.processed_max) EXPECT_LE(r.insns_processed, c.processed_max) << r.log;
  EXPECT_NE(r.log.find("processed "), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Data, VerifierCase, ::testing::ValuesIn(case_files()),
                         [](const auto& info) {
                           std::string n = info.param.stem().string();
                           std::replace_if(
                               n.begin(), n.end(), [](char ch) { return !isalnum(ch); }, '_');
                           return n;
                         });

}  // namespace
}  // namespace bombus::verifier::testing
