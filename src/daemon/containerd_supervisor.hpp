#pragma once

// A containerd started and supervised by faasd (restarted if it dies), for
// machines where no service manager runs one; and a watch on whichever
// containerd the daemon uses, for /healthz and /metrics.
//
// The containerd faasd starts is a SupervisedProcess recorded in
// <state dir>/containerd/pid (its pid and its start time since boot), so
// that after the daemon was killed (-9) and started again it adopts the
// containerd it left running and supervises it as before: restarted when
// it dies, stopped with the daemon. A containerd that faasd did not start (systemd's, the
// distribution's) is left to its owner.

#include "common/error.hpp"
#include "config/daemon_config.hpp"
#include "daemon/supervised_process.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace faasd::daemon {

// Starts containerd with state under <stateDir>/containerd, serving the
// configured socket; returns once it answers.
Result<std::unique_ptr<SupervisedProcess>> startContainerd(const config::DaemonConfig& config);

// The containerd an earlier run of faasd started and recorded, when it
// still runs: supervised from now on. nullptr when there is none (the
// containerd that answers is someone else's).
Result<std::unique_ptr<SupervisedProcess>> adoptContainerd(const config::DaemonConfig& config);

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
