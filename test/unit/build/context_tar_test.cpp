// The builder's upload: what a good tar becomes, and every bad one refused
// with nothing left behind.

#include "build/context_tar.hpp"
#include "catch_result.hpp"
#include "common/files.hpp"
#include "tar_writer.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using namespace faasd;
using namespace faasd::build;
using namespace faasd::build::test;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kLimit = 1 << 20;

bool emptyDir(const fs::path& dir) {
    return fs::is_directory(dir) && fs::is_empty(dir);
}

unsigned modeOf(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// Extracts tar into a fresh folder; expects InvalidArgument mentioning
// `says` and an empty folder afterwards.
void refused(const std::string& tar, std::string_view says, uint64_t limit = kLimit) {
    auto dir = TempDir::create("faasd-tar-test-");
    REQUIRE(dir);
    auto out = extractContextTar(tar, dir->path(), limit);
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::InvalidArgument);
    INFO(out.error().message());
    CHECK(out.error().message().find(says) != std::string::npos);
    CHECK(emptyDir(dir->path()));
}

TarWriter withConfig() {
    TarWriter t;
    t.config(kConfig).dir("context/");
    return t;
}

} // namespace

TEST_CASE("a good upload: nested folders, modes, in-context links and the config",
          "[context_tar]") {
    auto dir = TempDir::create("faasd-tar-test-");
    REQUIRE(dir);
    TarWriter t;
    t.dir("./")
        .dir("context/")
        .file("context/template.yml", "language: go\n")
        .dir("context/function/", 0750)
        .file("context/function/handler.go", "package function\n")
        .file("context/function/run.sh", "#!/bin/sh\n", 0755)
        .file("context/function/deep/er/x.txt", "deep") // folders made on the way
        .symlink("context/function/link", "run.sh")
        .symlink("context/function/deep/up", "../../template.yml")
        .symlink("context/function/deep/er/self", "./x.txt")
        .hardlink("context/copy.yml", "context/template.yml")
        .config(kConfig);
    auto out = extractContextTar(t.str(), dir->path(), kLimit);
    REQUIRE(out);
    const fs::path ctx = dir->path() / "context";
    CHECK(out->context == ctx);
    CHECK(readFile(ctx / "template.yml").value() == "language: go\n");
    CHECK(readFile(ctx / "function/handler.go").value() == "package function\n");
    CHECK(readFile(ctx / "function/deep/er/x.txt").value() == "deep");
    CHECK(modeOf(ctx / "function/run.sh") == 0755);
    CHECK(modeOf(ctx / "function/handler.go") == 0644);
    CHECK(modeOf(ctx / "function") == 0750);
    CHECK(modeOf(ctx / "function/deep") == 0755);
    CHECK(fs::read_symlink(ctx / "function/link") == "run.sh");
    CHECK(fs::read_symlink(ctx / "function/deep/up") == "../../template.yml");
    CHECK(readFile(ctx / "function/deep/up").value() == "language: go\n");
    CHECK(readFile(ctx / "copy.yml").value() == "language: go\n");
    CHECK(fs::equivalent(ctx / "copy.yml", ctx / "template.yml"));
    CHECK_FALSE(fs::exists(dir->path() / "com.openfaas.docker.config"));
    CHECK(out->config.image == "127.0.0.1:5000/say:latest");
    CHECK(out->config.buildArgs == std::map<std::string, std::string>{{"GO111", "on"}});
    CHECK(out->config.platforms == std::vector<std::string>{"linux/amd64"});
    CHECK_FALSE(out->config.skipPush);
    CHECK(out->bytes == 13 + 17 + 10 + 4 + kConfig.size());
}

TEST_CASE("setuid and sticky bits are dropped", "[context_tar]") {
    auto dir = TempDir::create("faasd-tar-test-");
    REQUIRE(dir);
    auto out =
        extractContextTar(withConfig().file("context/s", "x", 04755).str(), dir->path(), kLimit);
    REQUIRE(out);
    CHECK(modeOf(dir->path() / "context/s") == 0755);
}

TEST_CASE("not a tar, or a broken one", "[context_tar]") {
    refused("this is not a tar at all, just text that is long enough to look at........",
            "not a tar");
    refused("", "");
    std::string truncated = withConfig().file("context/a", std::string(4000, 'a')).str();
    truncated.resize(1536 + 1024); // the header and part of the data, no end
    refused(truncated, "");
}

TEST_CASE("paths that climb out or start at the root", "[context_tar]") {
    refused(withConfig().file("../evil", "x").str(), "\"..\"");
    refused(withConfig().file("context/../../evil", "x").str(), "\"..\"");
    refused(withConfig().file("context/function/../x", "x").str(), "\"..\"");
    refused(withConfig().file("/etc/evil", "x").str(), "absolute");
    refused(withConfig().dir("/context/").str(), "absolute");
}

