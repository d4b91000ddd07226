#pragma once

// Routes to the other cluster nodes' function subnets. In cluster mode each
// node runs its functions on a subnet of its own (node1 10.62.1.0/24, node2
// 10.62.2.0/24) and routes every other node's subnet via that node's
// address. The routes live in the main table of the daemon's network
// namespace, marked with a routing protocol number of faasd's own, so that
// faasd finds the routes it made, after a restart too, and never touches
// one it did not: `ip route` shows them as "proto 250".
//
// Both calls work in the calling thread's network namespace.

#include "common/error.hpp"
#include "network/ipv4_net.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace faasd::network {

// The routing protocol number faasd marks its peer routes with: 250 (0xfa).
// The kernel interprets only 0-4 (RTPROT_UNSPEC to RTPROT_STATIC); the
// kernel headers and iproute2's rt_protos name 8-18, 42, 99 and 186-192
// for routing daemons (zebra, bird, dhcp, keepalived, babel, bgp, ospf...).
// 250 is named by neither, and high enough to stay clear of their growth.
inline constexpr uint8_t kPeerRouteProtocol = 0xfa;

struct PeerRoute {
    Ipv4Net subnet;
    uint32_t via = 0; // host byte order
    // "10.62.2.0/24 via 192.168.1.12"
    std::string str() const;
    // By subnet, then via.
    auto operator<=>(const PeerRoute&) const = default;
    bool operator==(const PeerRoute&) const = default;
};

// The routes faasd made in the current network namespace's main table
// (marked with kPeerRouteProtocol), read by a netlink dump; sorted by subnet.
Result<std::vector<PeerRoute>> listPeerRoutes();

// Makes the marked routes exactly wanted: adds the missing ones, replaces
// (NLM_F_REPLACE) the ones whose via changed, and deletes the marked routes
// not wanted (left by an earlier run, or of a node that left). Routes not
// marked as faasd's are never touched: a wanted subnet that such a route
// already holds fails with FailedPrecondition, naming it.
//
// Every route is tried, the failures reported together: a route whose via
// is not reachable on a link fails (FailedPrecondition, naming subnet and
// via) without holding up the routes to the other nodes. InvalidArgument,
// before anything is changed, for a route without via or two routes to one
// subnet via different addresses.
Result<void> syncPeerRoutes(const std::vector<PeerRoute>& wanted);

} // namespace faasd::network
