#include "common/subprocess.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace faasd {
namespace {

int openPidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int decodeStatus(int wstatus) {
    if (WIFEXITED(wstatus)) {
        return WEXITSTATUS(wstatus);
    }
    if (WIFSIGNALED(wstatus)) {
        return 128 + WTERMSIG(wstatus);
    }
    return 255;
}

struct Pipe {
    UniqueFd read, write;
};

Result<Pipe> makePipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return fail(systemError("pipe2", errno));
    }
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::vector<char*> cStrings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) {
        out.push_back(const_cast<char*>(s.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

} // namespace

std::vector<std::string> environmentWith(std::string_view key, std::string_view value) {
    std::vector<std::string> env;
    const std::string prefix = std::string(key) + "=";
    for (char** e = environ; e && *e; ++e) {
        if (std::string_view(*e).rfind(prefix, 0) != 0) {
            env.emplace_back(*e);
        }
    }
    env.push_back(prefix + std::string(value));
    return env;
}

bool isExecutable(const std::string& name) {
    if (name.empty()) {
        return false;
    }
    if (name.find('/') != std::string::npos) {
        return ::access(name.c_str(), X_OK) == 0;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin:/bin";
    while (true) {
        auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) {
            return true;
        }
        if (colon == std::string_view::npos) {
            return false;
        }
        dirs.remove_prefix(colon + 1);
    }
}

std::string commandLine(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& arg : argv) {
        if (!line.empty()) {
            line += ' ';
        }
        line += arg;
    }
    return line;
}

Result<Subprocess> Subprocess::spawn(const SubprocessOptions& options) {
    if (options.argv.empty()) {
        return fail(Code::InvalidArgument, "spawning a process: empty command");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    struct Cleanup {
        posix_spawn_file_actions_t* a;
        posix_spawnattr_t* b;
        ~Cleanup() {
            posix_spawn_file_actions_destroy(a);
            posix_spawnattr_destroy(b);
        }
    } cleanup{&actions, &attr};

    Subprocess child;
    UniqueFd childIn, childOut, childErr;
    auto setup = [&](Stdio mode, int target, UniqueFd& parentEnd, UniqueFd& childEnd,
                     bool parentWrites) -> Result<void> {
        switch (mode) {
        case Stdio::Inherit:
            return {};
        case Stdio::Null:
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                             target == 0 ? O_RDONLY : O_WRONLY, 0);
            return {};
        case Stdio::Pipe: {
            TRY_ASSIGN(auto pipe, makePipe());
            if (parentWrites) {
                parentEnd = std::move(pipe.write);
                childEnd = std::move(pipe.read);
            } else {
                parentEnd = std::move(pipe.read);
                childEnd = std::move(pipe.write);
            }
            // dup2 clears O_CLOEXEC on the target.
            posix_spawn_file_actions_adddup2(&actions, childEnd.get(), target);
            return {};
        }
        }
        return {};
    };
    TRY(setup(options.in, 0, child.in_, childIn, true));
    TRY(setup(options.out, 1, child.out_, childOut, false));
    TRY(setup(options.err, 2, child.err_, childErr, false));

    if (!options.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
    }
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (options.newSession) {
        flags |= POSIX_SPAWN_SETSID;
    }
    posix_spawnattr_setflags(&attr, flags);

    auto argv = cStrings(options.argv);
    std::vector<char*> envp;
    if (options.env) {
        envp = cStrings(*options.env);
    }
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(),
                            options.env ? envp.data() : environ);
    if (rc != 0) {
        return fail(systemError(fmt::format("starting {}", options.argv[0]), rc));
    }
    child.pid_ = pid;
    child.pidfd_ = UniqueFd(openPidfd(pid));
    if (!child.pidfd_) {
        return fail(systemError("pidfd_open", errno));
    }
    return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)),
      in_(std::move(other.in_)), out_(std::move(other.out_)), err_(std::move(other.err_)),
      status_(other.status_) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
    if (this != &other) {
        reapNow();
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
        in_ = std::move(other.in_);
        out_ = std::move(other.out_);
        err_ = std::move(other.err_);
        status_ = other.status_;
    }
    return *this;
}

Subprocess::~Subprocess() {
    reapNow();
}

pid_t Subprocess::release() {
    pidfd_.reset();
    in_.reset();
    out_.reset();
    err_.reset();
    return std::exchange(pid_, -1);
}

void Subprocess::reapNow() {
    if (pid_ > 0 && !status_) {
        kill(SIGKILL);
        int wstatus = 0;
        while (::waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
        }
        status_ = decodeStatus(wstatus);
    }
}

void Subprocess::kill(int signal) const {
    if (pid_ > 0 && !status_ && pidfd_) {
        ::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0);
    }
}

