#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "image/digest.hpp"
#include "image/layer.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::image;
using namespace std::chrono_literals;

TEST_CASE("a layer is a gzip tar with matching digests", "[image]") {
    LayerBuilder b;
    b.addFile("/home/app/handler", "#!/bin/sh\ncat\n", 0755, 1000, 1000);
    b.addSymlink("/bin/sh", "busybox");
    b.addDirectory("/tmp", 01777);
    auto layer = b.build();
    REQUIRE(layer);
    CHECK(layer->digest == sha256Digest(layer->blob));
    CHECK(layer->descriptor().size == static_cast<int64_t>(layer->blob.size()));

    // tar itself agrees on the content, owners and modes.
    auto dir = TempDir::create("faasd-layer-").value();
    REQUIRE(writeFileAtomic(dir.path() / "layer.tgz", layer->blob));
    auto listing = run({.argv = {"tar", "-tvzf", (dir.path() / "layer.tgz").string()}}, "", 10s);
    REQUIRE(listing);
    CHECK(listing->status == 0);
    CHECK(listing->out.find("home/app/handler") != std::string::npos);
    CHECK(listing->out.find("-rwxr-xr-x 1000/1000") != std::string::npos);
    CHECK(listing->out.find("bin/sh -> busybox") != std::string::npos);
    CHECK(listing->out.find("drwxrwxrwt") != std::string::npos);
    // Parents were added.
    CHECK(listing->out.find(" home/\n") != std::string::npos);

    auto unzipped = run({.argv = {"gzip", "-dc", (dir.path() / "layer.tgz").string()}}, "", 10s);
    REQUIRE(unzipped);
    CHECK(sha256Digest(unzipped->out) == layer->diffId);
}

TEST_CASE("layers are reproducible", "[image]") {
    auto make = [] {
        LayerBuilder b;
        b.addFile("/a", "x");
        return b.build().value();
    };
    CHECK(make().digest == make().digest);
}
