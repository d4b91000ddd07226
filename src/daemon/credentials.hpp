#pragma once

// The daemon's secrets under its state dir: the gateway's basic-auth
// credentials and the function builder API's payload secret. (The client's
// stored login is cli::Credentials, another thing.)

#include "common/error.hpp"
#include "config/daemon_config.hpp"

#include <string>

namespace faasd::daemon {

struct DaemonCredentials {
    std::string user;
    std::string password;
    bool created = false;      // user and password generated on this start
    std::string payloadSecret; // the function builder API's HMAC key
    bool payloadSecretCreated = false;
};

// Reads the credential files under the state dir, creating them (mode 0600,
// in a 0700 directory) when absent: basic auth (user "admin", a random
// password) and the function builder's payload secret (32 random bytes as
// hex; faas-cli's --payload-secret file on the client must hold the same).
Result<DaemonCredentials> ensureCredentials(const config::DaemonConfig& config);

// Replaces the files with credentials (a cluster's, which every node
// shares), so that the host's `faasd login` reads the ones in force.
Result<void> storeCredentials(const config::DaemonConfig& config,
                              const DaemonCredentials& credentials);

} // namespace faasd::daemon
