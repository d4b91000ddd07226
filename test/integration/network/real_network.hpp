#pragma once

// A test-only CNI network on the real plugins: bridge faasdtest0, subnet
// 10.199.0.0/24, network name faasd-test, every path (conflist, IPAM
// leases, cached results, netns) in a temp dir. It never touches a real
// openfaas0. On destruction, even after a failed assertion, it detaches
// whatever is still attached, deletes its namespaces, the bridge and the
// firewall chains it caused, and restores ip_forward.

#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "network/cni.hpp"

#include <set>
#include <string>
#include <vector>

namespace faasd::network::testing {

// Runs a shell command; its output, status and stderr (status -1 when it
// could not be run). Never throws, so cleanup code can use it.
RunOutput sh(const std::string& command);
// Runs a shell command that must succeed; its stdout.
std::string shOk(const std::string& command);

class RealNetwork {
public:
    static constexpr const char* kBridge = "faasdtest0";
    static constexpr const char* kSubnetPrefix = "10.199.0.";
    static constexpr const char* kName = "faasd-test";

    RealNetwork();
    ~RealNetwork();
    RealNetwork(const RealNetwork&) = delete;
    RealNetwork& operator=(const RealNetwork&) = delete;

    const NetworkConfig& config() const { return config_; }
    // A Cni loaded from the conflist, as the daemon loads it.
    Cni load() const;
    // A new namespace in the test's netns dir; its path.
    std::string netns(const std::string& name) const;

    // Lease files host-local holds (one per leased IP).
    std::vector<std::string> leases() const;
    // Host interfaces enslaved to the test bridge.
    std::vector<std::string> bridgePorts() const;
    // Host interfaces now, by name.
    static std::set<std::string> hostLinks();
    // nat-table rules that mention the test network.
    std::vector<std::string> natRules() const;
    // nat-table chains.
    static std::set<std::string> natChains();
    // filter-table rules that mention an address of the test subnet.
    std::vector<std::string> filterRules() const;

    // Links and nat chains as they were before the test.
    const std::set<std::string>& linksBefore() const { return linksBefore_; }
    const std::set<std::string>& natChainsBefore() const { return natChainsBefore_; }

private:
    void cleanUp() const;

    TempDir dir_;
    NetworkConfig config_;
    std::string ipForwardBefore_;
    bool firewallChainsBefore_ = false;
    std::set<std::string> linksBefore_;
    std::set<std::string> natChainsBefore_;
};

} // namespace faasd::network::testing
