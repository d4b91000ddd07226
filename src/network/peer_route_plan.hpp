#pragma once

// The pure half of syncPeerRoutes: from the IPv4 routes of the main table
// and the peer routes wanted, what to delete, replace and add. A route's
// place in the table is its destination, TOS and metric; faasd's routes
// take TOS 0 and metric 0, and the kernel replaces (NLM_F_REPLACE) the
// route in that place whoever made it. So a place held by a route not
// marked as faasd's is a conflict, never a replacement.

#include "network/netlink.hpp"
#include "network/peer_routes.hpp"

#include <vector>

namespace faasd::network {

struct PeerRouteConflict {
    PeerRoute wanted;
    netlink::Route holder; // not faasd's
};

struct PeerRoutePlan {
    // faasd's routes not wanted as they are: of a subnet not wanted, or not
    // in the place faasd's route to the subnet takes (another metric...).
    std::vector<netlink::Route> remove;
    // Wanted; faasd's route holds the place, via another address.
    std::vector<PeerRoute> replace;
    // Wanted; the place is free.
    std::vector<PeerRoute> add;
    std::vector<PeerRouteConflict> conflicts;
};

// wanted with host bits cleared and repeats dropped, sorted by subnet;
// InvalidArgument for a route without via or one subnet via two addresses.
Result<std::vector<PeerRoute>> normalizePeerRoutes(const std::vector<PeerRoute>& wanted);

// mainTable: the IPv4 routes of the main table, any protocol; wanted as
// normalizePeerRoutes returns it.
PeerRoutePlan planPeerRoutes(const std::vector<netlink::Route>& mainTable,
                             const std::vector<PeerRoute>& wanted);

// The route faasd makes for peer.
netlink::Route peerRouteEntry(const PeerRoute& peer);

} // namespace faasd::network
