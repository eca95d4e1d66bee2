// Runs the cram-style golden files in tests/golden/cases. A case file is a sequence of
//   ## comment lines          (describe the next command)
//   $ command line            (run by bash with `bombus` on PATH, in a fresh temp dir + store)
//   expected output lines     (stdout and stderr interleaved, normalised, then "[rc N]" if N != 0)
// Commands share the case's directory
// and store, so a case can load a program and then show it. Set BOMBUS_UPDATE_GOLDEN=1 to
// rewrite the expected output from the actual output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Step {
  std::vector<std::string> comments;
  std::string command;
  std::string expected;
};

std::vector<Step> parse_case(const std::string& text) {
  std::vector<Step> steps;
  std::vector<std::string> comments;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0 || line == "##") {
      comments.push_back(line);  // "## " lines are comments of the next command
    } else if (line.rfind("$ ", 0) == 0) {
      steps.push_back({std::move(comments), line.substr(2), ""});
      comments.clear();
    } else if (!steps.empty()) {
      steps.back().expected += line + "\n";
    }
  }
  return steps;
}

std::string normalise(std::string out, const std::string& tmp) {
  size_t pos;
  while ((pos = out.find(tmp)) != std::string::npos) out.replace(pos, tmp.size(), "$TMP");
  static const std::regex kLoadedJson(R"("loaded_at":\d+)");
  static const std::regex kLoadedText(R"(loaded_at \S+)");
  static const std::regex kDuration(R"("duration":\d+)");
  static const std::regex kDurationText(R"(duration \d+ns)");
  static const std::regex kUid(R"(("uid":|uid )\d+)");
  static const std::regex kRate(R"([0-9.]+ ?(ns/packet|Mpps|pps|ns per packet))");
  out = std::regex_replace(out, kLoadedJson, "\"loaded_at\":X");
  out = std::regex_replace(out, kLoadedText, "loaded_at X");
  out = std::regex_replace(out, kDuration, "\"duration\":X");
  out = std::regex_replace(out, kDurationText, "duration Xns");
  out = std::regex_replace(out, kUid, "$1X");
  out = std::regex_replace(out, kRate, "X $1");
  return out;
}

std::string run(const std::string& cmd, const std::string& dir, int* rc) {
  std::string script = "cd '" + dir + "' && { " + cmd + " ; } 2>&1";
  FILE* p = ::popen(
      ("bash -c '" + std::regex_replace(script, std::regex("'"), "'\\''") + "'").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, Matches) {
  const fs::path file = GetParam();
  std::ifstream f(file);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto steps = parse_case(text);
  ASSERT_FALSE(steps.empty()) << file << " has no commands";

  char tmpl[] = "/tmp/bombus-golden-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string tmp = tmpl;
  const std::string cli_dir = fs::path(BOMBUS_CLI).parent_path().string();
  ::setenv("BOMBUS_ROOT", (tmp + "/store").c_str(), 1);
  ::setenv("PATH", (cli_dir + ":" + std::getenv("PATH")).c_str(), 1);
  ::setenv("PROGS", BOMBUS_BINARY_DIR "/tests/progs", 1);
  ::setenv("EXAMPLES", BOMBUS_BINARY_DIR "/examples", 1);
  ::setenv("SRC", BOMBUS_SOURCE_DIR, 1);
  ::setenv("TZ", "UTC", 1);
  // Tags use the running kernel's digest (SHA-1 before 6.18, SHA-256 after): pin one.
  ::setenv("BOMBUS_TAG_HASH", "sha256", 1);

  std::string rewritten;
  bool update = std::getenv("BOMBUS_UPDATE_GOLDEN") != nullptr;
  for (auto& s : steps) {
    for (auto& c : s.comments) rewritten += c + "\n";
    int rc = 0;
    std::string out = normalise(run(s.command, tmp, &rc), tmp);
    if (!out.empty() && out.back() != '\n') out += "\n";
    if (rc != 0) out += "[rc " + std::to_string(rc) + "]\n";
    rewritten += "$ " + s.command + "\n" + out;
    if (!update) EXPECT_EQ(out, s.expected) << "in " << file.filename() << ": $ " << s.command;
  }
  if (update) std::ofstream(file) << rewritten;
  fs::remove_all(tmp);
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(BOMBUS_GOLDEN_DIR)) {
    if (e.path().extension() == ".t") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string n = fs::path(info.param).stem().string();
  for (auto& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
});

}  // namespace
