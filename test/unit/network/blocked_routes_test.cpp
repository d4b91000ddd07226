#include "network/blocked_routes.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;

// Adding the routes needs root: the sandbox e2e test shows them refusing.

TEST_CASE("the metadata address is blocked unless an allowance covers it", "[blocked]") {
    const Ipv4Net metadata{0xA9FEA9FE, 32};
    CHECK(defaultBlockedDestinations() == std::vector<Ipv4Net>{metadata});
    CHECK(blockedDestinations({}).value() == std::vector<Ipv4Net>{metadata});
    CHECK(blockedDestinations({"10.0.0.0/8"}).value() == std::vector<Ipv4Net>{metadata});
    CHECK(blockedDestinations({"169.254.169.253"}).value() == std::vector<Ipv4Net>{metadata});
    CHECK(blockedDestinations({"169.254.169.254"}).value().empty());
    CHECK(blockedDestinations({"10.0.0.0/8", "169.254.0.0/16"}).value().empty());
    CHECK(blockedDestinations({"0.0.0.0/0"}).value().empty());
    CHECK_FALSE(blockedDestinations({"metadata"}));
}
