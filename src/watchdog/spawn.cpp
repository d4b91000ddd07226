#include "watchdog/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace faasd::watchdog {

namespace {

// Attributes shared by every spawn: an empty signal mask (the watchdog
// blocks the signals it reads from a signalfd) and SIGPIPE at default.
struct SpawnAttributes {
    posix_spawnattr_t withGroup;
    posix_spawnattr_t plain;
    SpawnAttributes() {
        init(withGroup, true);
        init(plain, false);
    }
    static void init(posix_spawnattr_t& attr, bool group) {
        posix_spawnattr_init(&attr);
        sigset_t none;
        sigemptyset(&none);
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        if (group) {
            flags |= POSIX_SPAWN_SETPGROUP;
            posix_spawnattr_setpgroup(&attr, 0);
        }
        posix_spawnattr_setflags(&attr, flags);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &pipe);
    }
};

const char* signalName(int sig) {
    // Go's names for the common ones.
    switch (sig) {
    case SIGKILL:
        return "killed";
    case SIGTERM:
        return "terminated";
    case SIGINT:
        return "interrupt";
    case SIGSEGV:
        return "segmentation fault";
    case SIGABRT:
        return "aborted";
    case SIGPIPE:
        return "broken pipe";
    case SIGBUS:
        return "bus error";
    case SIGFPE:
        return "floating point exception";
    case SIGHUP:
        return "hangup";
    default:
        return nullptr;
    }
}

} // namespace

Result<pid_t> spawnProcess(const SpawnSpec& spec) {
    static SpawnAttributes attributes;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int fds[3] = {spec.stdinFd, spec.stdoutFd, spec.stderrFd};
    for (int target = 0; target < 3; ++target) {
        if (fds[target] >= 0) {
            posix_spawn_file_actions_adddup2(&actions, fds[target], target);
        }
    }
    pid_t pid = -1;
    int err = posix_spawn(&pid, spec.path, &actions,
                          spec.processGroup ? &attributes.withGroup : &attributes.plain,
                          spec.argv, spec.envp);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
        return fail(systemError(std::string("fork/exec ") + spec.path, err));
    }
    return pid;
}

Result<std::string> findExecutable(std::string_view name, std::string_view pathEnv) {
    std::string candidate;
    if (name.find('/') != std::string_view::npos) {
        candidate = std::string(name);
        if (::access(candidate.c_str(), X_OK) != 0) {
            return fail(systemError(candidate, errno));
        }
        return candidate;
    }
    if (pathEnv.empty()) {
        pathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    }
    size_t start = 0;
    while (start <= pathEnv.size()) {
        size_t colon = pathEnv.find(':', start);
        if (colon == std::string_view::npos) {
            colon = pathEnv.size();
        }
        std::string_view dir = pathEnv.substr(start, colon - start);
        candidate = dir.empty() ? "." : std::string(dir);
        candidate += '/';
        candidate += name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = colon + 1;
    }
    return fail(Code::NotFound, "{}: executable file not found in $PATH", name);
}

Result<Pipe> makePipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return fail(systemError("pipe", errno));
    }
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool setNonBlocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string describeExit(int status) {
    if (WIFEXITED(status)) {
        return "exit status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char* name = signalName(sig);
        return std::string("signal: ") + (name ? name : "signal " + std::to_string(sig));
    }
    return "exit status unknown";
}

bool exitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

bool ChildReaper::tryReap(pid_t pid) {
    int status = 0;
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got != pid) {
        return false;
    }
    dispatch(pid, status);
    return true;
}

void ChildReaper::reapAll() {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return;
        }
        dispatch(pid, status);
    }
}

void ChildReaper::killAll() {
    for (auto& [pid, onExit] : watched_) {
        ::kill(-pid, SIGKILL);
    }
}

void ChildReaper::dispatch(pid_t pid, int status) {
    auto it = watched_.find(pid);
    if (it == watched_.end()) {
        return; // an orphan we inherited as PID 1
    }
    OnExit onExit = std::move(it->second);
    watched_.erase(it);
    onExit(status);
}

} // namespace faasd::watchdog
