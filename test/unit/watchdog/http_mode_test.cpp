// mode=http: fwatchdog starts the test upstream and proxies to it.

#include "watchdog_process.hpp"

#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::watchdog::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<WatchdogProcess> startProxy(Vars extra = {}) {
    int port = freePort();
    Vars vars = {{"mode", "http"},
                 {"fprocess", builtPath("WATCHDOG_TEST_UPSTREAM") + " " + std::to_string(port)},
                 {"upstream_url", "http://127.0.0.1:" + std::to_string(port)}};
    for (auto& [k, v] : extra) {
        vars[k] = v;
    }
    return WatchdogProcess::start(vars);
}

} // namespace

TEST_CASE("http: requests are proxied to the upstream", "[http-mode]") {
    auto w = startProxy();
    CHECK(w->logs().find("Upstream ready: 127.0.0.1:") != std::string::npos);
    auto client = w->client();
    auto res = client.Get("/");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "ok");
    CHECK_FALSE(res->get_header_value("X-Duration-Seconds").empty());
    // The upstream's stdout is logged with a prefix.
    CHECK(w->waitForLog("stdout: upstream served /"));

    httplib::Headers headers = {{"X-Call-Id", "abc"}, {"Connection", "keep-alive"}};
    auto echo = client.Post("/echo?x=1", headers, "payload", "text/x-test");
    REQUIRE(echo);
    CHECK(echo->status == 200);
    CHECK(echo->body == "payload");
    CHECK(echo->get_header_value("Content-Type") == "text/x-test");
    CHECK(echo->get_header_value("X-Seen-Method") == "POST");
    CHECK(echo->get_header_value("X-Seen-Path") == "/echo");
    CHECK(echo->get_header_value("X-Seen-Query") == "x=1");
    CHECK(echo->get_header_value("X-Seen-Call-Id") == "abc");
    CHECK(echo->get_header_value("X-Seen-Host") == "127.0.0.1:" + std::to_string(w->port()));

    for (int i = 0; i < 200; ++i) { // kept-alive both ways
        auto again = client.Get("/");
        REQUIRE(again);
        REQUIRE(again->status == 200);
    }
}

TEST_CASE("http: status codes and redirects pass through", "[http-mode]") {
    auto w = startProxy();
    auto client = w->client();
    auto notFound = client.Get("/status/404");
    REQUIRE(notFound);
    CHECK(notFound->status == 404);
    CHECK(notFound->body == "status 404");
    auto redirect = client.Get("/status/302");
    REQUIRE(redirect);
    CHECK(redirect->status == 302); // never followed
    auto created = client.Put("/status/201", "x", "text/plain");
    REQUIRE(created);
    CHECK(created->status == 201);
    auto head = client.Head("/big?bytes=1000");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->body.empty());
}

TEST_CASE("http: large bodies both ways", "[http-mode]") {
    auto w = startProxy();
    auto client = w->client();
    std::string body(6 << 20, 'q');
    auto up = client.Post("/echo", body, "application/octet-stream");
    REQUIRE(up);
    CHECK(up->status == 200);
    CHECK(up->get_header_value("X-Seen-Length") == std::to_string(body.size()));
    CHECK(up->body == body);
    auto down = client.Get("/big?bytes=12000000");
    REQUIRE(down);
    CHECK(down->body.size() == 12000000u);

    // Chunked upload, re-framed for the upstream.
    std::string raw = rawExchange(w->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                             "chunked\r\nConnection: close\r\n\r\n"
                                             "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
    CHECK(raw.find("HTTP/1.1 200 OK\r\n") == 0);
    CHECK(raw.find("X-Seen-Length: 7\r\n") != std::string::npos);
    CHECK(raw.substr(raw.size() - 7) == "abcdefg");
}

TEST_CASE("http: server-sent events are passed on as they come", "[http-mode]") {
    auto w = startProxy();
    auto start = std::chrono::steady_clock::now();
    std::vector<std::chrono::steady_clock::duration> arrivals;
    std::string all;
    auto res = w->client().Get("/sse", [&](const char* data, size_t length) {
        arrivals.push_back(std::chrono::steady_clock::now() - start);
        all.append(data, length);
        return true;
    });
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "text/event-stream");
    CHECK(all == "data: 1\n\ndata: 2\n\ndata: 3\n\n");
    REQUIRE(arrivals.size() >= 3);
    CHECK(arrivals.front() < 250ms); // the first event did not wait for the rest
    CHECK(arrivals.back() >= 550ms);
}

