// Archive export and import against a real containerd: an OCI layout
// round trip keeps the image's digest, and a `docker save` archive made
// here (uncompressed layer tars) imports and unpacks.

#include "catch_result.hpp"
#include "common/files.hpp"
#include "image/archive.hpp"
#include "image/digest.hpp"
#include "image/store.hpp"
#include "image_test_support.hpp"
#include "test_image.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::image;
using faasd::testing::Ns;

namespace {

// The uncompressed tar inside a gzip layer blob.
std::string gunzip(const std::string& blob) {
    struct archive* a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
    REQUIRE(archive_read_open_memory(a, blob.data(), blob.size()) == ARCHIVE_OK);
    struct archive_entry* entry = nullptr;
    REQUIRE(archive_read_next_header(a, &entry) == ARCHIVE_OK);
    std::string out;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<size_t>(n));
    }
    archive_read_free(a);
    return out;
}

// Writes a tar of (path, content) files.
void writeTar(const std::filesystem::path& path,
              const std::vector<std::pair<std::string, std::string>>& files) {
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
    for (const auto& [name, content] : files) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
        REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
        REQUIRE(archive_write_data(a, content.data(), content.size()) ==
                static_cast<la_ssize_t>(content.size()));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

} // namespace

TEST_CASE("an exported image imports again with the same digest", "[archive]") {
    Ns ns;
    auto& c = ns.client;
    const std::string name = "docker.io/faasd/roundtrip:1";
    auto stored = testing::storeBusyboxImage(c, name, {"sh", "-c", "echo from archive"});
    REQUIRE(stored);
    auto dir = TempDir::create("faasd-it-archive-").value();
    auto tar = dir.path() / "image.tar";
    REQUIRE(exportArchive(c, name, tar));

    REQUIRE(c.images().remove(name, true));
    testing::waitForEmpty(c);
    REQUIRE(c.content().list().value().empty());

    auto imported = importArchive(c, tar, ""); // the name comes from the archive
    REQUIRE(imported);
    CHECK(imported->name == name);
    CHECK(imported->target.digest == stored->target.digest);
    CHECK(c.leases().list().value().empty());

    auto resolved = resolveImage(c, name);
    REQUIRE(resolved);
    auto run = testing::runImage(c, *resolved);
    REQUIRE(run);
    CHECK(run->output == "from archive\n");

    // Importing again, under another name, changes nothing in the store.
    auto again = importArchive(c, tar, "faasd/other:2");
    REQUIRE(again);
    CHECK(again->name == "docker.io/faasd/other:2");
    CHECK(again->target.digest == stored->target.digest);

    REQUIRE(c.images().remove(name, true));
    REQUIRE(c.images().remove(again->name, true));
    testing::checkNothingLeft(c);
}

TEST_CASE("a docker save archive imports with uncompressed layers and unpacks", "[archive]") {
    Ns ns;
    auto& c = ns.client;
    auto layer = testing::busyboxLayer();
    REQUIRE(layer);
    const std::string tarLayer = gunzip(layer->blob);
    REQUIRE(sha256Digest(tarLayer) == layer->diffId);
    ImageConfig config;
    config.cmd = {"sh", "-c", "echo from docker"};
    config.diffIds = {layer->diffId};
    const std::string configJson = toJson(config);
    const std::string configHex = sha256Digest(configJson).substr(7);
    const std::string manifest = R"([{"Config":")" + configHex +
                                 R"(.json","RepoTags":)"
                                 R"(["faasd/saved:3"],"Layers":["abc123/layer.tar"]}])";
    auto dir = TempDir::create("faasd-it-docker-").value();
    auto tar = dir.path() / "saved.tar";
    writeTar(tar, {{configHex + ".json", configJson},
                   {"abc123/VERSION", "1.0"},
                   {"abc123/layer.tar", tarLayer},
                   {"manifest.json", manifest},
                   {"repositories", "{}"}});

    auto imported = importArchive(c, tar, "");
    REQUIRE(imported);
    CHECK(imported->name == "docker.io/faasd/saved:3");
    auto resolved = resolveImage(c, imported->name);
    REQUIRE(resolved);
    REQUIRE(resolved->manifest.layers.size() == 1);
    CHECK(resolved->manifest.layers[0].digest == layer->diffId);
    auto run = testing::runImage(c, *resolved);
    REQUIRE(run);
    CHECK(run->output == "from docker\n");

    REQUIRE(c.images().remove(imported->name, true));
    testing::checkNothingLeft(c);
}

TEST_CASE("archives that are not images are refused clearly", "[archive]") {
    Ns ns;
    auto& c = ns.client;
    auto dir = TempDir::create("faasd-it-bad-").value();
    auto tar = dir.path() / "bad.tar";
    writeTar(tar, {{"hello.txt", "hi"}});
    auto r = importArchive(c, tar, "x/y:1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::InvalidArgument);
    CHECK(r.error().message().find("index.json") != std::string::npos);

    auto missing = importArchive(c, dir.path() / "missing.tar", "x/y:1");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("missing.tar") != std::string::npos);

    auto noImage = exportArchive(c, "docker.io/faasd/none:1", dir.path() / "out.tar");
    REQUIRE_FALSE(noImage);
    CHECK(noImage.error().code() == Code::NotFound);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "out.tar"));
    testing::checkNothingLeft(c);
}
