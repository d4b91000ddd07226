// The sync invoke proxy: forwarding, headers, errors, round robin, pooling.

#include "catch_result.hpp"
#include "harness.hpp"
#include "wait.hpp"

#include <future>
#include <set>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

TEST_CASE("invoke forwards method, path, query, headers and body") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "dev", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res =
        c.Put("/function/echo.dev/a/b?x=1&y=two", {{"X-Custom", "yes"}}, "payload", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "payload");
    CHECK(res->get_header_value("X-Echo-Method") == "PUT");
    CHECK(res->get_header_value("X-Echo-Path") == "/a/b");
    CHECK(res->get_header_value("X-Echo-Query") == "x=1&y=two");
    CHECK(res->get_header_value("X-Duration-Seconds") == "0.001");
    CHECK_FALSE(res->get_header_value("X-Start-Time").empty());

    res = c.Get("/function/echo.dev");
    REQUIRE(res);
    CHECK(res->get_header_value("X-Echo-Path") == "/");
}

TEST_CASE("invoke drops hop-by-hop headers and sets X-Forwarded-*") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    httplib::Headers headers = {{"X-Custom", "kept"},
                                {"Proxy-Authorization", "Basic x"},
                                {"Keep-Alive", "timeout=5"},
                                {"TE", "trailers"},
                                {"Upgrade", "websocket"}};
    auto res = c.Post("/function/echo/headers", headers, "x", "text/plain");
    REQUIRE(res);
    const std::string& seen = res->body;
    CHECK(seen.find("X-Custom: kept") != std::string::npos);
    CHECK(seen.find("Proxy-Authorization") == std::string::npos);
    CHECK(seen.find("Keep-Alive") == std::string::npos);
    CHECK(seen.find("TE:") == std::string::npos);
    CHECK(seen.find("Upgrade") == std::string::npos);
    CHECK(seen.find("X-Forwarded-For: 127.0.0.1") != std::string::npos);
    CHECK(seen.find("X-Forwarded-Host: 127.0.0.1") != std::string::npos);
    CHECK(seen.find("X-Start-Time: ") != std::string::npos);
}

TEST_CASE("X-Call-Id: the caller's is kept, else a new UUID, on both sides") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/function/echo", {{"X-Call-Id", "call-42"}});
    REQUIRE(res);
    CHECK(res->get_header_value("X-Call-Id") == "call-42");
    CHECK(res->get_header_value("X-Echo-Call-Id") == "call-42");

    res = c.Get("/function/echo");
    REQUIRE(res);
    std::string id = res->get_header_value("X-Call-Id");
    CHECK(id.size() == 36);
    CHECK(res->get_header_value("X-Echo-Call-Id") == id);
}

TEST_CASE("a redirect from the function goes back to the caller") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto res = h.client().Get("/function/echo/redirect");
    REQUIRE(res);
    CHECK(res->status == 302);
    CHECK(res->get_header_value("Location") == "/elsewhere");
    CHECK(up.requests() == 1);
}

TEST_CASE("chunked request bodies are forwarded") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    const std::string part(10000, 'z');
    int sent = 0;
    auto res = c.Post(
        "/function/echo",
        [&](size_t, httplib::DataSink& sink) {
            if (sent < 5) {
                sink.write(part.data(), part.size());
                ++sent;
            } else {
                sink.done();
            }
            return true;
        },
        "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.size() == 5 * part.size());
}

TEST_CASE("round robin across three replicas") {
    TestUpstream a("rr-0"), b("rr-1"), c("rr-2");
    Harness h;
    h.provider.setEndpoints("rr", "openfaas-fn", {a.endpoint(), b.endpoint(), c.endpoint()});
    REQUIRE(h.gateway->start());
    auto client = h.client();
    std::map<std::string, int> seen;
    for (int i = 0; i < 9; ++i) {
        auto res = client.Get("/function/rr");
        REQUIRE(res);
        ++seen[res->get_header_value("X-Instance")];
    }
    CHECK(seen == std::map<std::string, int>{{"rr-0", 3}, {"rr-1", 3}, {"rr-2", 3}});
}

TEST_CASE("upstream connections are pooled and reused") {
    auto config = Harness::defaultConfig();
    config.ioThreads = 1;
    TestUpstream up("echo-0");
    Harness h(config);
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    for (int i = 0; i < 20; ++i) {
        auto res = h.client().Post("/function/echo", "n" + std::to_string(i), "text/plain");
        REQUIRE(res);
        CHECK(res->status == 200);
    }
    CHECK(up.requests() == 20);
    CHECK(up.connections() == 1);
}

TEST_CASE("a slow request does not block others") {
    // One event loop, so that the gateway must interleave the two calls, and
    // no upstream timeout that could end the slow one early.
    auto config = Harness::defaultConfig();
    config.ioThreads = 1;
    config.upstreamTimeout = std::chrono::seconds(60);
    TestUpstream up("echo-0");
    Harness h(config);
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto slow =
        std::async(std::launch::async, [&] { return h.client().Get("/function/echo/hold"); });
    REQUIRE(up.waitHeld(1)); // the slow call is inside the replica, held there
    auto c = h.client();
    c.set_read_timeout(5, 0); // a gateway serving one call at a time never answers it
    auto res = c.Get("/function/echo/fast");
    // Answered while the slow call is still held and still in flight.
    CHECK(up.held() == 1);
    CHECK(slow.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    up.release();
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("X-Echo-Path") == "/fast");
    auto slowRes = slow.get();
    REQUIRE(slowRes);
    CHECK(slowRes->status == 200);
    CHECK(slowRes->get_header_value("X-Echo-Path") == "/hold");
}

TEST_CASE("stop lets an in-flight request finish and refuses new ones") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    const auto port = h.gateway->port();
    auto inFlight =
        std::async(std::launch::async, [&] { return h.client().Get("/function/echo/hold"); });
    REQUIRE(up.waitHeld(1));
    auto stopped = std::async(std::launch::async, [&] { h.gateway->stop(); });
    // New connections are refused while the held call is still in flight...
    CHECK(waitUntil([&] { return !accepts(port); }, std::chrono::seconds(5)));
    CHECK(up.held() == 1);
    // ...which, released, still gets its answer.
    up.release();
    auto res = inFlight.get();
    REQUIRE(res);
    CHECK(res->status == 200);
    stopped.get();
    httplib::Client late("127.0.0.1", port);
    late.set_connection_timeout(1, 0);
    CHECK_FALSE(late.Get("/healthz"));
}
