// WWW-Authenticate parsing and credentials from docker-style config files.

#include "common/base64.hpp"
#include "common/files.hpp"
#include "image/auth.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::image;

TEST_CASE("WWW-Authenticate challenges parse with quoted and bare parameters", "[auth]") {
    auto cs = parseWwwAuthenticate(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
        R"(scope="repository:library/alpine:pull")");
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].scheme == "bearer");
    CHECK(cs[0].params.at("realm") == "https://auth.docker.io/token");
    CHECK(cs[0].params.at("service") == "registry.docker.io");
    CHECK(cs[0].params.at("scope") == "repository:library/alpine:pull");

    auto basic = parseWwwAuthenticate(R"(Basic realm="Registry Realm")");
    REQUIRE(basic.size() == 1);
    CHECK(basic[0].scheme == "basic");
    CHECK(basic[0].params.at("realm") == "Registry Realm");

    auto two = parseWwwAuthenticate(
        R"(Basic realm=x, Bearer Realm="http://127.0.0.1:1/t", error="invalid_token",)"
        R"( scope="a:b:pull,push" , service = reg)");
    REQUIRE(two.size() == 2);
    CHECK(two[0].params.at("realm") == "x");
    CHECK(two[1].scheme == "bearer");
    CHECK(two[1].params.at("realm") == "http://127.0.0.1:1/t");
    CHECK(two[1].params.at("scope") == "a:b:pull,push");
    CHECK(two[1].params.at("service") == "reg");

    auto escaped = parseWwwAuthenticate(R"(Bearer realm="a\"b")");
    CHECK(escaped.at(0).params.at("realm") == "a\"b");
    CHECK(parseWwwAuthenticate("").empty());
}

TEST_CASE("a token server's answer gives its token or OAuth's access_token", "[auth]") {
    CHECK(tokenFromAnswer(R"({"token":"t1","access_token":"a1"})") == "t1");
    CHECK(tokenFromAnswer(R"({"access_token":"a1","expires_in":300})") == "a1");
    CHECK(tokenFromAnswer(R"({"token":5,"access_token":"a1"})") == "a1");
    CHECK(tokenFromAnswer(R"({"token":""})").empty());
    CHECK(tokenFromAnswer(R"(["token"])").empty());
    CHECK(tokenFromAnswer("not json").empty());
}

TEST_CASE("credentials are found by host in config.json", "[auth]") {
    const std::string config = R"({"auths": {
        "127.0.0.1:5000": {"auth": ")" +
                               base64Encode("alice:s3cr:et") + R"("},
        "https://index.docker.io/v1/": {"auth": ")" +
                               base64Encode("hub:pw") + R"("},
        "ghcr.io": {"username": "bob", "password": "pw2"},
        "empty.example": {}
    }})";
    auto local = lookupCredentials(config, "127.0.0.1:5000");
    REQUIRE(local);
    REQUIRE(*local);
    CHECK((*local)->username == "alice");
    CHECK((*local)->password == "s3cr:et");

    for (auto host : {"docker.io", "registry-1.docker.io", "index.docker.io"}) {
        auto hub = lookupCredentials(config, host).value();
        REQUIRE(hub);
        CHECK(hub->username == "hub");
    }
    auto ghcr = lookupCredentials(config, "GHCR.io").value();
    REQUIRE(ghcr);
    CHECK(ghcr->password == "pw2");

    CHECK_FALSE(lookupCredentials(config, "127.0.0.1:5001").value());
    CHECK_FALSE(lookupCredentials(config, "empty.example").value());
    CHECK_FALSE(lookupCredentials(R"({"credsStore":"desktop"})", "ghcr.io").value());

    auto bad = lookupCredentials("not json", "x");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::InvalidArgument);
    auto badAuth =
        lookupCredentials(R"({"auths":{"x":{"auth":")" + base64Encode("nocolon") + R"("}}})", "x");
    REQUIRE_FALSE(badAuth);
    CHECK(badAuth.error().message().find("user:password") != std::string::npos);

    CHECK(basicAuthorization({"alice", "pw", ""}) == "Basic " + base64Encode("alice:pw"));
}

TEST_CASE("a missing or unset config file means no credentials", "[auth]") {
    CHECK_FALSE(loadCredentials("", "x").value());
    CHECK_FALSE(loadCredentials("/nonexistent/config.json", "x").value());
    auto dir = TempDir::create("faasd-auth-").value();
    auto path = (dir.path() / "config.json").string();
    REQUIRE(writeFileAtomic(path, R"({"auths":{"x":{"username":"u","password":"p"}}})"));
    auto found = loadCredentials(path, "x").value();
    REQUIRE(found);
    CHECK(found->username == "u");
    REQUIRE(writeFileAtomic(path, "{"));
    auto broken = loadCredentials(path, "x");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message().find(path) != std::string::npos);
}
