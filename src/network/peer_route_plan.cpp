#include "network/peer_route_plan.hpp"

#include <algorithm>

namespace faasd::network {

namespace {

// Whether route sits in the place faasd's route to subnet takes.
bool inPeerPlace(const netlink::Route& route, const Ipv4Net& subnet) {
    return route.dst == subnet && route.tos == 0 && route.priority == 0;
}

} // namespace

std::string PeerRoute::str() const {
    return fmt::format("{} via {}", subnet.str(), ipv4String(via));
}

Result<std::vector<PeerRoute>> normalizePeerRoutes(const std::vector<PeerRoute>& wanted) {
    std::vector<PeerRoute> out;
    for (auto peer : wanted) {
        peer.subnet.address &= ipv4Mask(peer.subnet.bits);
        if (peer.via == 0) {
            return fail(Code::InvalidArgument, "route to {} has no via address", peer.subnet.str());
        }
        out.push_back(peer);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    for (size_t i = 1; i < out.size(); ++i) {
        if (out[i].subnet == out[i - 1].subnet) {
            return fail(Code::InvalidArgument, "two routes to {}: via {} and via {}",
                        out[i].subnet.str(), ipv4String(out[i - 1].via), ipv4String(out[i].via));
        }
    }
    return out;
}

netlink::Route peerRouteEntry(const PeerRoute& peer) {
    return {.dst = peer.subnet,
            .gateway = peer.via,
            .table = RT_TABLE_MAIN,
            .priority = 0,
            .tos = 0,
            .protocol = kPeerRouteProtocol,
            .scope = RT_SCOPE_UNIVERSE,
            .type = RTN_UNICAST};
}

PeerRoutePlan planPeerRoutes(const std::vector<netlink::Route>& mainTable,
                             const std::vector<PeerRoute>& wanted) {
    PeerRoutePlan plan;
    // faasd's routes that stay, as they are or replaced in their place.
    std::vector<const netlink::Route*> kept;
    for (const auto& peer : wanted) {
        const netlink::Route* ours = nullptr;
        const netlink::Route* other = nullptr;
        for (const auto& route : mainTable) {
            if (!inPeerPlace(route, peer.subnet)) {
                continue;
            }
            if (route.protocol != kPeerRouteProtocol) {
                other = other ? other : &route;
            } else if (!ours || route == peerRouteEntry(peer)) {
                ours = &route;
            }
        }
        if (other) {
            plan.conflicts.push_back({.wanted = peer, .holder = *other});
            continue;
        }
        if (!ours) {
            plan.add.push_back(peer);
            continue;
        }
        kept.push_back(ours);
        if (*ours != peerRouteEntry(peer)) {
            plan.replace.push_back(peer);
        }
    }
    for (const auto& route : mainTable) {
        if (route.protocol == kPeerRouteProtocol &&
            std::find(kept.begin(), kept.end(), &route) == kept.end()) {
            plan.remove.push_back(route);
        }
    }
    return plan;
}

} // namespace faasd::network
