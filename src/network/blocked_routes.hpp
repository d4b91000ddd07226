#pragma once

// Destinations a function may not reach, refused inside its own network
// namespace: a "prohibit" route per destination, so connect() fails at
// once with EACCES and nothing leaves the namespace. The function holds
// neither CAP_NET_ADMIN (to remove the route) nor CAP_NET_RAW (to write
// frames past it), and the host needs no firewall rule that would outlive
// a crash: the routes go with the namespace.
//
// By default the one destination is the cloud metadata service,
// 169.254.169.254, which hands out the machine's credentials to whoever
// asks from it. FAASD_FUNCTION_EGRESS_ALLOW lifts it.

#include "common/error.hpp"
#include "network/ipv4_net.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace faasd::network {

// What functions may not reach unless allowed.
const std::vector<Ipv4Net>& defaultBlockedDestinations();

// defaultBlockedDestinations less every one inside an entry of allow
// (addresses or CIDRs); InvalidArgument naming an entry that does not parse.
Result<std::vector<Ipv4Net>> blockedDestinations(const std::vector<std::string>& allow);

// Adds (or replaces) a prohibit route for each of nets in the main table
// of the network namespace at netns.
Result<void> addProhibitRoutes(const std::filesystem::path& netns,
                               const std::vector<Ipv4Net>& nets);

} // namespace faasd::network
