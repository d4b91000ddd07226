#pragma once

// faasd install / uninstall: set the machine up for the daemon (state
// dirs, credentials, CNI config) and, where systemd runs the machine, the
// faasd service. Running install twice changes nothing the second time.
// Both need root; both tell the user on stdout what they did.

#include "common/error.hpp"

namespace faasd::daemon {

struct InstallOptions {
    // Makes a certificate (daemon/self_signed.hpp) in <state dir>/tls and
    // has the daemon serve HTTPS with it.
    bool selfSigned = false;
};

Result<void> install(const InstallOptions& options = {});

// Stops and removes the service; with purge also the state dirs, the
// secrets and the CNI config.
Result<void> uninstall(bool purge);

} // namespace faasd::daemon
