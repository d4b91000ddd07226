#pragma once

// A server process faasd starts and supervises: its own containerd, this
// node's etcd member. It is restarted when it dies (backoff from 0.5 s to
// 30 s while starts fail), and stopped with its owner (SIGTERM, SIGKILL
// after 10 s).
//
// The process is recorded in a pid file ("PID START": its pid and its start
// time in clock ticks since boot), so that after the daemon was killed (-9)
// and started again it adopts the process it left running and supervises it
// as before. A pid reused by another process has another start time, and is
// not adopted.

#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace faasd::daemon {

struct SupervisedSpec {
    std::string name; // "containerd", "etcd": in the log's lines
    std::vector<std::string> argv;
    std::string logPath; // its stdout and stderr, appended
    std::string pidPath; // "PID START"
    // Whether it serves: polled every 50 ms while it starts.
    std::function<bool()> answers;
    std::string address; // where it answers, for the log's lines
    std::chrono::milliseconds startTimeout{30'000};
};

class SupervisedProcess {
public:
    // Starts it; returns once it answers (Timeout, naming the log, if it
    // does not within startTimeout; Unavailable if it exits first).
    static Result<std::unique_ptr<SupervisedProcess>> start(SupervisedSpec spec);
    // The process an earlier run started and recorded in the pid file, when
    // it still runs: supervised from now on. nullptr when there is none.
    static Result<std::unique_ptr<SupervisedProcess>> adopt(SupervisedSpec spec);
    ~SupervisedProcess(); // stops it (SIGTERM, then SIGKILL) and removes the record

    SupervisedProcess(const SupervisedProcess&) = delete;
    SupervisedProcess& operator=(const SupervisedProcess&) = delete;

    pid_t pid() const;
    const SupervisedSpec& spec() const { return spec_; }

    // Stops supervising and leaves the process running, recorded: what a
    // daemon killed -9 leaves behind (for tests of adopt).
    void abandon();

private:
    // A process of an earlier run: not our child, watched through a pidfd.
    struct Adopted {
        pid_t pid = 0;
        UniqueFd pidfd;
    };

    explicit SupervisedProcess(SupervisedSpec spec) : spec_(std::move(spec)) {}
    Result<void> launch();
    void record(pid_t pid);
    void supervise();
    void stopSupervising();
    // The process ended (or none runs); mu_ held.
    std::optional<int> exited();

    SupervisedSpec spec_;
    mutable std::mutex mu_;
    std::unique_ptr<Subprocess> process_; // one we started
    std::optional<Adopted> adopted_;      // or one an earlier run started
    std::atomic<bool> stopping_{false};
    bool abandoned_ = false;
    std::condition_variable stopCv_;
    std::thread supervisor_;
};

// The argv run through `sh -c 'exec ARGV >>LOG 2>&1'`: the shell opens the
// log for appending and becomes the process (the same pid).
std::vector<std::string> loggedCommand(const std::vector<std::string>& argv,
                                       const std::string& logPath);

} // namespace faasd::daemon
