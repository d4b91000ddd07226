#include "common/files.hpp"
#include "network/netns.hpp"
#include "spare_netns.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;

// Creating and mounting namespaces needs root: see the integration tests.

TEST_CASE("checkNetns tells a network namespace from anything else", "[netns]") {
    auto dir = TempDir::create("faasd-netns-");
    REQUIRE(dir);
    CHECK(checkNetns("/proc/self/ns/net"));

    auto missing = checkNetns(dir->path() / "gone");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK(missing.error().message() ==
          "network namespace " + (dir->path() / "gone").string() + " does not exist");

    REQUIRE(writeFileAtomic(dir->path() / "plain", ""));
    auto plain = checkNetns(dir->path() / "plain");
    REQUIRE_FALSE(plain);
    CHECK(plain.error().code() == Code::InvalidArgument);
    CHECK(plain.error().message() ==
          (dir->path() / "plain").string() + " is not a network namespace");

    auto uts = checkNetns("/proc/self/ns/uts");
    REQUIRE_FALSE(uts);
    CHECK(uts.error().message() == "/proc/self/ns/uts is a namespace, but not a network namespace");
}

TEST_CASE("our own network namespace is recognised", "[netns]") {
    CHECK(isOwnNetns("/proc/self/ns/net"));
    CHECK(isOwnNetns("/proc/thread-self/ns/net"));
    SpareNetns spare;
    CHECK(checkNetns(spare.path()));
    CHECK_FALSE(isOwnNetns(spare.path()));
    CHECK_FALSE(isOwnNetns("/nonexistent"));
}

TEST_CASE("listing a netns dir", "[netns]") {
    auto dir = TempDir::create("faasd-netns-");
    REQUIRE(dir);
    auto none = listNetns(dir->path() / "absent");
    REQUIRE(none);
    CHECK(none->empty());

    REQUIRE(writeFileAtomic(dir->path() / "b", ""));
    REQUIRE(writeFileAtomic(dir->path() / "a", ""));
    auto two = listNetns(dir->path());
    REQUIRE(two);
    CHECK(*two == std::vector<std::string>{"a", "b"});
}

TEST_CASE("deleting a netns file that is not mounted removes it; a gone one is fine", "[netns]") {
    auto dir = TempDir::create("faasd-netns-");
    REQUIRE(dir);
    REQUIRE(writeFileAtomic(dir->path() / "stale", ""));
    REQUIRE(deleteNetns(dir->path() / "stale"));
    CHECK_FALSE(std::filesystem::exists(dir->path() / "stale"));
    REQUIRE(deleteNetns(dir->path() / "stale"));
}

TEST_CASE("netns names are checked before anything is made", "[netns]") {
    auto dir = TempDir::create("faasd-netns-");
    REQUIRE(dir);
    for (const char* name : {"", "../escape", "a/b", ".."}) {
        auto made = createNetns(dir->path(), name);
        REQUIRE_FALSE(made);
        CHECK(made.error().code() == Code::InvalidArgument);
    }
    auto entries = listNetns(dir->path());
    REQUIRE(entries);
    CHECK(entries->empty());
}

TEST_CASE("IP forwarding is switched on once", "[netns]") {
    auto dir = TempDir::create("faasd-sysctl-");
    REQUIRE(dir);
    auto file = dir->path() / "ip_forward";
    REQUIRE(writeFileAtomic(file, "0\n"));
    REQUIRE(enableIpForwarding(file));
    CHECK(*readFile(file) == "1\n");
    REQUIRE(enableIpForwarding(file));
    CHECK(*readFile(file) == "1\n");
    CHECK_FALSE(enableIpForwarding(dir->path() / "missing"));
}
