// Program tags against the kernel. The digest itself (SHA-256 known answers, the kernel's
// masking of map immediates, which kernel release uses which digest) is checked everywhere; with
// root and bpf() every corpus object is also loaded by libbpf and each program's tag read back
// with bpf_obj_get_info_by_fd must equal the tag bombus reports for the same object — from
// `prog verify -j` (every program, accepted or not) and from `prog show -j` after `prog loadall`
// (the programs bombus accepts).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "bombus_progs.h"
#include "store/prog_tag.h"

namespace fs = std::filesystem;

namespace bombus::store {
namespace {

std::string hex256(std::string_view s) {
  auto d = sha256({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  return to_hex(d, "");
}

TEST(ContractTag, Sha256KnownAnswers) {
  EXPECT_EQ(hex256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the length no longer fits the first padded block.
  EXPECT_EQ(hex256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      hex256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
             "nopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(hex256(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(ContractTag, DigestFollowsKernelRelease) {
  EXPECT_EQ(tag_hash_for_release("6.1.0-18-amd64"), TagHash::kSha1);
  EXPECT_EQ(tag_hash_for_release("6.17.9"), TagHash::kSha1);
  EXPECT_EQ(tag_hash_for_release("6.18.44-fc"), TagHash::kSha256);
  EXPECT_EQ(tag_hash_for_release("7.0"), TagHash::kSha256);
  EXPECT_EQ(tag_hash_for_release("5.15"), TagHash::kSha1);
  EXPECT_EQ(tag_hash_for_release("garbage"), TagHash::kSha1);
}

// r1 = map (lddw, src `src`, imms a/b); r0 = 0; exit
std::vector<uint8_t> map_load_prog(uint8_t src, int32_t a, int32_t b) {
  std::vector<uint8_t> p(32, 0);
  p[0] = 0x18;
  p[1] = static_cast<uint8_t>(src << 4 | 1);
  std::memcpy(&p[4], &a, 4);
  std::memcpy(&p[12], &b, 4);
  p[16] = 0xb7;  // mov r0, 0
  p[24] = 0x95;  // exit
  return p;
}

TEST(ContractTag, MapImmediatesDoNotChangeTheTag) {
  for (TagHash h : {TagHash::kSha1, TagHash::kSha256}) {
    // Map fds and value offsets differ from load to load; the tag must not.
    EXPECT_EQ(prog_tag(map_load_prog(1, 3, 0), h), prog_tag(map_load_prog(1, 7, 0), h));
    EXPECT_EQ(prog_tag(map_load_prog(2, 3, 16), h), prog_tag(map_load_prog(2, 9, 24), h));
    // A plain 64-bit constant is part of the program.
    EXPECT_NE(prog_tag(map_load_prog(0, 3, 0), h), prog_tag(map_load_prog(0, 7, 0), h));
    EXPECT_EQ(prog_tag(map_load_prog(1, 3, 0), h).size(), 16u);
  }
  EXPECT_NE(prog_tag(map_load_prog(1, 3, 0), TagHash::kSha1),
            prog_tag(map_load_prog(1, 3, 0), TagHash::kSha256));
}

std::string run_cli(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// Program name (as the kernel keeps it, 15 chars) -> tag, for one object loaded by libbpf.
std::optional<std::map<std::string, std::string>> kernel_tags(const std::string& path) {
  bpf_object* o = bpf_object__open_file(path.c_str(), nullptr);
  if (!o) return std::nullopt;
  std::optional<std::map<std::string, std::string>> out;
  if (bpf_object__load(o) == 0) {
    out.emplace();
    bpf_program* p;
    bpf_object__for_each_program(p, o) {
      bpf_prog_info info;
      std::memset(&info, 0, sizeof info);
      uint32_t len = sizeof info;
      if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) != 0) continue;
      (*out)[info.name] = to_hex(std::span<const uint8_t>(info.tag, 8), "");
    }
  }
  bpf_object__close(o);
  return out;
}

TEST(ContractTag, CorpusMatchesKernel) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for bpf()";
  libbpf_set_print(nullptr);
  if (!kernel_tags(progs::path("xdp_fw"))) GTEST_SKIP() << "the kernel does not load xdp_fw here";
  char tmpl[] = "/tmp/bombus-tag-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string tmp = tmpl;
  const std::string cli = std::string(BOMBUS_CLI) + " --root " + tmp + "/store";
  size_t compared_verify = 0, compared_show = 0;
  for (const char* name : progs::kNames) {
    const std::string obj = progs::path(name);
    auto kernel = kernel_tags(obj);
    if (!kernel) continue;  // the kernel rejects it here: nothing to compare with
    auto verify = nlohmann::json::parse(run_cli(cli + " -j prog verify " + obj + " 2>/dev/null"),
                                        nullptr, false);
    ASSERT_TRUE(verify.is_array()) << name;
    for (const auto& v : verify) {
      std::string pname = v.value("name", "").substr(0, 15);
      if (!kernel->count(pname)) continue;
      EXPECT_EQ(v.value("tag", ""), (*kernel)[pname]) << name << "/" << pname << " (prog verify)";
      ++compared_verify;
    }
    // `prog show` after a load for a few quick objects (maps, subprograms, tail calls); the
    // others were compared through `prog verify`, which computes the tag the same way.
    static const std::set<std::string> kShown = {"xdp_fw",        "subprogs", "prog_array",
                                                 "socket_filter", "tc_prog",  "map_attrs"};
    if (!kShown.count(name)) continue;
    const std::string pins = tmp + "/" + name;
    run_cli(cli + " prog loadall " + obj + " " + pins + " >/dev/null 2>&1");
    for (const auto& [pname, tag] : *kernel) {
      if (!fs::exists(pins)) break;  // bombus rejected the object (covered by verify above)
      for (const auto& e : fs::directory_iterator(pins)) {
        auto show = nlohmann::json::parse(
            run_cli(cli + " -j prog show pinned " + e.path().string()), nullptr, false);
        if (!show.is_object() || show.value("name", "") != pname) continue;
        EXPECT_EQ(show.value("tag", ""), tag) << name << "/" << pname << " (prog show)";
        ++compared_show;
      }
    }
  }
  fs::remove_all(tmp);
  EXPECT_GT(compared_verify, 10u);
  EXPECT_GT(compared_show, 5u);
  std::printf("compared %zu tags from prog verify, %zu from prog show (%s)\n", compared_verify,
              compared_show, std::string(tag_hash_name(host_tag_hash())).c_str());
}

}  // namespace
}  // namespace bombus::store
