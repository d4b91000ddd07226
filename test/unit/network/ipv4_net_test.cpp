#include "network/ipv4_net.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;

TEST_CASE("addresses and CIDRs parse", "[ipv4]") {
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

TEST_CASE("addresses and prefixes format as dotted quads", "[ipv4]") {
    CHECK(ipv4String(0x0A3E0102) == "10.62.1.2");
    CHECK(ipv4String(0) == "0.0.0.0");
    CHECK(ipv4String(0xFFFFFFFF) == "255.255.255.255");
    CHECK(Ipv4Net{0x0A3E0100, 24}.str() == "10.62.1.0/24");
    CHECK(ipv4Mask(0) == 0);
    CHECK(ipv4Mask(24) == 0xFFFFFF00);
    CHECK(ipv4Mask(32) == 0xFFFFFFFF);
}

TEST_CASE("a prefix contains the prefixes and addresses inside it", "[ipv4]") {
    const Ipv4Net tens{0x0A000000, 8};
    CHECK(tens.contains(Ipv4Net{0x0A3E0100, 24}));
    CHECK(tens.contains(tens));
    CHECK_FALSE(tens.contains(Ipv4Net{0, 0}));
    CHECK_FALSE(tens.contains(Ipv4Net{0x0B000000, 8}));
    CHECK(Ipv4Net{0, 0}.contains(tens));
}
