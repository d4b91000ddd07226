#pragma once

// faasd up: the daemon in the foreground. Gateway, provider, queue, scaler
// and the function builder API in one process, until SIGTERM or SIGINT.

#include "common/error.hpp"
#include "config/daemon_config.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace faasd::daemon {

// What `faasd up`'s flags change on top of the environment.
struct UpOptions {
    std::optional<uint16_t> port;
    std::string stateDir;         // empty: FAASD_STATE_DIR's
    std::string containerdSocket; // empty: FAASD_CONTAINERD_SOCKET's
    bool noAuth = false;
    bool stopFunctionsOnExit = false;
    std::string cluster; // etcd members, as FAASD_CLUSTER_ETCD; empty: the environment's
    std::string node;    // as FAASD_CLUSTER_NODE
    std::string members; // the etcd members faasd runs, as FAASD_CLUSTER_MEMBERS
};

// The daemon's configuration: the environment's, then the options.
Result<config::DaemonConfig> upConfig(const config::Env& env, const UpOptions& options);

// Runs the daemon until SIGTERM or SIGINT; an error is a failed start.
Result<void> up(const config::DaemonConfig& config);

} // namespace faasd::daemon
