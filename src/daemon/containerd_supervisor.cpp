#include "daemon/containerd_supervisor.hpp"

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "containerd/client.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <optional>
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

} // namespace

bool containerdAnswers(const std::string& socket, std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        return false;
    }
    auto client = containerd::Client::connect({.socket = socket, .timeout = timeout});
    return client && client->version().has_value();
}

ContainerdSupervisor::ContainerdSupervisor(const config::DaemonConfig& config) {
    auto base = std::filesystem::path(config.stateDir) / "containerd";
    binary_ = config.containerdBinary;
    socket_ = config.containerdSocket;
    configPath_ = (base / "config.toml").string();
    logPath_ = (base / "containerd.log").string();
    pidPath_ = (base / "pid").string();
}

Result<std::unique_ptr<ContainerdSupervisor>>
ContainerdSupervisor::start(const config::DaemonConfig& config) {
    std::unique_ptr<ContainerdSupervisor> c(new ContainerdSupervisor(config));
    auto base = std::filesystem::path(config.stateDir) / "containerd";
    std::error_code ec;
    std::filesystem::create_directories(base, ec);
    std::filesystem::create_directories(
        std::filesystem::path(config.containerdSocket).parent_path(), ec);
    std::string toml = fmt::format(R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{1}"

[ttrpc]
  address = "{1}.ttrpc"
)",
                                   base.string(), config.containerdSocket);
    TRY(writeFileAtomic(c->configPath_, toml));
    TRY(c->launch());
    c->supervisor_ = std::thread([raw = c.get()] { raw->supervise(); });
    return c;
}

Result<std::unique_ptr<ContainerdSupervisor>>
ContainerdSupervisor::adopt(const config::DaemonConfig& config) {
    std::unique_ptr<ContainerdSupervisor> c(new ContainerdSupervisor(config));
    std::error_code ec;
    if (!std::filesystem::exists(c->pidPath_, ec)) {
        return std::unique_ptr<ContainerdSupervisor>();
    }
    TRY_ASSIGN(auto text, readFile(c->pidPath_));
    auto words = splitWords(text);
    auto pid = words.size() == 2 ? parseNumber(words[0]) : std::nullopt;
    auto started = words.size() == 2 ? parseNumber(words[1]) : std::nullopt;
    if (!pid || !started || *pid == 0) {
        kSupervisorLog.warn("{}: not \"PID START\"; ignored", c->pidPath_);
        return std::unique_ptr<ContainerdSupervisor>();
    }
    const auto p = static_cast<pid_t>(*pid);
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, p, 0)));
    // Checked after the pidfd is open: from here on the pidfd is this process.
    if (!pidfd || startTime(p) != started) {
        kSupervisorLog.info("the containerd an earlier run started (pid {}) is gone", p);
        std::filesystem::remove(c->pidPath_, ec);
        return std::unique_ptr<ContainerdSupervisor>();
    }
    c->adopted_ = Adopted{.pid = p, .pidfd = std::move(pidfd)};
    kSupervisorLog.info("supervising the containerd an earlier run started (pid {}) on {}", p,
                        c->socket_);
    c->supervisor_ = std::thread([raw = c.get()] { raw->supervise(); });
    return c;
}

pid_t ContainerdSupervisor::pid() const {
    std::lock_guard lock(mu_);
    return process_ ? process_->pid() : adopted_ ? adopted_->pid : 0;
}

void ContainerdSupervisor::record(pid_t pid) {
    auto started = startTime(pid);
    if (!started) {
        return; // it died already; the supervisor starts another
    }
    if (auto written = writeFileAtomic(pidPath_, fmt::format("{} {}\n", pid, *started), 0600);
        !written) {
        kSupervisorLog.warn("recording containerd's pid: {}", written.error().message());
    }
}

Result<void> ContainerdSupervisor::launch() {
    auto proc = Subprocess::spawn(
        {.argv = {"sh", "-c",
                  fmt::format("exec {} --config {} >>{} 2>&1", binary_, configPath_, logPath_)},
         .out = Stdio::Null,
         .err = Stdio::Null,
         .newSession = true});
    if (!proc) {
        return fail(proc.error().context("starting containerd"));
    }
    record(proc->pid()); // sh execs containerd: the same pid
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (proc->poll()) {
            return fail(Code::Unavailable, "containerd exited at start; see {}", logPath_);
        }
        if (containerdAnswers(socket_, std::chrono::milliseconds(500))) {
            std::lock_guard lock(mu_);
            process_ = std::make_unique<Subprocess>(std::move(*proc));
            adopted_.reset();
            kSupervisorLog.info("started containerd (pid {}) on {}; log in {}", process_->pid(),
                                socket_, logPath_);
            return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    proc->kill(SIGKILL);
    (void)proc->wait();
    return fail(Code::Timeout, "containerd did not answer on {} within 30 s; see {}", socket_,
                logPath_);
}

std::optional<int> ContainerdSupervisor::exited() {
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

void ContainerdSupervisor::supervise() {
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
            kSupervisorLog.warn("containerd exited with status {}; restarting in {} ms", *status,
                                backoff.count());
        } else {
            kSupervisorLog.warn("containerd exited; restarting in {} ms", backoff.count());
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

ContainerdSupervisor::~ContainerdSupervisor() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    stopCv_.notify_all();
    if (supervisor_.joinable()) {
        supervisor_.join();
    }
    std::lock_guard lock(mu_);
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
    std::filesystem::remove(pidPath_, ec);
}

// --- ContainerdWatch

ContainerdWatch::ContainerdWatch(std::string socket, std::string managedBy,
                                 std::chrono::milliseconds interval)
    : socket_(std::move(socket)), managedBy_(std::move(managedBy)), interval_(interval),
      thread_([this] { loop(); }) {}

ContainerdWatch::~ContainerdWatch() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void ContainerdWatch::loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [&] { return stopping_; })) {
        lock.unlock();
        const bool answers = containerdAnswers(socket_, std::chrono::milliseconds(1000));
        lock.lock();
        if (answers == up_) {
            continue;
        }
        up_ = answers;
        if (!answers) {
            downSince_ = std::chrono::system_clock::now();
            kSupervisorLog.warn("containerd is not answering on {} (managed by {}); functions "
                                "keep serving, changes fail until it is back",
                                socket_, managedBy_);
        } else {
            auto down = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now() - downSince_);
            kSupervisorLog.info("containerd answers again on {} after {} s", socket_, down.count());
        }
    }
}

std::string ContainerdWatch::healthDetail() const {
    std::lock_guard lock(mu_);
    if (up_) {
        return {};
    }
    return fmt::format(
        "containerd: not answering on {} since {:%Y-%m-%dT%H:%M:%SZ} (managed by {})", socket_,
        std::chrono::floor<std::chrono::seconds>(downSince_), managedBy_);
}

std::string ContainerdWatch::prometheusText() const {
    std::lock_guard lock(mu_);
    return fmt::format("# HELP faasd_containerd_up Whether containerd answers on its socket.\n"
                       "# TYPE faasd_containerd_up gauge\n"
                       "faasd_containerd_up{{managed_by=\"{}\"}} {}\n",
                       managedBy_, up_ ? 1 : 0);
}

} // namespace faasd::daemon