std::optional<int> Subprocess::poll() {
    if (status_) {
        return status_;
    }
    int wstatus = 0;
    pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
        status_ = decodeStatus(wstatus);
    }
    return status_;
}

Result<int> Subprocess::wait(std::optional<std::chrono::milliseconds> timeout) {
    if (status_) {
        return *status_;
    }
    if (timeout) {
        auto deadline = std::chrono::steady_clock::now() + *timeout;
        for (;;) {
            if (auto status = poll()) {
                return *status;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return fail(Code::Timeout, "process {} still running after {} ms", pid_,
                            timeout->count());
            }
            struct pollfd p {
                pidfd_.get(), POLLIN, 0
            };
            ::poll(&p, 1, static_cast<int>(left.count()));
        }
    }
    int wstatus = 0;
    while (::waitpid(pid_, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            return fail(systemError("waitpid", errno));
        }
    }
    status_ = decodeStatus(wstatus);
    return *status_;
}

Result<RunOutput> run(SubprocessOptions options, std::string_view input,
                      std::chrono::milliseconds timeout, size_t maxOutput) {
    options.in = Stdio::Pipe;
    options.out = Stdio::Pipe;
    options.err = Stdio::Pipe;
    const std::string name = options.argv.empty() ? "" : options.argv[0];
    TRY_ASSIGN(auto child, Subprocess::spawn(options));

    for (auto* fd : {&child.stdinFd(), &child.stdoutFd(), &child.stderrFd()}) {
        int flags = ::fcntl(fd->get(), F_GETFL);
        ::fcntl(fd->get(), F_SETFL, flags | O_NONBLOCK);
    }
    if (input.empty()) {
        child.stdinFd().reset();
    }

    // Writing to a pipe whose reader is gone raises SIGPIPE; keep it blocked
    // in this thread and drop any that became pending.
    sigset_t pipeSet, oldSet;
    sigemptyset(&pipeSet);
    sigaddset(&pipeSet, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSet, &oldSet);
    struct RestoreMask {
        sigset_t* set;
        sigset_t* pipe;
        ~RestoreMask() {
            struct timespec zero {
                0, 0
            };
            while (sigtimedwait(pipe, nullptr, &zero) > 0) {
            }
            pthread_sigmask(SIG_SETMASK, set, nullptr);
        }
    } restore{&oldSet, &pipeSet};

    RunOutput output;
    size_t written = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[16384];
    while (child.stdoutFd() || child.stderrFd()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            child.kill(SIGKILL);
            (void)child.wait();
            return fail(Code::Timeout, "{} did not finish within {} ms", name, timeout.count());
        }
        struct pollfd fds[3];
        int n = 0;
        int inIdx = -1, outIdx = -1, errIdx = -1;
        if (child.stdinFd()) {
            inIdx = n;
            fds[n++] = {child.stdinFd().get(), POLLOUT, 0};
        }
        if (child.stdoutFd()) {
            outIdx = n;
            fds[n++] = {child.stdoutFd().get(), POLLIN, 0};
        }
        if (child.stderrFd()) {
            errIdx = n;
            fds[n++] = {child.stderrFd().get(), POLLIN, 0};
        }
        int r = ::poll(fds, n, static_cast<int>(left.count()));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(systemError("poll", errno));
        }
        if (inIdx >= 0 && fds[inIdx].revents) {
            ssize_t w =
                ::write(child.stdinFd().get(), input.data() + written, input.size() - written);
            if (w > 0) {
                written += static_cast<size_t>(w);
            }
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
                child.stdinFd().reset(); // done, or EPIPE: the child stopped reading
            }
        }
        auto drain = [&](int idx, UniqueFd& fd, std::string& into) -> Result<void> {
            if (idx < 0 || !fds[idx].revents) {
                return {};
            }
            ssize_t got = ::read(fd.get(), buf, sizeof buf);
            if (got > 0) {
                if (into.size() + static_cast<size_t>(got) > maxOutput) {
                    child.kill(SIGKILL);
                    return fail(Code::ResourceExhausted, "{} wrote more than {} bytes", name,
                                maxOutput);
                }
                into.append(buf, static_cast<size_t>(got));
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                fd.reset();
            }
            return {};
        };
        TRY(drain(outIdx, child.stdoutFd(), output.out));
        TRY(drain(errIdx, child.stderrFd(), output.err));
    }
    child.stdinFd().reset();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto status = child.wait(std::max(left, std::chrono::milliseconds(1)));
    if (!status) {
        child.kill(SIGKILL);
        (void)child.wait();
        return fail(Code::Timeout, "{} did not finish within {} ms", name, timeout.count());
    }
    output.status = *status;
    return output;
}

} // namespace faasd
