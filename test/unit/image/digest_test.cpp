#include "image/digest.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::image;

TEST_CASE("sha256 digests match known values", "[image]") {
    CHECK(sha256Digest("") ==
          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Sha256 h;
    h.update("hello ");
    h.update("world");
    CHECK(h.digest() == sha256Digest("hello world"));
}

TEST_CASE("digests are validated", "[image]") {
    CHECK(validateDigest(sha256Digest("x")));
    CHECK_FALSE(validateDigest("sha256:abc"));
    CHECK_FALSE(validateDigest("md5:" + std::string(32, 'a')));
    CHECK_FALSE(validateDigest(std::string(64, 'a')));
    CHECK_FALSE(validateDigest("sha256:" + std::string(64, 'A')));
    auto r = validateDigest("sha256:xyz");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("sha256:xyz") != std::string::npos);
}
