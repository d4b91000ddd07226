#pragma once

// Test harness: a Gateway on 127.0.0.1:0 over a FakeProvider, and small
// HTTP upstreams standing in for function replicas.

#include "fake_provider.hpp"
#include "gateway/gateway.hpp"

#include <chrono>
#include <condition_variable>
#include <httplib.h>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace faasd::gateway::test {

// A function replica. Paths: anything echoes (body back; method, path,
// query and headers in X-Echo-* headers); /redirect answers 302; /slow
// takes 1 s (a replica slower than a timeout); /hold stays inside the
// replica until release(), then echoes; /status/{code} answers that code.
class TestUpstream {
public:
    // maxKeepAlive: requests per connection before the server closes it.
    explicit TestUpstream(std::string instance, size_t maxKeepAlive = 100000);
    ~TestUpstream();

    uint16_t port() const { return port_; }
    provider::Endpoint endpoint() const { return {instance_, "127.0.0.1", port_}; }
    // Distinct client ports seen: the number of connections the gateway opened.
    size_t connections();
    size_t requests();

    // Calls to /hold inside the replica now.
    size_t held();
    // Waits until at least n calls to /hold are inside; false on timeout.
    bool waitHeld(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Lets every call to /hold, present and future, answer.
    void release();

private:
    void handle(const httplib::Request& req, httplib::Response& res);

    std::string instance_;
    httplib::Server server_;
    std::thread thread_;
    uint16_t port_ = 0;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::set<int> remotePorts_;
    size_t requests_ = 0;
    size_t held_ = 0;
    bool released_ = false;
};

// A port nothing listens on.
uint16_t closedPort();
// Whether a TCP connection to 127.0.0.1:port is accepted.
bool accepts(uint16_t port);

// A raw client connection, for what HTTP libraries do not send.
class RawClient {
public:
    explicit RawClient(uint16_t port);
    ~RawClient();
    void send(const std::string& data);
    // Reads until text has arrived, the peer closed, or the timeout passed.
    std::string readUntil(const std::string& text, int timeoutMs = 3000);
    // Reads until the peer closes; false on timeout.
    bool readToClose(std::string& out, int timeoutMs = 3000);
    // Bytes that have arrived and wait in the socket, not yet read.
    size_t unread() const;

private:
    int fd_ = -1;
    std::string pending_;
};

struct Harness {
    explicit Harness(GatewayConfig config = defaultConfig());
    ~Harness();

    static GatewayConfig defaultConfig();
    httplib::Client client() const;
    std::string url() const;

    FakeProvider provider;
    std::unique_ptr<Gateway> gateway;
};

} // namespace faasd::gateway::test
