#pragma once

// A provider on the harness's containerd and a test-only CNI network
// (bridge faasdprov0, subnet 10.198.0.0/24, every path in a temp dir, a
// function namespace of its own). The destructor removes everything the
// test made, even after a failed assertion: tasks, containers, snapshots,
// images, CNI attachments, netns, iptables rules and chains, the bridge.

#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "containerd/client.hpp"
#include "provider/containerd_provider.hpp"

#include <memory>
#include <string>
#include <vector>

namespace faasd::provider::testing {

inline constexpr const char* kBridge = "faasdprov0";
inline constexpr const char* kSubnetPrefix = "10.198.0.";
inline constexpr const char* kNetworkName = "faasd-prov-test";
inline constexpr const char* kImage = "faasd-it/web:1";
inline constexpr const char* kAppImage = "faasd-it/web-app:1";
inline constexpr const char* kFailingImage = "faasd-it/fails:1";
// The fprocess every test image's Env sets, as `faasd build`'s images do.
inline constexpr const char* kImageProcess = "grep -c hello";

RunOutput sh(const std::string& command);

class ProviderEnv {
public:
    ProviderEnv();
    ~ProviderEnv();
    ProviderEnv(const ProviderEnv&) = delete;
    ProviderEnv& operator=(const ProviderEnv&) = delete;

    // A new provider over the same state (what a restarted daemon does).
    std::unique_ptr<ContainerdProvider> start();
    // The provider of the test; (re)started by start().
    ContainerdProvider& provider() { return *provider_; }
    // Drops the provider without removing anything (a kill -9).
    void crash() { provider_.reset(); }
    void restart() { provider_ = start(); }

    const std::string& ns() const { return ns_; }
    const ProviderConfig& config() const { return config_; }
    containerd::Client client() const { return client_.withNamespace(ns_); }

    // An image whose httpd serves /www on :8080 with CGI scripts; its Env
    // sets fprocess to kImageProcess.
    void storeImages(const std::string& ns = "");

    // Leftovers of the test network and namespace.
    std::vector<std::string> netnsFiles() const;
    std::vector<std::string> leases() const;
    std::vector<std::string> natRules() const;
    std::vector<std::string> filterRules() const;
    size_t containers() const;
    size_t tasks() const;
    size_t activeSnapshots() const;
    size_t cniAttachments() const;

private:
    void cleanUp();

    TempDir dir_;
    std::string ns_;
    ProviderConfig config_;
    containerd::Client client_;
    std::unique_ptr<ContainerdProvider> provider_;
    bool firewallChainsBefore_ = false;
};

api::FunctionDeployment deployment(const std::string& name, const std::string& ns,
                                   const std::string& image = kImage);

// GETs http://ip:8080/path with curl; the body, or "" with the error in err.
std::string httpGet(const std::string& ip, const std::string& path, std::string* err = nullptr);

// Waits up to timeout for pred (waitUntil, checking every 50 ms).
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

} // namespace faasd::provider::testing
