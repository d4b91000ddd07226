#include "harness.hpp"

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace faasd::gateway::test {

TestUpstream::TestUpstream(std::string instance) : instance_(std::move(instance)) {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(100000);
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
        std::this_thread::sleep_for(std::chrono::seconds(1));
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

Harness::~Harness() { gateway->stop(); }

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
