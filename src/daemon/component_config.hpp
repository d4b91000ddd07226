#pragma once

// The components' configurations from the daemon's: each component takes
// its own struct, and only the daemon knows how the environment maps onto
// them.

#include "cluster/cluster.hpp"
#include "cluster/queue_config.hpp"
#include "config/daemon_config.hpp"
#include "daemon/credentials.hpp"
#include "gateway/gateway.hpp"
#include "provider/provider_config.hpp"
#include "queue/queue.hpp"

namespace faasd::daemon {

provider::ProviderConfig providerConfigFrom(const config::DaemonConfig& config);

queue::QueueConfig queueConfigFrom(const config::DaemonConfig& config);

// The cluster's queue (in etcd beside the cluster's prefix: /faasd-queue/
// for /faasd/): the SQLite
// queue's workers, bounds and retry rules, bodies at most 1 MiB.
cluster::ClusterQueueConfig clusterQueueConfigFrom(const config::DaemonConfig& config,
                                                   const std::string& node);

// The gateway's settings; internalToken admits the queue's workers only.
gateway::GatewayConfig gatewayConfigFrom(const config::DaemonConfig& config,
                                         const DaemonCredentials& credentials,
                                         std::string internalToken);

// The cluster node's settings (FAASD_CLUSTER_*). An empty node name is the
// host name; an empty address is this node's member's (FAASD_CLUSTER_MEMBERS),
// else the one this host reaches the first etcd member from (Unavailable
// when that cannot be found). This node's member's client URL goes first.
Result<cluster::ClusterConfig> clusterConfigFrom(const config::DaemonConfig& config);

} // namespace faasd::daemon
