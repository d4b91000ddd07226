#include "network/netns.hpp"
#include "real_network.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;

TEST_CASE("named network namespaces are created, listed and deleted", "[netns]") {
    auto dir = TempDir::create("faasd-netns-it-");
    REQUIRE(dir);
    auto netnsDir = dir->path() / "netns";

    auto a = createNetns(netnsDir, "fn-a");
    REQUIRE(a);
    // The scope guard for a failing assertion below.
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            for (const char* name : {"fn-a", "fn-b"}) {
                (void)deleteNetns(dir / name);
            }
        }
    } cleanup{netnsDir};
    auto b = createNetns(netnsDir, "fn-b");
    REQUIRE(b);
    CHECK(*a == (netnsDir / "fn-a").string());

    CHECK(checkNetns(*a));
    CHECK_FALSE(isOwnNetns(*a));
    auto names = listNetns(netnsDir);
    REQUIRE(names);
    CHECK(*names == std::vector<std::string>{"fn-a", "fn-b"});

    // A fresh namespace holds only a loopback interface, and it is its own.
    auto links = shOk("nsenter --net=" + *a + " ip -o link show");
    CHECK(links.find("lo:") != std::string::npos);
    CHECK(links.find("eth0") == std::string::npos);
    auto inodeA = shOk("stat -L -c %i " + *a);
    auto inodeB = shOk("stat -L -c %i " + *b);
    CHECK(inodeA != inodeB);
    CHECK(inodeA != shOk("stat -L -c %i /proc/self/ns/net"));

    auto again = createNetns(netnsDir, "fn-a");
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::AlreadyExists);
    CHECK(checkNetns(*a)); // the failed create left the first one alone

    REQUIRE(deleteNetns(*a));
    REQUIRE(deleteNetns(*b));
    CHECK_FALSE(std::filesystem::exists(*a));
    CHECK(shOk("grep -c " + netnsDir.string() + " /proc/self/mountinfo || true") == "0\n");
    auto none = listNetns(netnsDir);
    REQUIRE(none);
    CHECK(none->empty());
    REQUIRE(deleteNetns(*a)); // deleting twice is fine
}
