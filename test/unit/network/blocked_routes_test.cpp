#include "network/blocked_routes.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;

// Adding the routes needs root: the sandbox e2e test shows them refusing.

TEST_CASE("addresses and CIDRs parse", "[blocked]") {
    CHECK(parseIpv4Net("169.254.169.254").value() == Ipv4Net{0xA9FEA9FE, 32});
    CHECK(parseIpv4Net("169.254.0.0/16").value() == Ipv4Net{0xA9FE0000, 16});
    CHECK(parseIpv4Net("169.254.3.4/16").value() == Ipv4Net{0xA9FE0000, 16});
    CHECK(parseIpv4Net("0.0.0.0/0").value() == Ipv4Net{0, 0});
    CHECK(parseIpv4Net("10.1.2.3/32").value().str() == "10.1.2.3/32");
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.4/33", "1.2.3.4/",
                            "a.b.c.d", "1..2.3", "1.2.3.4/x", "01234.1.1.1"}) {
        INFO(bad);
        auto parsed = parseIpv4Net(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code() == Code::InvalidArgument);
    }
}

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
