#pragma once

// Starting and reaping the function's processes. Children are started with
// clone(CLONE_VM|CLONE_VFORK), like posix_spawn but without its per-signal
// reset (the watchdog has no signal handlers): no page tables are copied
// and the watchdog is suspended only until the child has called execve.
// Each child gets its own process group, so a timeout kills what it started
// too, and an empty signal mask. Children are reaped from SIGCHLD
// (signalfd), which also reaps orphans when the watchdog is PID 1.

#include "common/error.hpp"
#include "common/unique_fd.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_map>

namespace faasd::watchdog {

struct SpawnSpec {
    const char* path = nullptr; // absolute, or relative to the cwd
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    int stdinFd = -1; // -1: the watchdog's own
    int stdoutFd = -1;
    int stderrFd = -1;
    bool processGroup = true;
};

Result<pid_t> spawnProcess(const SpawnSpec& spec);

// PATH lookup as execvp does it; a name with a '/' is taken as it is.
Result<std::string> findExecutable(std::string_view name, std::string_view pathEnv);

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};
// Both ends close-on-exec (the child gets its end by dup2).
Result<Pipe> makePipe();
bool setNonBlocking(int fd);

// Go's exec.ExitError text: "exit status 1", "signal: killed".
std::string describeExit(int waitStatus);
bool exitedCleanly(int waitStatus);

class ChildReaper {
public:
    using OnExit = std::function<void(int waitStatus)>;

    void watch(pid_t pid, OnExit onExit) { watched_[pid] = std::move(onExit); }
    void forget(pid_t pid) { watched_.erase(pid); }
    // Reaps pid if it has exited, running its callback. Cheap: one waitpid.
    bool tryReap(pid_t pid);
    // On SIGCHLD: reaps every exited child, watched or not.
    void reapAll();
    size_t watching() const { return watched_.size(); }
    // SIGKILLs the process group of every watched child (at exit).
    void killAll();

private:
    void dispatch(pid_t pid, int status);

    std::unordered_map<pid_t, OnExit> watched_;
};

} // namespace faasd::watchdog
