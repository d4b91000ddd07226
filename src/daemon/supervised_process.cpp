#include "daemon/supervised_process.hpp"

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace faasd::daemon {
namespace {

const Logger kSupervisorLog("daemon");

std::optional<uint64_t> parseNumber(std::string_view text) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// When the process started, in clock ticks since boot: field 22 of
// /proc/PID/stat (counted after the command, which may hold spaces). A pid
// reused by another process has another start time.
std::optional<uint64_t> startTime(pid_t pid) {
    auto text = readFile(fmt::format("/proc/{}/stat", pid));
    if (!text) {
        return std::nullopt;
    }
    auto close = text->rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    auto fields = splitWords(std::string_view(*text).substr(close + 1));
    if (fields.size() < 20) {
        return std::nullopt;
    }
    return parseNumber(fields[19]); // fields[0] is field 3, the state
}

// Whether the process behind pidfd has ended, waiting up to timeout.
bool pidfdEnded(int pidfd, std::chrono::milliseconds timeout) {
    struct pollfd p {
        pidfd, POLLIN, 0
    };
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

// A word as sh reads it back: in single quotes, each ' as '\''.
std::string shellQuoted(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

} // namespace

std::vector<std::string> loggedCommand(const std::vector<std::string>& argv,
                                       const std::string& logPath) {
    std::string script = "exec";
    for (const auto& word : argv) {
        script += " " + shellQuoted(word);
    }
    script += " >>" + shellQuoted(logPath) + " 2>&1";
    return {"sh", "-c", script};
}

Result<std::unique_ptr<SupervisedProcess>> SupervisedProcess::start(SupervisedSpec spec) {
    std::unique_ptr<SupervisedProcess> p(new SupervisedProcess(std::move(spec)));
    TRY(p->launch());
    p->supervisor_ = std::thread([raw = p.get()] { raw->supervise(); });
    return p;
}

Result<std::unique_ptr<SupervisedProcess>> SupervisedProcess::adopt(SupervisedSpec spec) {
    std::unique_ptr<SupervisedProcess> p(new SupervisedProcess(std::move(spec)));
    const auto& s = p->spec_;
    std::error_code ec;
    if (!std::filesystem::exists(s.pidPath, ec)) {
        return std::unique_ptr<SupervisedProcess>();
    }
    TRY_ASSIGN(auto text, readFile(s.pidPath));
    auto words = splitWords(text);
    auto pid = words.size() == 2 ? parseNumber(words[0]) : std::nullopt;
    auto started = words.size() == 2 ? parseNumber(words[1]) : std::nullopt;
    if (!pid || !started || *pid == 0) {
        kSupervisorLog.warn("{}: not \"PID START\"; ignored", s.pidPath);
        return std::unique_ptr<SupervisedProcess>();
    }
    const auto id = static_cast<pid_t>(*pid);
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, id, 0)));
    // Checked after the pidfd is open: from here on the pidfd is this process.
    if (!pidfd || startTime(id) != started) {
        kSupervisorLog.info("the {} an earlier run started (pid {}) is gone", s.name, id);
        std::filesystem::remove(s.pidPath, ec);
        return std::unique_ptr<SupervisedProcess>();
    }
    p->adopted_ = Adopted{.pid = id, .pidfd = std::move(pidfd)};
    kSupervisorLog.info("supervising the {} an earlier run started (pid {}) on {}", s.name, id,
                        s.address);
    p->supervisor_ = std::thread([raw = p.get()] { raw->supervise(); });
    return p;
}

pid_t SupervisedProcess::pid() const {
    std::lock_guard lock(mu_);
    return process_ ? process_->pid() : adopted_ ? adopted_->pid : 0;
}

void SupervisedProcess::record(pid_t pid) {
    auto started = startTime(pid);
    if (!started) {
        return; // it died already; the supervisor starts another
    }
    if (auto written = writeFileAtomic(spec_.pidPath, fmt::format("{} {}\n", pid, *started), 0600);
        !written) {
        kSupervisorLog.warn("recording {}'s pid: {}", spec_.name, written.error().message());
    }
}

