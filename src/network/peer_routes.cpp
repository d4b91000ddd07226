#include "network/peer_routes.hpp"

#include "network/logger.hpp"
#include "network/netlink.hpp"
#include "network/peer_route_plan.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace faasd::network {

namespace {

// A dump the kernel interrupts (a route changed meanwhile) is read again.
constexpr int kDumpAttempts = 3;

Result<std::vector<netlink::Route>> mainTableRoutes(netlink::Socket& sock) {
    rtmsg all{};
    all.rtm_family = AF_INET;
    const netlink::Request request(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, all);
    for (int attempt = 1;; ++attempt) {
        std::vector<netlink::Route> routes;
        auto dumped = sock.dump(request, [&](const netlink::Message& message) -> Result<void> {
            TRY_ASSIGN(auto route, netlink::parseRoute(message));
            if (route && route->table == RT_TABLE_MAIN) {
                routes.push_back(*route);
            }
            return {};
        });
        if (dumped) {
            return routes;
        }
        if (dumped.error().code() != Code::Unavailable || attempt == kDumpAttempts) {
            return fail(dumped.error().context("listing the IPv4 routes"));
        }
    }
}

Result<void> removeRoute(netlink::Socket& sock, const netlink::Route& route) {
    auto what = fmt::format("removing route to {} via {} (proto {}, metric {})", route.dst.str(),
                            ipv4String(route.gateway), route.protocol, route.priority);
    auto ack = sock.request(netlink::routeRequest(RTM_DELROUTE, 0, route));
    TRY(withContext(ack, what));
    if (ack->error == ESRCH) {
        return {}; // gone already
    }
    if (ack->error != 0) {
        return fail(netlink::ackError(*ack, what));
    }
    kLog.info("peer route {} via {} removed", route.dst.str(), ipv4String(route.gateway));
    return {};
}

Result<void> putRoute(netlink::Socket& sock, const PeerRoute& peer, bool replace) {
    auto what = fmt::format("route to {}", peer.str());
    // A new route must not take a place another route took meanwhile.
    const uint16_t flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
    auto ack = sock.request(netlink::routeRequest(RTM_NEWROUTE, flags, peerRouteEntry(peer)));
    TRY(withContext(ack, what));
    if (ack->error == ENETUNREACH) {
        return fail(Error(Code::FailedPrecondition,
                          fmt::format("{}: {} is not reachable on a link of this host: {}", what,
                                      ipv4String(peer.via),
                                      netlink::ackError(*ack, "the kernel refused").message())));
    }
    if (ack->error != 0) {
        return fail(netlink::ackError(*ack, what));
    }
    kLog.info("peer route {} {}", peer.str(), replace ? "replaced" : "added");
    return {};
}

} // namespace

Result<std::vector<PeerRoute>> listPeerRoutes() {
    TRY_ASSIGN(auto sock, netlink::Socket::open());
    TRY_ASSIGN(auto routes, mainTableRoutes(sock));
    std::vector<PeerRoute> out;
    for (const auto& route : routes) {
        if (route.protocol == kPeerRouteProtocol) {
            out.push_back({.subnet = route.dst, .via = route.gateway});
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<void> syncPeerRoutes(const std::vector<PeerRoute>& wanted) {
    TRY_ASSIGN(auto peers, normalizePeerRoutes(wanted));
    TRY_ASSIGN(auto sock, netlink::Socket::open());
    TRY_ASSIGN(auto routes, mainTableRoutes(sock));
    auto plan = planPeerRoutes(routes, peers);

    std::vector<Error> failures;
    auto note = [&](Result<void> done) {
        if (!done) {
            failures.push_back(std::move(done).error());
        }
    };
    for (const auto& conflict : plan.conflicts) {
        failures.emplace_back(
            Code::FailedPrecondition,
            fmt::format("route to {}: the main table holds a route to {} that faasd did not make "
                        "(proto {}, via {}); left alone",
                        conflict.wanted.str(), conflict.holder.dst.str(), conflict.holder.protocol,
                        ipv4String(conflict.holder.gateway)));
    }
    for (const auto& route : plan.remove) {
        note(removeRoute(sock, route));
    }
    for (const auto& peer : plan.replace) {
        note(putRoute(sock, peer, true));
    }
    for (const auto& peer : plan.add) {
        note(putRoute(sock, peer, false));
    }

    if (failures.empty()) {
        return {};
    }
    std::string message = failures.front().message();
    for (size_t i = 1; i < failures.size(); ++i) {
        message += "; " + failures[i].message();
    }
    return fail(Error(failures.front().code(), std::move(message)));
}

} // namespace faasd::network
