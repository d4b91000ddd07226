#pragma once

// Integration-test harness: a real containerd started for the test run with
// its own root, state and socket under a temporary directory, stopped and
// cleaned up (tasks, shims, mounts, files) even when tests fail.

#include "common/error.hpp"
#include "common/subprocess.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace faasd::testing {

// Why integration tests cannot run here (not root, no containerd or runc),
// or empty when they can.
std::string integrationSkipReason();

class ContainerdDaemon {
public:
    static Result<std::unique_ptr<ContainerdDaemon>> start();
    ~ContainerdDaemon();

    const std::string& socket() const { return socket_; }
    const std::filesystem::path& dir() const { return dir_; }

    // Stops containerd (SIGTERM) and starts it again on the same state.
    Result<void> restart();
    // Kills every task and deletes every container in namespace ns.
    void purgeNamespace(const std::string& ns);

private:
    ContainerdDaemon() = default;
    Result<void> launch();
    void stop();

    std::filesystem::path dir_;
    std::string socket_;
    std::filesystem::path config_;
    std::unique_ptr<Subprocess> process_;
};

// The daemon of the running test binary (set by the integration main).
ContainerdDaemon& daemon();

} // namespace faasd::testing
