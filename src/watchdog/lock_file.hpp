#pragma once

// The OpenFaaS readiness lock file ($TMPDIR/.lock, default /tmp/.lock):
// written once the function can be served, removed on SIGTERM. Exec
// health checks run "fwatchdog --run-healthcheck", which tests for it.

#include "common/error.hpp"

#include <string>

namespace faasd::watchdog {

// Creates the file (and its directory), empty, mode 0660.
Result<void> writeLockFile(const std::string& path);
void removeLockFile(const std::string& path);
bool lockFilePresent(const std::string& path);

} // namespace faasd::watchdog
