// The invoke proxy's failures and limits: 413, 502, 503, 504, waking.

#include "catch_result.hpp"
#include "gateway/proxy.hpp"
#include "harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

TEST_CASE("bodies over the limit get 413, by length and when chunked") {
    auto config = Harness::defaultConfig();
    config.maxBodyBytes = 1024;
    TestUpstream up("echo-0");
    Harness h(config);
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto res = h.client().Post("/function/echo", std::string(2048, 'a'), "text/plain");
    REQUIRE(res);
    CHECK(res->status == 413);
    res = h.client().Post("/function/echo", std::string(1000, 'a'), "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);

    const std::string part(600, 'b');
    int sent = 0;
    res = h.client().Post(
        "/function/echo",
        [&](size_t, httplib::DataSink& sink) {
            if (sent < 4) {
                sink.write(part.data(), part.size());
                ++sent;
            } else {
                sink.done();
            }
            return true;
        },
        "text/plain");
    REQUIRE(res);
    CHECK(res->status == 413);
}

TEST_CASE("502 when the replica is down, 503 with no replicas, 404 unknown function") {
    Harness h;
    h.provider.setEndpoints("down", "openfaas-fn", {{"down-0", "127.0.0.1", closedPort()}});
    h.provider.setEndpoints("idle", "openfaas-fn", {});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/function/down");
    REQUIRE(res);
    CHECK(res->status == 502);
    CHECK_FALSE(res->get_header_value("X-Call-Id").empty());
    res = c.Get("/function/idle");
    REQUIRE(res);
    CHECK(res->status == 503);
    CHECK(res->body.find("no replicas") != std::string::npos);
    res = c.Get("/function/missing");
    REQUIRE(res);
    CHECK(res->status == 404);
}

TEST_CASE("504 when the replica is slower than the upstream timeout") {
    auto config = Harness::defaultConfig();
    config.upstreamTimeout = std::chrono::milliseconds(200);
    TestUpstream up("slow-0");
    Harness h(config);
    h.provider.setEndpoints("slow", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto res = h.client().Get("/function/slow/slow");
    REQUIRE(res);
    CHECK(res->status == 504);
}

TEST_CASE("504 when connecting to the replica takes longer than the connect timeout") {
    // A listener with a backlog of 0 and one connection it never accepts:
    // the kernel drops further SYNs, so the next connect hangs.
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int queued = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(listener, 0) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    REQUIRE(::connect(queued, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);

    auto config = Harness::defaultConfig();
    config.upstreamConnectTimeout = std::chrono::milliseconds(300);
    Harness h(config);
    h.provider.setEndpoints("stuck", "openfaas-fn",
                            {{"stuck-0", "127.0.0.1", ntohs(addr.sin_port)}});
    REQUIRE(h.gateway->start());
    const auto before = std::chrono::steady_clock::now();
    auto res = h.client().Get("/function/stuck");
    const auto took = std::chrono::steady_clock::now() - before;
    REQUIRE(res);
    CHECK(res->status == 504);
    CHECK(res->body.find("timed out") != std::string::npos);
    // The deadline is enforced by a sweep every 100 ms.
    CHECK(took >= std::chrono::milliseconds(300));
    CHECK(took < std::chrono::seconds(3)); // not the kernel's own connect timeout
    ::close(queued);
    ::close(listener);
}

TEST_CASE(
    "the client timeout: a stalled header or an idle connection is closed, a slow call is not") {
    auto config = Harness::defaultConfig();
    config.clientTimeout = std::chrono::milliseconds(300);
    TestUpstream up("slow-0");
    Harness h(config);
    h.provider.setEndpoints("slow", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    using Clock = std::chrono::steady_clock;

    SECTION("a header that stops half way") {
        RawClient raw(h.gateway->port());
        const auto start = Clock::now();
        raw.send("GET /function/slow HTTP/1.1\r\nHost: x\r\n");
        std::string out;
        CHECK(raw.readToClose(out, 3000));
        CHECK(Clock::now() - start >= std::chrono::milliseconds(250));
    }
    SECTION("a call slower than the client timeout answers, then the idle connection closes") {
        RawClient raw(h.gateway->port());
        raw.send("GET /function/slow/slow HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string answer = raw.readUntil("slow-0", 5000);
        CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
        const auto idleSince = Clock::now();
        std::string out;
        CHECK(raw.readToClose(out, 3000));
        CHECK(Clock::now() - idleSince >= std::chrono::milliseconds(250));
    }
}

TEST_CASE("an internal caller with the token may stretch the upstream timeout; others may not") {
    auto config = Harness::defaultConfig();
    config.upstreamTimeout = std::chrono::milliseconds(200);
    config.internalToken = "s3cret";
    TestUpstream up("slow-0");
    Harness h(config);
    h.provider.setEndpoints("slow", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    c.set_read_timeout(5, 0);

    auto internal = c.Get("/function/slow/slow",
                          {{"X-Faasd-Internal", "s3cret"}, {"X-Faasd-Upstream-Timeout", "3"}});
    REQUIRE(internal);
    CHECK(internal->status == 200);
    // Neither header reaches the function.
    auto seen = c.Get("/function/slow/headers",
                      {{"X-Faasd-Internal", "s3cret"}, {"X-Faasd-Upstream-Timeout", "3"}});
    REQUIRE(seen);
    CHECK(seen->body.find("X-Call-Id") != std::string::npos);
    CHECK(seen->body.find("X-Faasd") == std::string::npos);

    auto wrongToken = c.Get("/function/slow/slow",
                            {{"X-Faasd-Internal", "guess"}, {"X-Faasd-Upstream-Timeout", "3"}});
    REQUIRE(wrongToken);
    CHECK(wrongToken->status == 504);

    auto junk = c.Get("/function/slow/slow",
                      {{"X-Faasd-Internal", "s3cret"}, {"X-Faasd-Upstream-Timeout", "3s"}});
    REQUIRE(junk);
    CHECK(junk->status == 504);
}

TEST_CASE("a function's own upstream timeout: the annotation's replaces the daemon's, the "
          "watchdog's only lengthens it") {
    auto config = Harness::defaultConfig();
    config.upstreamTimeout = std::chrono::milliseconds(200);
    config.internalToken = "s3cret";
    TestUpstream up("slow-0");
    Harness h(config);
    auto withTimeout = [&](const std::string& name, provider::UpstreamTimeout t) {
        auto e = up.endpoint();
        e.timeout = t;
        h.provider.setEndpoints(name, "openfaas-fn", {e});
    };
    withTimeout("long", {.value = std::chrono::seconds(3), .atLeast = false});
    withTimeout("watched", {.value = std::chrono::seconds(3), .atLeast = true});
    withTimeout("short", {.value = std::chrono::milliseconds(100), .atLeast = true});
    withTimeout("plain", {});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    c.set_read_timeout(5, 0);
    CHECK(c.Get("/function/long/slow")->status == 200);
    CHECK(c.Get("/function/watched/slow")->status == 200);
    CHECK(c.Get("/function/short/slow")->status == 504); // the daemon's 200 ms
    CHECK(c.Get("/function/plain/slow")->status == 504);
    // An internal caller's value is the call's (the queue has applied the
    // function's); a junk one leaves the function's.
    CHECK(c.Get("/function/plain/slow",
                {{"X-Faasd-Internal", "s3cret"}, {"X-Faasd-Upstream-Timeout", "3"}})
              ->status == 200);
    CHECK(c.Get("/function/long/slow",
                {{"X-Faasd-Internal", "s3cret"}, {"X-Faasd-Upstream-Timeout", "3s"}})
              ->status == 200);
}

TEST_CASE("upstreamTimeoutFor: the function's timeout is carried by its endpoint") {
    GatewayConfig config;
    config.upstreamTimeout = std::chrono::seconds(60);
    ProxyCall call;
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::seconds(60));
    call.endpoint.timeout = {.value = std::chrono::hours(2), .atLeast = true};
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::hours(2));
    call.endpoint.timeout = {.value = std::chrono::seconds(12), .atLeast = true};
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::seconds(60));
    call.endpoint.timeout = {.value = std::chrono::seconds(12), .atLeast = false};
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::seconds(12));
    // Internal callers: only with the token, a day at most.
    config.internalToken = "tok";
    call.caller.internalToken = "tok";
    call.caller.timeout = "999999";
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::seconds(12));
    call.caller.timeout = "90000";
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::hours(24));
    call.caller.timeout = "7200";
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::hours(2));
    call.caller.internalToken = "nope";
    CHECK(upstreamTimeoutFor(call, config) == std::chrono::seconds(12));
}

namespace {

struct CountingWaker : ReplicaWaker {
    CountingWaker(FakeProvider& p, provider::Endpoint e) : provider(p), endpoint(std::move(e)) {}
    Result<void> wake(const std::string& name, const std::string& ns,
                      std::chrono::steady_clock::time_point) override {
        ++calls;
        provider.setEndpoints(name, ns, {endpoint});
        return {};
    }
    FakeProvider& provider;
    provider::Endpoint endpoint;
    std::atomic<int> calls{0};
};

} // namespace

TEST_CASE("with no ready replica the waker is asked, then the call goes through") {
    TestUpstream up("echo-0");
    Harness h;
    CountingWaker waker(h.provider, up.endpoint());
    h.provider.setEndpoints("sleepy", "openfaas-fn", {});
    h.gateway->setReplicaWaker(&waker);
    REQUIRE(h.gateway->start());
    auto res = h.client().Post("/function/sleepy", "wake up", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "wake up");
    CHECK(waker.calls == 1);
}
