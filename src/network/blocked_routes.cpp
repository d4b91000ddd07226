#include "network/blocked_routes.hpp"

#include "network/netlink.hpp"

namespace faasd::network {

const std::vector<Ipv4Net>& defaultBlockedDestinations() {
    static const std::vector<Ipv4Net> nets = {
        {.address = 0xA9FEA9FE, .bits = 32}, // 169.254.169.254, cloud metadata
    };
    return nets;
}

Result<std::vector<Ipv4Net>> blockedDestinations(const std::vector<std::string>& allow) {
    std::vector<Ipv4Net> allowed;
    for (const auto& entry : allow) {
        TRY_ASSIGN(auto net, parseIpv4Net(entry));
        allowed.push_back(net);
    }
    std::vector<Ipv4Net> out;
    for (const auto& blocked : defaultBlockedDestinations()) {
        bool lifted = false;
        for (const auto& a : allowed) {
            lifted = lifted || a.contains(blocked);
        }
        if (!lifted) {
            out.push_back(blocked);
        }
    }
    return out;
}

Result<void> addProhibitRoutes(const std::filesystem::path& netns,
                               const std::vector<Ipv4Net>& nets) {
    if (nets.empty()) {
        return {};
    }
    TRY_ASSIGN(auto sock, netlink::Socket::openIn(netns));
    for (const auto& net : nets) {
        netlink::Route route{.dst = net, .type = RTN_PROHIBIT};
        TRY(sock.call(netlink::routeRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route),
                      fmt::format("prohibit route to {} in {}", net.str(), netns.string())));
    }
    return {};
}

} // namespace faasd::network