TEST_CASE("entries outside context/ and the config", "[context_tar]") {
    refused(withConfig().file("other.txt", "x").str(), "outside context/");
    refused(withConfig().file("contextual/x", "x").str(), "outside context/");
    refused(withConfig().file("context", "not a folder").str(), "not a folder");
}

TEST_CASE("symlinks that leave context/", "[context_tar]") {
    refused(withConfig().symlink("context/l", "/etc/passwd").str(), "absolute");
    refused(withConfig().symlink("context/l", "..").str(), "leaves context/");
    refused(withConfig().symlink("context/l", "../context/x").str(), "leaves context/");
    refused(withConfig().symlink("context/a/l", "../../x").str(), "leaves context/");
    refused(withConfig().symlink("context/a/b/l", "./../../../x").str(), "leaves context/");
    // ".." after a name could climb through another link: refused outright.
    refused(withConfig().symlink("context/a/s", "..").symlink("context/l", "a/s/../..").str(),
            "after its start");
    refused(withConfig().symlink("context/l", "").str(), "without a target");
    refused(withConfig().symlink("com.openfaas.docker.config", "context/x").str(),
            "not a regular file");
}

TEST_CASE("nothing is written through a link", "[context_tar]") {
    // An in-context link to a folder, then a file under the link's name.
    refused(withConfig()
                .dir("context/function/")
                .symlink("context/f", "function")
                .file("context/f/x", "x")
                .str(),
            "not a folder");
    refused(withConfig().symlink("context/f", "x").file("context/f", "over").str(), "twice");
}

TEST_CASE("hard links must name an earlier file in context/", "[context_tar]") {
    refused(withConfig().hardlink("context/h", "/etc/passwd").str(), "absolute");
    refused(withConfig().hardlink("context/h", "com.openfaas.docker.config").str(),
            "leaves context/");
    refused(withConfig().hardlink("context/h", "context/../x").str(), "\"..\"");
    refused(withConfig().hardlink("context/h", "context/missing").str(), "not an earlier file");
    refused(withConfig().dir("context/d/").hardlink("context/h", "context/d").str(),
            "not an earlier file");
}

TEST_CASE("devices, fifos and duplicate entries", "[context_tar]") {
    refused(withConfig().special("context/c", '3').str(), "character device");
    refused(withConfig().special("context/b", '4').str(), "block device");
    refused(withConfig().special("context/f", '6').str(), "fifo");
    refused(withConfig().file("context/a", "1").file("context/a", "2").str(), "twice");
    refused(withConfig().config(kConfig).str(), "twice");
}

TEST_CASE("a missing or unusable config", "[context_tar]") {
    TarWriter noConfig;
    noConfig.file("context/a", "x");
    refused(noConfig.str(), "no com.openfaas.docker.config");
    TarWriter noContext;
    noContext.config(kConfig);
    refused(noContext.str(), "no context/");
    refused(TarWriter().config("not json").dir("context/").str(), "not a JSON object");
    refused(TarWriter().config(R"({"buildArgs":{}})").dir("context/").str(), "\"image\"");
    refused(TarWriter().config(R"({"image":"Not A/Valid Image!"})").dir("context/").str(), "image");
    refused(TarWriter().config(R"({"image":"a:1","buildArgs":{"A":1}})").dir("context/").str(),
            "buildArgs.A");
    refused(TarWriter().config(R"({"image":"a:1","platforms":"linux"})").dir("context/").str(),
            "platforms");
    refused(TarWriter().config(R"({"image":"a:1","skipPush":"yes"})").dir("context/").str(),
            "skipPush");
}

TEST_CASE("what the config may leave out", "[context_tar]") {
    auto c = parseBuilderConfig(
        R"({"image":"say","buildArgs":null,"platforms":null,"skipPush":true,"extra":1})");
    REQUIRE(c);
    CHECK(c->image == "say");
    CHECK(c->buildArgs.empty());
    CHECK(c->platforms.empty());
    CHECK(c->skipPush);
    c = parseBuilderConfig(R"({"image":"say"})");
    REQUIRE(c);
    CHECK_FALSE(c->skipPush);
}

TEST_CASE("unpacking stops at the limit", "[context_tar]") {
    // Counted as it unpacks: one file over the limit...
    refused(withConfig().file("context/big", std::string(10000, 'x')).str(), "more than 4096",
            4096);
    // ...or many small ones that add up.
    TarWriter many = withConfig();
    for (int i = 0; i < 10; ++i) {
        many.file("context/f" + std::to_string(i), std::string(1000, 'x'));
    }
    refused(many.str(), "more than 4096", 4096);
}