Result<void> SupervisedProcess::launch() {
    const auto& s = spec_;
    auto proc = Subprocess::spawn({.argv = loggedCommand(s.argv, s.logPath),
                                   .out = Stdio::Null,
                                   .err = Stdio::Null,
                                   .newSession = true});
    if (!proc) {
        return fail(proc.error().context(fmt::format("starting {}", s.name)));
    }
    record(proc->pid()); // sh execs the server: the same pid
    auto deadline = std::chrono::steady_clock::now() + s.startTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (proc->poll()) {
            return fail(Code::Unavailable, "{} exited at start; see {}", s.name, s.logPath);
        }
        if (s.answers()) {
            std::lock_guard lock(mu_);
            process_ = std::make_unique<Subprocess>(std::move(*proc));
            adopted_.reset();
            kSupervisorLog.info("started {} (pid {}) on {}; log in {}", s.name, process_->pid(),
                                s.address, s.logPath);
            return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    proc->kill(SIGKILL);
    (void)proc->wait();
    return fail(Code::Timeout, "{} did not answer on {} within {} s; see {}", s.name, s.address,
                std::chrono::duration_cast<std::chrono::seconds>(s.startTimeout).count(),
                s.logPath);
}

std::optional<int> SupervisedProcess::exited() {
    if (process_) {
        return process_->poll();
    }
    if (adopted_) {
        return pidfdEnded(adopted_->pidfd.get(), std::chrono::milliseconds(0))
                   ? std::optional<int>(-1) // not our child: its status is not ours to read
                   : std::nullopt;
    }
    return -1;
}

void SupervisedProcess::supervise() {
    auto backoff = std::chrono::milliseconds(500);
    std::unique_lock lock(mu_);
    while (!stopping_) {
        stopCv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
        if (stopping_) {
            break;
        }
        auto status = exited();
        if (!status) {
            continue;
        }
        if (*status >= 0) {
            kSupervisorLog.warn("{} exited with status {}; restarting in {} ms", spec_.name,
                                *status, backoff.count());
        } else {
            kSupervisorLog.warn("{} exited; restarting in {} ms", spec_.name, backoff.count());
        }
        process_.reset();
        adopted_.reset();
        if (stopCv_.wait_for(lock, backoff, [&] { return stopping_.load(); })) {
            break;
        }
        lock.unlock();
        auto launched = launch();
        lock.lock();
        if (!launched) {
            kSupervisorLog.error("{}", launched.error().message());
            backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
        } else {
            backoff = std::chrono::milliseconds(500);
        }
    }
}

void SupervisedProcess::stopSupervising() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    stopCv_.notify_all();
    if (supervisor_.joinable()) {
        supervisor_.join();
    }
}

void SupervisedProcess::abandon() {
    stopSupervising();
    std::lock_guard lock(mu_);
    if (process_) {
        (void)process_->release();
        process_.reset();
    }
    adopted_.reset();
    abandoned_ = true;
}

SupervisedProcess::~SupervisedProcess() {
    stopSupervising();
    std::lock_guard lock(mu_);
    if (abandoned_) {
        return; // the record stays for the next run
    }
    if (process_) {
        process_->kill(SIGTERM);
        if (!process_->wait(std::chrono::seconds(10))) {
            process_->kill(SIGKILL);
            (void)process_->wait();
        }
    } else if (adopted_) {
        int fd = adopted_->pidfd.get();
        ::syscall(SYS_pidfd_send_signal, fd, SIGTERM, nullptr, 0);
        if (!pidfdEnded(fd, std::chrono::seconds(10))) {
            ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
            pidfdEnded(fd, std::chrono::seconds(10));
        }
    }
    std::error_code ec;
    std::filesystem::remove(spec_.pidPath, ec);
}

} // namespace faasd::daemon
