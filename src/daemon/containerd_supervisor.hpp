#pragma once

// A containerd started and supervised by faasd (restarted if it dies), for
// machines where no service manager runs one.

#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "config/daemon_config.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace faasd::daemon {

class ContainerdSupervisor {
public:
    // Starts containerd with state under <stateDir>/containerd, serving the
    // configured socket; waits until it answers.
    static Result<std::unique_ptr<ContainerdSupervisor>> start(const config::DaemonConfig& config);
    ~ContainerdSupervisor(); // stops it (SIGTERM, then SIGKILL)

    ContainerdSupervisor(const ContainerdSupervisor&) = delete;
    ContainerdSupervisor& operator=(const ContainerdSupervisor&) = delete;

private:
    ContainerdSupervisor() = default;
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

} // namespace faasd::daemon
