#pragma once

// A containerd started and supervised by faasd (restarted if it dies), for
// machines where no service manager runs one; and a watch on whichever
// containerd the daemon uses, for /healthz and /metrics.
//
// The containerd faasd starts is recorded in <state dir>/containerd/pid
// (its pid and its start time since boot), so that after the daemon was
// killed (-9) and started again it adopts the containerd it left running
// and supervises it as before: restarted when it dies, stopped with the
// daemon. A containerd that faasd did not start (systemd's, the
// distribution's) is left to its owner.

#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"
#include "config/daemon_config.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>

namespace faasd::daemon {

class ContainerdSupervisor {
public:
    // Starts containerd with state under <stateDir>/containerd, serving the
    // configured socket; waits until it answers.
    static Result<std::unique_ptr<ContainerdSupervisor>> start(const config::DaemonConfig& config);
    // The containerd an earlier run of faasd started and recorded, when it
    // still runs: supervised from now on. nullptr when there is none (the
    // containerd that answers is someone else's).
    static Result<std::unique_ptr<ContainerdSupervisor>> adopt(const config::DaemonConfig& config);
    ~ContainerdSupervisor(); // stops it (SIGTERM, then SIGKILL)

    ContainerdSupervisor(const ContainerdSupervisor&) = delete;
    ContainerdSupervisor& operator=(const ContainerdSupervisor&) = delete;

    pid_t pid() const;

private:
    // A containerd of an earlier run: not our child, watched through a pidfd.
    struct Adopted {
        pid_t pid = 0;
        UniqueFd pidfd;
    };

    explicit ContainerdSupervisor(const config::DaemonConfig& config);
    Result<void> launch();
    void record(pid_t pid);
    void supervise();
    // The process ended (or none runs); mu_ held.
    std::optional<int> exited();

    std::string binary_;
    std::string configPath_;
    std::string logPath_;
    std::string pidPath_;
    std::string socket_;
    mutable std::mutex mu_;
    std::unique_ptr<Subprocess> process_; // one we started
    std::optional<Adopted> adopted_;      // or one an earlier run started
    std::atomic<bool> stopping_{false};
    std::condition_variable stopCv_;
    std::thread supervisor_;
};

// Whether containerd answers on socket within timeout.
bool containerdAnswers(const std::string& socket, std::chrono::milliseconds timeout);

// Asks containerd every `interval` whether it answers, logs when that
// changes, and says so in /healthz's detail and in faasd_containerd_up.
class ContainerdWatch {
public:
    // managedBy: "faasd" (supervised) or "its owner".
    ContainerdWatch(std::string socket, std::string managedBy,
                    std::chrono::milliseconds interval = std::chrono::seconds(2));
    ~ContainerdWatch();
    ContainerdWatch(const ContainerdWatch&) = delete;
    ContainerdWatch& operator=(const ContainerdWatch&) = delete;

    // "" while it answers; else one line for /healthz.
    std::string healthDetail() const;
    std::string prometheusText() const;

private:
    void loop();

    std::string socket_;
    std::string managedBy_;
    std::chrono::milliseconds interval_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool up_ = true;
    std::chrono::system_clock::time_point downSince_{};
    std::thread thread_;
};

} // namespace faasd::daemon
