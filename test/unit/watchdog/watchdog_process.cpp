#include "watchdog_process.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <signal.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace faasd::watchdog::test {

std::string builtPath(const char* variable) {
    const char* value = std::getenv(variable);
    if (!value || !*value) {
        throw std::runtime_error(std::string(variable) + " is not set (run the tests with meson)");
    }
    return value;
}

int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

std::unique_ptr<WatchdogProcess> WatchdogProcess::start(Vars vars, bool waitReady,
                                                        std::vector<std::string> wrapper) {
    auto dir = TempDir::create("fwatchdog-test");
    if (!dir) {
        throw std::runtime_error(dir.error().message());
    }
    vars.emplace("port", "0");
    vars.emplace("metrics_port", "0");
    vars.emplace("TMPDIR", dir->path().string());
    const char* path = std::getenv("PATH");
    vars.emplace("PATH", path ? path : "/usr/bin:/bin");
    SubprocessOptions options;
    options.argv = std::move(wrapper);
    options.argv.push_back(builtPath("FWATCHDOG"));
    options.env.emplace();
    for (const auto& [k, v] : vars) {
        options.env->push_back(k + "=" + v);
    }
    options.out = Stdio::Pipe;
    options.err = Stdio::Pipe;
    options.newSession = true;
    auto process = Subprocess::spawn(options);
    if (!process) {
        throw std::runtime_error(process.error().message());
    }
    std::unique_ptr<WatchdogProcess> w(new WatchdogProcess(std::move(*dir), std::move(*process)));
    if (!w->waitForLog("Listening on port: ")) {
        throw std::runtime_error("fwatchdog did not start: " + w->logs());
    }
    std::string logs = w->logs();
    std::smatch match;
    if (std::regex_search(logs, match, std::regex("Listening on port: (\\d+)"))) {
        w->port_ = std::stoi(match[1]);
    }
    if (std::regex_search(logs, match, std::regex("Metrics listening on port: (\\d+)"))) {
        w->metricsPort_ = std::stoi(match[1]);
    }
    if (waitReady && !w->waitForLog("Writing lock-file to: ") && !w->waitForLog("suppress_lock")) {
        throw std::runtime_error("fwatchdog did not get ready: " + w->logs());
    }
    return w;
}

WatchdogProcess::WatchdogProcess(TempDir dir, Subprocess process)
    : dir_(std::move(dir)), process_(std::make_unique<Subprocess>(std::move(process))) {
    reader_ = std::thread([this] { readOutput(); });
}

WatchdogProcess::~WatchdogProcess() {
    if (process_->running()) {
        // SIGTERM first: the watchdog kills its functions' processes.
        process_->kill(SIGTERM);
        if (!process_->wait(std::chrono::seconds(3))) {
            ::kill(-process_->pid(), SIGKILL);
            process_->kill(SIGKILL);
            (void)process_->wait(std::chrono::seconds(5));
        }
    }
    if (reader_.joinable()) {
        reader_.join();
    }
}

void WatchdogProcess::readOutput() {
    int errFd = process_->stderrFd().get();
    int outFd = process_->stdoutFd().get();
    bool errOpen = true;
    bool outOpen = true;
    char buffer[65536];
    while (errOpen || outOpen) {
        pollfd fds[2] = {{errOpen ? errFd : -1, POLLIN, 0}, {outOpen ? outFd : -1, POLLIN, 0}};
        if (::poll(fds, 2, 1000) < 0) {
            continue;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            std::lock_guard lock(mutex_);
            if (n <= 0) {
                (i == 0 ? errOpen : outOpen) = false;
            } else {
                (i == 0 ? logs_ : out_).append(buffer, static_cast<size_t>(n));
            }
            changed_.notify_all();
        }
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
}

std::string WatchdogProcess::lockPath() const {
    return dir_.path().string() + "/.lock";
}

std::string WatchdogProcess::logs() {
    std::lock_guard lock(mutex_);
    return logs_;
}

std::string WatchdogProcess::out() {
    std::lock_guard lock(mutex_);
    return out_;
}

bool WatchdogProcess::waitForLog(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return logs_.find(needle) != std::string::npos || eof_;
    }) && logs_.find(needle) != std::string::npos;
}

std::optional<int> WatchdogProcess::waitExit(std::chrono::milliseconds timeout) {
    auto status = process_->wait(timeout);
    if (!status) {
        return std::nullopt;
    }
    if (reader_.joinable()) {
        reader_.join();
    }
    return *status;
}

std::optional<int> WatchdogProcess::terminate(std::chrono::milliseconds timeout) {
    process_->kill(SIGTERM);
    return waitExit(timeout);
}

httplib::Client WatchdogProcess::client(std::chrono::seconds timeout) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    client.set_connection_timeout(std::chrono::seconds(2));
    return client;
}

std::string writeScript(const TempDir& dir, const std::string& name, const std::string& text) {
    std::string path = dir.path().string() + "/" + name;
    auto written = writeFileAtomic(path, text, 0755);
    if (!written) {
        throw std::runtime_error(written.error().message());
    }
    return path;
}

std::string rawExchange(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return {};
    }
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        sent += static_cast<size_t>(n);
    }
    std::string out;
    char buffer[65536];
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            break;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        out.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

} // namespace faasd::watchdog::test
