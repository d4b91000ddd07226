#include "watchdog/spawn.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace faasd::watchdog {

namespace {

// The child's side of spawnProcess. It runs on its own stack but in the
// parent's memory (CLONE_VM) while the parent is suspended (CLONE_VFORK),
// so it only makes system calls. No signal handler can run here: the
// watchdog installs none (signals arrive through a signalfd), which is why
// the per-signal reset glibc's posix_spawn does is not needed.
struct ChildArgs {
    const SpawnSpec* spec;
    const sigset_t* mask;
    int error;
};

__attribute__((no_sanitize_address)) int childMain(void* raw) {
    auto* args = static_cast<ChildArgs*>(raw);
    const SpawnSpec& spec = *args->spec;
    int fds[3] = {spec.stdinFd, spec.stdoutFd, spec.stderrFd};
    for (int target = 0; target < 3; ++target) {
        int fd = fds[target];
        if (fd < 0) {
            continue;
        }
        // dup2 onto itself would keep close-on-exec set.
        int result = fd == target ? ::fcntl(fd, F_SETFD, 0) : ::dup2(fd, target);
        if (result < 0) {
            args->error = errno;
            ::_exit(127);
        }
    }
    if (spec.processGroup && ::setpgid(0, 0) != 0) {
        args->error = errno;
        ::_exit(127);
    }
    ::sigprocmask(SIG_SETMASK, args->mask, nullptr);
    ::execve(spec.path, spec.argv, spec.envp);
    args->error = errno;
    ::_exit(127);
}

// One stack for every child: spawns happen one at a time on the event loop
// thread, and the parent waits (CLONE_VFORK) until the child is done with it.
alignas(64) char childStack[64 * 1024];

const char* signalName(int sig) { // Go's names for the common ones.
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
    static const sigset_t empty = [] {
        sigset_t set;
        sigemptyset(&set);
        return set;
    }();
    ChildArgs args{&spec, &empty, 0};
    pid_t pid =
        ::clone(childMain, childStack + sizeof childStack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (pid < 0) {
        return fail(systemError(std::string("fork/exec ") + spec.path, errno));
    }
    if (args.error != 0) {
        // The child could not exec and has exited: reap it here.
        int status = 0;
        ::waitpid(pid, &status, 0);
        return fail(systemError(std::string("fork/exec ") + spec.path, args.error));
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

bool exitedCleanly(int status) {
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

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
