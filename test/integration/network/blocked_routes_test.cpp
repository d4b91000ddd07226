#include "network/blocked_routes.hpp"
#include "network/netns.hpp"
#include "real_network.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;

TEST_CASE("prohibit routes go into the namespace, and only there", "[blocked]") {
    auto dir = TempDir::create("faasd-blocked-it-");
    REQUIRE(dir);
    auto ns = createNetns(dir->path() / "netns", "fn-blocked");
    REQUIRE(ns);
    struct Cleanup {
        std::string path;
        ~Cleanup() { (void)deleteNetns(path); }
    } cleanup{*ns};

    auto nets = blockedDestinations({});
    REQUIRE(nets);
    REQUIRE(addProhibitRoutes(*ns, *nets));
    // A second time replaces them: a replica's namespace is never shared,
    // but a retry must not fail.
    REQUIRE(addProhibitRoutes(*ns, {{0xA9FEA9FE, 32}, {0x0A0B0000, 16}}));
    auto routes = shOk("nsenter --net=" + *ns + " ip route show");
    CHECK(routes.find("prohibit 169.254.169.254 ") != std::string::npos);
    CHECK(routes.find("prohibit 10.11.0.0/16 ") != std::string::npos);
    // The host's routes are untouched.
    CHECK(shOk("ip route show 10.11.0.0/16").empty());
    CHECK(shOk("ip route show table all").find("prohibit 169.254.169.254") == std::string::npos);

    // Nothing to refuse: nothing is done, not even opening the namespace.
    CHECK(addProhibitRoutes(dir->path() / "missing", {}));
    auto missing = addProhibitRoutes(dir->path() / "missing", *nets);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("missing") != std::string::npos);
}
