#include "network/peer_route_plan.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;

// Syncing against a kernel needs root: test/integration/network does it.

namespace Catch {
template <> struct StringMaker<PeerRoute> {
    static std::string convert(const PeerRoute& peer) { return peer.str(); }
};
template <> struct StringMaker<netlink::Route> {
    static std::string convert(const netlink::Route& r) {
        return fmt::format("{} via {} proto {} metric {}", r.dst.str(), ipv4String(r.gateway),
                           r.protocol, r.priority);
    }
};
} // namespace Catch

namespace {

Ipv4Net net(const char* text) {
    return parseIpv4Net(text).value();
}

uint32_t ip(const char* text) {
    return parseIpv4Net(text).value().address;
}

PeerRoute peer(const char* subnet, const char* via) {
    return {.subnet = net(subnet), .via = ip(via)};
}

// A route someone else made: ip route add <dst> via <via>.
netlink::Route foreign(const char* dst, const char* via, uint32_t metric = 0) {
    return {.dst = net(dst), .gateway = ip(via), .priority = metric};
}

netlink::Route ours(const char* dst, const char* via, uint32_t metric = 0) {
    auto route = peerRouteEntry(peer(dst, via));
    route.priority = metric;
    return route;
}

} // namespace

TEST_CASE("peer routes format as subnet via address", "[peer-routes]") {
    CHECK(peer("10.62.2.0/24", "192.168.1.12").str() == "10.62.2.0/24 via 192.168.1.12");
    auto entry = peerRouteEntry(peer("10.62.2.0/24", "192.168.1.12"));
    CHECK(entry.protocol == kPeerRouteProtocol);
    CHECK(int{kPeerRouteProtocol} == 250);
    CHECK(entry.table == RT_TABLE_MAIN);
    CHECK(entry.type == RTN_UNICAST);
    CHECK(entry.gateway == 0xC0A8010C);
}

TEST_CASE("wanted peer routes are sorted, deduplicated and checked", "[peer-routes]") {
    auto normal = normalizePeerRoutes(
        {peer("10.62.3.0/24", "192.168.1.13"),
         {.subnet = {.address = 0x0A3E0205, .bits = 24}, .via = ip("192.168.1.12")},
         peer("10.62.3.0/24", "192.168.1.13")});
    REQUIRE(normal);
    CHECK(*normal == std::vector<PeerRoute>{peer("10.62.2.0/24", "192.168.1.12"),
                                            peer("10.62.3.0/24", "192.168.1.13")});
    CHECK(normalizePeerRoutes({})->empty());

    auto noVia = normalizePeerRoutes({{.subnet = net("10.62.2.0/24"), .via = 0}});
    REQUIRE_FALSE(noVia);
    CHECK(noVia.error().code() == Code::InvalidArgument);
    CHECK(noVia.error().message() == "route to 10.62.2.0/24 has no via address");

    auto twice = normalizePeerRoutes(
        {peer("10.62.2.0/24", "192.168.1.12"), peer("10.62.2.0/24", "192.168.1.14")});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().code() == Code::InvalidArgument);
    CHECK(twice.error().message() ==
          "two routes to 10.62.2.0/24: via 192.168.1.12 and via 192.168.1.14");
}

TEST_CASE("a sync adds what is missing and keeps what is there", "[peer-routes]") {
    const std::vector<netlink::Route> table = {
        foreign("0.0.0.0/0", "192.168.1.1"),
        ours("10.62.2.0/24", "192.168.1.12"),
    };
    auto plan = planPeerRoutes(
        table, {peer("10.62.2.0/24", "192.168.1.12"), peer("10.62.3.0/24", "192.168.1.13")});
    CHECK(plan.add == std::vector<PeerRoute>{peer("10.62.3.0/24", "192.168.1.13")});
    CHECK(plan.replace.empty());
    CHECK(plan.remove.empty());
    CHECK(plan.conflicts.empty());
}

TEST_CASE("a node whose address changed has its route replaced in place", "[peer-routes]") {
    auto plan = planPeerRoutes({ours("10.62.2.0/24", "192.168.1.12")},
                               {peer("10.62.2.0/24", "192.168.1.22")});
    CHECK(plan.replace == std::vector<PeerRoute>{peer("10.62.2.0/24", "192.168.1.22")});
    CHECK(plan.add.empty());
    CHECK(plan.remove.empty());
}

TEST_CASE("faasd's routes not wanted go, and no one else's", "[peer-routes]") {
    const std::vector<netlink::Route> table = {
        ours("10.62.2.0/24", "192.168.1.12"),
        ours("10.62.9.0/24", "192.168.1.19"),    // a node that left, or an earlier run's
        foreign("10.62.8.0/24", "192.168.1.18"), // made by hand
    };
    auto plan = planPeerRoutes(table, {peer("10.62.2.0/24", "192.168.1.12")});
    CHECK(plan.remove == std::vector<netlink::Route>{ours("10.62.9.0/24", "192.168.1.19")});
    CHECK(plan.add.empty());
    CHECK(plan.replace.empty());

    auto none = planPeerRoutes(table, {});
    CHECK(none.remove == std::vector<netlink::Route>{ours("10.62.2.0/24", "192.168.1.12"),
                                                     ours("10.62.9.0/24", "192.168.1.19")});
}

TEST_CASE("a place held by a route not faasd's is a conflict, not a replacement", "[peer-routes]") {
    const std::vector<netlink::Route> table = {
        foreign("10.62.2.0/24", "192.168.1.99"),
        foreign("10.62.3.0/24", "192.168.1.99", 100), // another metric: another place
    };
    auto plan = planPeerRoutes(
        table, {peer("10.62.2.0/24", "192.168.1.12"), peer("10.62.3.0/24", "192.168.1.13")});
    REQUIRE(plan.conflicts.size() == 1);
    CHECK(plan.conflicts[0].wanted == peer("10.62.2.0/24", "192.168.1.12"));
    CHECK(plan.conflicts[0].holder == foreign("10.62.2.0/24", "192.168.1.99"));
    CHECK(plan.add == std::vector<PeerRoute>{peer("10.62.3.0/24", "192.168.1.13")});
    CHECK(plan.replace.empty());
    CHECK(plan.remove.empty());
}

TEST_CASE("faasd's routes out of their place are removed and made again", "[peer-routes]") {
    const std::vector<netlink::Route> table = {
        ours("10.62.2.0/24", "192.168.1.12", 100),
        // Two in one place (ip route append): the one as wanted stays.
        ours("10.62.3.0/24", "192.168.1.99"),
        ours("10.62.3.0/24", "192.168.1.13"),
    };
    auto plan = planPeerRoutes(
        table, {peer("10.62.2.0/24", "192.168.1.12"), peer("10.62.3.0/24", "192.168.1.13")});
    CHECK(plan.remove == std::vector<netlink::Route>{ours("10.62.2.0/24", "192.168.1.12", 100),
                                                     ours("10.62.3.0/24", "192.168.1.99")});
    CHECK(plan.add == std::vector<PeerRoute>{peer("10.62.2.0/24", "192.168.1.12")});
    CHECK(plan.replace.empty());
}
