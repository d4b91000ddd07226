#pragma once

// Pieces of `faasd up` that are not components of their own: the admin
// credentials and the builder's payload secret, a containerd of our own
// when none is running, the function builder behind the gateway's port,
// and systemd's readiness notification.

#include "build/builder_api.hpp"
#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "config/daemon_config.hpp"
#include "gateway/function_builder.hpp"
#include "provider/provider_config.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace faasd::cli {

struct Credentials {
    std::string user;
    std::string password;
    bool created = false;  // generated on this start
    std::string payloadSecret; // the function builder API's HMAC key
    bool payloadSecretCreated = false;
};

// Reads the credential files under the state dir, creating them (mode 0600)
// when absent: basic auth (user "admin", a random password) and the
// function builder's payload secret (32 random bytes as hex).
Result<Credentials> ensureCredentials(const config::DaemonConfig& config);

// The function builder's settings from the daemon's: its limits, the
// payload secret, the trusted templates, the fwatchdog to pack and the
// registry settings the provider pulls with. What cannot be found
// (templates, fwatchdog) is left empty and named in warnings.
build::RemoteBuilderConfig builderConfigFrom(const config::DaemonConfig& config,
                                             const std::string& payloadSecret,
                                             std::vector<std::string>& warnings);

// The gateway's POST /build served by a RemoteBuilder.
class GatewayBuilder : public gateway::FunctionBuilder {
public:
    explicit GatewayBuilder(build::RemoteBuilder& builder) : builder_(builder) {}
    gateway::BuildAnswer build(const gateway::BuildCall& call) override;

private:
    build::RemoteBuilder& builder_;
};

// A containerd started and supervised by faasd (restarted if it dies), for
// machines where no service manager runs one.
class OwnContainerd {
public:
    // Starts containerd with state under <stateDir>/containerd, serving the
    // configured socket; waits until it answers.
    static Result<std::unique_ptr<OwnContainerd>> start(const config::DaemonConfig& config);
    ~OwnContainerd();  // stops it (SIGTERM, then SIGKILL)

private:
    OwnContainerd() = default;
    Result<void> launch();
    void supervise();

    std::string binary_;
    std::string configPath_;
    std::string logPath_;
    std::string socket_;
    std::mutex mu_;
    std::unique_ptr<Subprocess> process_;
    std::atomic<bool> stopping_{false};
    std::thread supervisor_;
};

// Whether containerd answers on socket within timeout.
bool containerdAnswers(const std::string& socket, std::chrono::milliseconds timeout);

// The provider's configuration from the daemon's.
provider::ProviderConfig providerConfigFrom(const config::DaemonConfig& config);

// Sends state (e.g. "READY=1") to systemd when NOTIFY_SOCKET is set.
void sdNotify(const std::string& state);

} // namespace faasd::cli
