#pragma once

// The components' configurations from the daemon's: each component takes
// its own struct, and only the daemon knows how the environment maps onto
// them.

#include "config/daemon_config.hpp"
#include "daemon/credentials.hpp"
#include "gateway/gateway.hpp"
#include "provider/provider_config.hpp"
#include "queue/queue.hpp"

namespace faasd::daemon {

provider::ProviderConfig providerConfigFrom(const config::DaemonConfig& config);

queue::QueueConfig queueConfigFrom(const config::DaemonConfig& config);

// The gateway's settings; internalToken admits the queue's workers only.
gateway::GatewayConfig gatewayConfigFrom(const config::DaemonConfig& config,
                                         const DaemonCredentials& credentials,
                                         std::string internalToken);

} // namespace faasd::daemon
