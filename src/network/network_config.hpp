#pragma once

// Settings of the CNI network every function replica joins. Plain data with
// the production defaults; the daemon's config layer fills it from the
// environment, tests point every path at a temp dir and pick their own
// bridge and subnet.

#include "network/blocked_routes.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace faasd::network {

struct NetworkConfig {
    // The CNI network name. host-local keeps its leases under
    // ipamDataDir/networkName, and the bridge plugin names its iptables
    // chains after it.
    std::string networkName = "openfaas-cni-bridge";
    // Protocol version written into the conflist. Debian 12's
    // containernetworking-plugins (1.1.x) speak 0.1.0 to 1.0.0.
    std::string cniVersion = "1.0.0";
    std::string bridge = "openfaas0";
    std::string subnet = "10.62.0.0/16";
    // Adds the firewall plugin, which accepts forwarded traffic to and from
    // each replica even when the host's FORWARD policy drops.
    bool firewall = true;
    // Brings up "lo" in each namespace with the loopback plugin.
    bool loopback = true;

    // The conflist is written here at start unless it already exists.
    std::filesystem::path confDir = "/etc/cni/net.d";
    std::string conflistFile = "10-openfaas.conflist";
    // Searched in order for plugin binaries; also passed as CNI_PATH.
    std::vector<std::filesystem::path> pluginDirs = {"/usr/lib/cni", "/opt/cni/bin"};
    // host-local's lease store. Under /run: leases live exactly as long as
    // the namespaces that hold them, so a reboot leaves none behind.
    std::filesystem::path ipamDataDir = "/var/run/cni";
    // The cached result of every attachment, so DEL works after a restart.
    std::filesystem::path stateDir = "/var/run/faasd/cni";
    // Where named network namespaces are mounted (as `ip netns` does).
    std::filesystem::path netnsDir = "/var/run/netns";
    // Refused in every replica's namespace (a prohibit route each, made
    // right after the attachment): the metadata address unless the
    // daemon's FAASD_FUNCTION_EGRESS_ALLOW lifts it.
    std::vector<Ipv4Net> blocked = defaultBlockedDestinations();
    // The interface created in each namespace.
    std::string ifName = "eth0";
    // Longest a single plugin run may take before it is killed.
    std::chrono::milliseconds pluginTimeout{10'000};

    std::filesystem::path conflistPath() const { return confDir / conflistFile; }
};

} // namespace faasd::network