TEST_CASE("http: exec_timeout answers 504", "[http-mode]") {
    auto w = startProxy({{"exec_timeout", "400ms"}});
    auto start = std::chrono::steady_clock::now();
    auto res = w->client().Get("/slow?ms=3000");
    REQUIRE(res);
    CHECK(res->status == 504);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    auto fine = w->client().Get("/slow?ms=10");
    REQUIRE(fine);
    CHECK(fine->status == 200);
}

TEST_CASE("http: the watchdog exits non-zero when the upstream dies", "[http-mode]") {
    auto w = startProxy();
    TempDir dir = TempDir::create("fwatchdog-exit").value();
    std::string answered = dir.path().string() + "/answered";
    auto res = w->client().Get("/exit?after=" + answered);
    REQUIRE(res);
    CHECK(res->body == "bye");
    REQUIRE(writeFileAtomic(answered, "", 0644)); // the upstream exits now
    auto status = w->waitExit(5s);
    REQUIRE(status);
    CHECK(*status == 1);
    CHECK(w->logs().find("Forked function has terminated: exit status 3") != std::string::npos);
    CHECK(w->logs().find("stderr: upstream exiting") != std::string::npos);
    CHECK(access(w->lockPath().c_str(), F_OK) != 0);
}

TEST_CASE("http: an upstream that fails mid-request is a 502", "[http-mode]") {
    int port = freePort();
    Vars vars = {
        {"mode", "http"},
        {"fprocess", builtPath("WATCHDOG_TEST_UPSTREAM") + " " + std::to_string(port) + " --raw"},
        {"upstream_url", "http://127.0.0.1:" + std::to_string(port)}};
    auto w = WatchdogProcess::start(vars);
    auto client = w->client();
    auto fine = client.Get("/");
    REQUIRE(fine);
    CHECK(fine->body == "raw ok");
    auto dropped = client.Get("/close");
    REQUIRE(dropped);
    CHECK(dropped->status == 502);
    CHECK(w->waitForLog("Upstream HTTP request error: "));
    auto after = client.Get("/");
    REQUIRE(after);
    CHECK(after->status == 200);
}

TEST_CASE("http: not ready until the upstream accepts", "[http-mode]") {
    int deadPort = freePort();
    Vars vars = {{"mode", "http"},
                 {"fprocess", "sleep 30"},
                 {"upstream_url", "http://127.0.0.1:" + std::to_string(deadPort)}};
    auto waiting = WatchdogProcess::start(vars, false);
    auto notReady = waiting->client().Get("/");
    REQUIRE(notReady);
    CHECK(notReady->status == 503);
    auto health = waiting->client().Get("/_/health");
    REQUIRE(health);
    CHECK(health->status == 503);
    CHECK(access(waiting->lockPath().c_str(), F_OK) != 0);
}

TEST_CASE("http: SIGTERM stops the upstream and exits 0", "[http-mode]") {
    auto w = startProxy();
    REQUIRE(w->client().Get("/"));
    auto status = w->terminate(10s);
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(w->logs().find("Forked function has terminated") == std::string::npos);
}

TEST_CASE("http: pipelined requests and HTTP/1.0", "[http-mode]") {
    auto w = startProxy();
    std::string requests;
    for (int i = 0; i < 20; ++i) {
        std::string body = "body-" + std::to_string(i);
        requests +=
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
            (i == 19 ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
    }
    std::string answers = rawExchange(w->port(), requests);
    size_t at = 0;
    for (int i = 0; i < 20; ++i) {
        at = answers.find("HTTP/1.1 200 OK", at);
        REQUIRE(at != std::string::npos);
        at = answers.find("\r\n\r\nbody-" + std::to_string(i), at);
        REQUIRE(at != std::string::npos); // in order
    }
    std::string old = rawExchange(w->port(), "GET /sse HTTP/1.0\r\n\r\n");
    CHECK(old.find("HTTP/1.1 200 OK\r\n") == 0);
    CHECK(old.find("Transfer-Encoding") == std::string::npos); // close-delimited for 1.0
    CHECK(old.find("data: 3") != std::string::npos);
}
