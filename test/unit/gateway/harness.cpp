#include "harness.hpp"

#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace faasd::gateway::test {

TestUpstream::TestUpstream(std::string instance, size_t maxKeepAlive)
    : instance_(std::move(instance)) {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(maxKeepAlive);
    auto h = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    server_.Get(".*", h);
    server_.Post(".*", h);
    server_.Put(".*", h);
    server_.Delete(".*", h);
    server_.Patch(".*", h);
    int port = server_.bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        throw std::runtime_error("upstream: cannot bind");
    }
    port_ = static_cast<uint16_t>(port);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
}

TestUpstream::~TestUpstream() {
    release(); // a test that failed before releasing must not keep the server busy
    server_.stop();
    thread_.join();
}

size_t TestUpstream::connections() {
    std::lock_guard lock(mutex_);
    return remotePorts_.size();
}

size_t TestUpstream::requests() {
    std::lock_guard lock(mutex_);
    return requests_;
}

size_t TestUpstream::held() {
    std::lock_guard lock(mutex_);
    return held_;
}

bool TestUpstream::waitHeld(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return held_ >= n; });
}

void TestUpstream::release() {
    {
        std::lock_guard lock(mutex_);
        released_ = true;
    }
    changed_.notify_all();
}

void TestUpstream::handle(const httplib::Request& req, httplib::Response& res) {
    {
        std::lock_guard lock(mutex_);
        remotePorts_.insert(req.remote_port);
        ++requests_;
    }
    res.set_header("X-Instance", instance_);
    if (req.path == "/redirect") {
        res.status = 302;
        res.set_header("Location", "/elsewhere");
        return;
    }
    if (req.path == "/slow") {
        // Not a wait: a replica slower than the timeouts the tests set (a
        // busy machine only makes it slower). Tests that need a call to
        // stay in the replica until they say so use /hold.
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (req.path == "/hold") {
        std::unique_lock lock(mutex_);
        ++held_;
        changed_.notify_all();
        // Bounded, so that a test that never releases cannot hang the server.
        changed_.wait_for(lock, std::chrono::seconds(30), [&] { return released_; });
        --held_;
        changed_.notify_all();
    }
    if (req.path.rfind("/status/", 0) == 0) {
        res.status = std::stoi(req.path.substr(8));
    }
    std::string headers;
    for (const auto& [k, v] : req.headers) {
        headers += k + ": " + v + "\n";
    }
    std::string query;
    for (const auto& [k, v] : req.params) {
        query += (query.empty() ? "" : "&") + k + "=" + v;
    }
    res.set_header("X-Echo-Method", req.method);
    res.set_header("X-Echo-Path", req.path);
    res.set_header("X-Echo-Query", query);
    res.set_header("X-Echo-Call-Id", req.get_header_value("X-Call-Id"));
    res.set_header("X-Duration-Seconds", "0.001");
    if (req.path == "/headers") {
        res.set_content(headers, "text/plain");
    } else {
        res.set_content(req.body, "text/plain");
    }
}

uint16_t closedPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool accepts(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return connected;
}

RawClient::RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        throw std::runtime_error("raw client: cannot connect");
    }
}

RawClient::~RawClient() {
    ::close(fd_);
}

void RawClient::send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        off += static_cast<size_t>(n);
    }
}

std::string RawClient::readUntil(const std::string& text, int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (pending_.find(text) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        pollfd p{fd_, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
            break;
        }
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        pending_.append(buf, static_cast<size_t>(n));
    }
    size_t at = pending_.find(text);
    size_t end = at == std::string::npos ? pending_.size() : at + text.size();
    std::string out = pending_.substr(0, end);
    pending_.erase(0, end);
    return out;
}

bool RawClient::readToClose(std::string& out, int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    out = std::move(pending_);
    pending_.clear();
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        pollfd p{fd_, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
            return false;
        }
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            return true;
        }
        out.append(buf, static_cast<size_t>(n));
    }
}

size_t RawClient::unread() const {
    int n = 0;
    return ::ioctl(fd_, FIONREAD, &n) == 0 && n > 0 ? static_cast<size_t>(n) : 0;
}

GatewayConfig Harness::defaultConfig() {
    GatewayConfig c;
    c.bindAddress = "127.0.0.1";
    c.port = 0;
    c.ioThreads = 2;
    c.blockingThreads = 2;
    c.upstreamTimeout = std::chrono::milliseconds(3000);
    c.shutdownTimeout = std::chrono::milliseconds(3000);
    return c;
}

Harness::Harness(GatewayConfig config) {
    {
        std::lock_guard lock(provider.mutex);
        provider.namespaces["dev"] = {"dev", {{"openfaas", "1"}}, {}};
        provider.namespaces["openfaas-fn"] = {"openfaas-fn", {{"openfaas", "1"}}, {}};
    }
    gateway = std::make_unique<Gateway>(std::move(config), provider);
}

Harness::~Harness() {
    gateway->stop();
}

std::string Harness::url() const {
    return "http://127.0.0.1:" + std::to_string(gateway->port());
}

httplib::Client Harness::client() const {
    httplib::Client c("127.0.0.1", gateway->port());
    c.set_keep_alive(true);
    c.set_read_timeout(10, 0);
    c.set_connection_timeout(2, 0);
    return c;
}

} // namespace faasd::gateway::test
