// What HTTP client libraries rarely send: Expect: 100-continue, HTTP/1.0,
// malformed requests; and replicas that close keep-alive connections.

#include "catch_result.hpp"
#include "harness.hpp"
#include "wait.hpp"

#include <arpa/inet.h>
#include <condition_variable>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

TEST_CASE("Expect: 100-continue is answered before the body is sent") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n"
           "Expect: 100-continue\r\n\r\n");
    CHECK(c.readUntil("\r\n\r\n").find("HTTP/1.1 100 Continue") == 0);
    c.send("hello");
    std::string res = c.readUntil("hello");
    CHECK(res.find("HTTP/1.1 200") == 0);
    CHECK(res.find("X-Echo-Call-Id") != std::string::npos);
    CHECK(res.find("Expect") == std::string::npos);
}

TEST_CASE("an HTTP/1.0 caller gets an HTTP/1.0 answer and the connection closes") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("POST /function/echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    std::string res;
    REQUIRE(c.readToClose(res));
    CHECK(res.find("HTTP/1.0 200") == 0);
    CHECK(res.substr(res.size() - 2) == "hi");
}

TEST_CASE("a malformed request is 400 and the connection closes") {
    Harness h;
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("GARBAGE\r\n\r\n");
    std::string res;
    REQUIRE(c.readToClose(res));
    CHECK(res.find(" 400 ") != std::string::npos);
}

TEST_CASE("keep-alive connections the replica closed are not reused") {
    auto config = Harness::defaultConfig();
    config.ioThreads = 1;
    TestUpstream up("echo-0", 2);
    Harness h(config); // closes every connection after 2 requests
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    for (int i = 0; i < 10; ++i) {
        auto res = c.Post("/function/echo", "x" + std::to_string(i), "text/plain");
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body == "x" + std::to_string(i));
    }
    CHECK(up.requests() == 10);
    CHECK(up.connections() == 5);
}

TEST_CASE("pipelined requests on one connection are answered in order") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\none"
           "POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\ntwo"
           "GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
    std::string res;
    REQUIRE(c.readToClose(res));
    auto one = res.find("one");
    auto two = res.find("two");
    auto ok = res.rfind("OK");
    REQUIRE(one != std::string::npos);
    REQUIRE(two != std::string::npos);
    CHECK(one < two);
    CHECK(two < ok);
}

TEST_CASE("bodiless requests on connections the replica closed are retried, not failed") {
    auto config = Harness::defaultConfig();
    config.ioThreads = 1;
    TestUpstream up("echo-0", 1);
    Harness h(config); // closes every connection after one request
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    for (int i = 0; i < 10; ++i) {
        auto res = c.Get("/function/echo/get" + std::to_string(i));
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->get_header_value("X-Echo-Path") == "/get" + std::to_string(i));
    }
    CHECK(up.requests() == 10);
}

namespace {

// A replica that answers with a chunked stream whose second part it holds
// back until told to go on (or 5 s pass).
struct HoldingUpstream {
    HoldingUpstream() {
        listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener, 4) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
        thread = std::thread([this] { serve(); });
    }
    ~HoldingUpstream() {
        release();
        thread.join();
        ::close(listener);
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        cv.notify_all();
    }
    void serve() {
        int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0) {
            return;
        }
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                ::close(fd);
                return;
            }
            request.append(buf, static_cast<size_t>(n));
        }
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n"
                                 "b\r\ndata: one\n\n\r\n";
        (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
        {
            std::unique_lock lock(mutex);
            cv.wait_for(lock, std::chrono::seconds(5), [this] { return released; });
            heldBack = !released;
        }
        const std::string tail = "b\r\ndata: two\n\n\r\n0\r\n\r\n";
        (void)::send(fd, tail.data(), tail.size(), MSG_NOSIGNAL);
        ::close(fd);
    }

    int listener = -1;
    uint16_t port = 0;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
    bool heldBack = false; // the 5 s passed without release()
};

} // namespace

TEST_CASE("a streamed answer reaches the caller piece by piece") {
    HoldingUpstream up;
    Harness h;
    h.provider.setEndpoints("events", "openfaas-fn", {{"events-0", "127.0.0.1", up.port}});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("GET /function/events HTTP/1.1\r\nHost: gw\r\n\r\n");
    // The first event arrives while the replica still holds the second.
    std::string first = c.readUntil("data: one", 4000);
    CHECK(first.find("HTTP/1.1 200") == 0);
    CHECK(first.find("data: one") != std::string::npos);
    up.release();
    std::string rest = c.readUntil("data: two", 4000);
    CHECK(rest.find("data: two") != std::string::npos);
    CHECK_FALSE(up.heldBack);
}

TEST_CASE("a large body goes up and comes back whole to a caller that reads late") {
    // 16 MiB each way: more than the sockets buffer, so the gateway's writes
    // to the caller, who reads only after a pause, must wait for room.
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    std::string body(16 << 20, '\0');
    for (size_t i = 0; i < body.size(); ++i) {
        body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    }
    RawClient raw(h.gateway->port());
    raw.send("POST /function/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Content-Type: application/octet-stream\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n");
    raw.send(body);
    // The answer has begun to arrive and the caller has read none of it: the
    // rest, more than the buffers between them hold, must wait for room.
    REQUIRE(waitUntil([&] { return raw.unread() > 0; }, std::chrono::seconds(10)));
    std::string answer;
    REQUIRE(raw.readToClose(answer, 20'000));
    const size_t headEnd = answer.find("\r\n\r\n");
    REQUIRE(headEnd != std::string::npos);
    CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(answer.find("Content-Length: " + std::to_string(body.size())) < headEnd);
    CHECK(answer.size() - headEnd - 4 == body.size());
    CHECK(answer.compare(headEnd + 4, std::string::npos, body) == 0);
}
