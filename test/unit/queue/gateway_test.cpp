// /async-function/ and /system/async-requests over HTTP: a real Gateway on
// 127.0.0.1:0 with the real queue (SQLite in a temp dir) and the HTTP
// invoker, a test upstream as the function's replica and a callback
// receiver on loopback.

#include "catch_result.hpp"
#include "common/files.hpp"
#include "harness.hpp"
#include "queue/queue.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;
using namespace std::chrono_literals;

namespace {

// Receives callbacks on 127.0.0.1.
class Receiver {
public:
    Receiver() {
        server_.Post("/cb", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            received.push_back(req);
            res.status = 200;
        });
        port_ = static_cast<uint16_t>(server_.bind_to_any_port("127.0.0.1"));
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        REQUIRE(waitUntil([&] { return server_.is_running(); }, 5s, 1ms));
    }
    ~Receiver() {
        server_.stop();
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/cb"; }
    size_t count() {
        std::lock_guard lock(mutex_);
        return received.size();
    }

    std::mutex mutex_;
    std::vector<httplib::Request> received;

private:
    httplib::Server server_;
    std::thread thread_;
    uint16_t port_ = 0;
};

struct AsyncHarness {
    explicit AsyncHarness(queue::QueueConfig qc = {}, GatewayConfig gc = Harness::defaultConfig())
        : dir(TempDir::create("faasd-queue-gw-").value()), h(gc), upstream("echo-0") {
        h.provider.addFunction("echo", "openfaas-fn", "img");
        h.provider.setEndpoints("echo", "openfaas-fn", {upstream.endpoint()});
        qc.database = dir.path() / "queue.db";
        qc.retryDelay = 10ms;
        qc.limitRefresh = 10ms;
        auto opened = queue::Queue::open(qc, h.provider);
        REQUIRE(opened);
        q = std::move(*opened);
        h.gateway->setAsyncQueue(q.get());
        REQUIRE(h.gateway->start());
    }
    void startWorkers(std::string internalToken = {},
                      std::chrono::milliseconds invokeTimeout = 5s) {
        queue::HttpInvokerConfig ic;
        ic.gatewayPort = h.gateway->port();
        ic.invokeTimeout = invokeTimeout;
        ic.internalToken = std::move(internalToken);
        q->start(std::make_unique<queue::HttpInvoker>(ic));
    }
    size_t stored() { return q->list({"", "", 1000})->size(); }
    // The gateway's metrics sampler reads the queue each second: it stops
    // before the queue goes.
    ~AsyncHarness() {
        q->stop();
        h.gateway->stop();
    }

    TempDir dir;
    Harness h;
    TestUpstream upstream;
    std::unique_ptr<queue::Queue> q;
};

// Over HTTP, with a callback round trip: a longer deadline than the queue's own tests.
bool eventuallyOverHttp(const std::function<bool()>& pred,
                        std::chrono::milliseconds timeout = 10s) {
    return waitUntil(pred, timeout, 5ms);
}

} // namespace

TEST_CASE("async: 202 with X-Call-Id, the function runs through the gateway, callback arrives") {
    Receiver receiver;
    AsyncHarness a;
    a.startWorkers();
    auto c = a.h.client();
    auto res = c.Put("/async-function/echo/sub/path?x=1",
                     {{"X-Callback-Url", receiver.url()}, {"X-Call-Id", "call-1"}}, "payload",
                     "text/plain");
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(res->get_header_value("X-Call-Id") == "call-1");
    REQUIRE(eventuallyOverHttp([&] { return receiver.count() == 1; }));
    std::lock_guard lock(receiver.mutex_);
    const auto& cb = receiver.received[0];
    CHECK(cb.body == "payload");
    CHECK(cb.get_header_value("X-Call-Id") == "call-1");
    CHECK(cb.get_header_value("X-Function-Status") == "200");
    CHECK(cb.get_header_value("X-Function-Name") == "echo");
    CHECK(!cb.get_header_value("X-Duration-Seconds").empty());
    // The function's own response headers come along.
    CHECK(cb.get_header_value("X-Echo-Method") == "PUT");
    CHECK(cb.get_header_value("X-Echo-Path") == "/sub/path");
    CHECK(cb.get_header_value("X-Echo-Query") == "x=1");
    CHECK(cb.get_header_value("X-Echo-Call-Id") == "call-1");
    CHECK(cb.get_header_value("X-Instance") == "echo-0");
}

TEST_CASE("async: bad input is refused and nothing is stored") {
    queue::QueueConfig qc;
    qc.maxBodyBytes = 1024;
    qc.maxItems = 2;
    AsyncHarness a(qc); // workers not started: accepted requests stay
    auto c = a.h.client();

    auto res = c.Post("/async-function/echo", {{"X-Callback-Url", "ftp://x/y"}}, "x", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 400);
    res = c.Post("/async-function/nothere", "x", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 404);
    res = c.Post("/async-function/echo.otherns", "x", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 404);
    res = c.Post("/async-function/echo", std::string(2048, 'x'), "text/plain");
    REQUIRE(res);
    CHECK(res->status == 413);
    res = c.Get("/async-function/echo");
    REQUIRE(res);
    CHECK(res->status == 405);
    CHECK(a.stored() == 0);

    REQUIRE(c.Post("/async-function/echo", "1", "text/plain")->status == 202);
    REQUIRE(c.Post("/async-function/echo", "2", "text/plain")->status == 202);
    res = c.Post("/async-function/echo", "3", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 429);
    CHECK(a.stored() == 2);
}

TEST_CASE("async-requests: list, retry and delete; 501 without a queue") {
    {
        Harness plain;
        REQUIRE(plain.gateway->start());
        auto res = plain.client().Get("/system/async-requests");
        REQUIRE(res);
        CHECK(res->status == 501);
    }
    queue::QueueConfig qc;
    qc.maxAttempts = 2;
    GatewayConfig gc = Harness::defaultConfig();
    gc.authEnabled = true;
    gc.credentials = {"admin", "secret"};
    AsyncHarness a(qc, gc);
    a.startWorkers();
    auto c = a.h.client();
    // /status/503 makes the upstream answer 503: retried, then dead-lettered.
    REQUIRE(c.Post("/async-function/echo/status/503", {{"X-Call-Id", "dl"}}, "x", "text/plain")
                ->status == 202);
    REQUIRE(c.Post("/async-function/echo", {{"X-Call-Id", "ok"}}, "y", "text/plain")->status ==
            202);
    REQUIRE(eventuallyOverHttp(
        [&] { return a.q->stats().failed == 1 && a.q->stats().completed == 1; }));

    auto res = c.Get("/system/async-requests?status=failed");
    REQUIRE(res);
    CHECK(res->status == 401);
    c.set_basic_auth("admin", "secret");
    res = c.Get("/system/async-requests?status=failed");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto list = nlohmann::json::parse(res->body);
    REQUIRE(list.size() == 1);
    CHECK(list[0]["callId"] == "dl");
    CHECK(list[0]["function"] == "echo");
    CHECK(list[0]["namespace"] == "openfaas-fn");
    CHECK(list[0]["method"] == "POST");
    CHECK(list[0]["path"] == "/status/503");
    CHECK(list[0]["status"] == "failed");
    CHECK(list[0]["attempts"] == 2);
    CHECK(list[0]["enqueuedAt"].get<std::string>().size() >= 20);
    CHECK(list[0]["lastError"].get<std::string>().find("503") != std::string::npos);
    CHECK(list[0]["callbackUrl"] == "");
    CHECK(list[0]["callbackStatus"] == "");

    res = c.Get("/system/async-requests");
    REQUIRE(res);
    auto all = nlohmann::json::parse(res->body);
    REQUIRE(all.size() == 2);
    CHECK(all[0]["callId"] == "ok"); // newest first
    CHECK(c.Get("/system/async-requests?status=bogus")->status == 400);
    CHECK(c.Get("/system/async-requests?limit=1")->body.find("\"ok\"") != std::string::npos);

    CHECK(c.Post("/system/async-requests/nope/retry", "", "text/plain")->status == 404);
    CHECK(c.Post("/system/async-requests/ok/retry", "", "text/plain")->status == 409);
    CHECK(c.Post("/system/async-requests/dl/retry", "", "text/plain")->status == 202);
    REQUIRE(eventuallyOverHttp([&] { return a.q->stats().failed == 2; }));
    CHECK(c.Delete("/system/async-requests/dl")->status == 200);
    CHECK(c.Delete("/system/async-requests/dl")->status == 404);
    CHECK(c.Delete("/system/async-requests/ok")->status == 200);
    CHECK(nlohmann::json::parse(c.Get("/system/async-requests")->body).empty());

    res = a.h.client().Get("/metrics/async");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.find("faasd_queue_failed_total 2") != std::string::npos);
    CHECK(res->body.find("faasd_queue_retried_total 2") != std::string::npos);
}

TEST_CASE("async: a job longer than the sync upstream timeout runs once, with the internal token") {
    Receiver receiver;
    GatewayConfig gc = Harness::defaultConfig();
    gc.upstreamTimeout = 300ms; // sync callers would get 504 from /slow (1 s)
    gc.internalToken = "t0ken";
    AsyncHarness a({}, gc);
    a.startWorkers("t0ken");
    auto res = a.h.client().Post("/async-function/echo/slow", {{"X-Callback-Url", receiver.url()}},
                                 "long", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 202);
    REQUIRE(eventuallyOverHttp([&] { return receiver.count() == 1; }));
    {
        std::lock_guard lock(receiver.mutex_);
        CHECK(receiver.received[0].get_header_value("X-Function-Status") == "200");
        CHECK(receiver.received[0].body == "long");
    }
    CHECK(a.upstream.requests() == 1); // not cut at 300 ms and run again
    auto sync = a.h.client().Get("/function/echo/slow");
    REQUIRE(sync);
    CHECK(sync->status == 504);
}

TEST_CASE("async: a job waits as long as its function's own timeout, not the queue's") {
    Receiver receiver;
    GatewayConfig gc = Harness::defaultConfig();
    gc.upstreamTimeout = 300ms;
    gc.internalToken = "t0ken";
    AsyncHarness a({}, gc);
    auto e = a.upstream.endpoint();
    e.timeout = {.value = 4s, .atLeast = true};
    a.h.provider.setEndpoints("echo", "openfaas-fn", {e});
    a.startWorkers("t0ken", 300ms); // /slow (1 s) would be cut at 300 ms
    auto res = a.h.client().Post("/async-function/echo/slow", {{"X-Callback-Url", receiver.url()}},
                                 "long", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 202);
    REQUIRE(eventuallyOverHttp([&] { return receiver.count() == 1; }));
    {
        std::lock_guard lock(receiver.mutex_);
        CHECK(receiver.received[0].get_header_value("X-Function-Status") == "200");
    }
    CHECK(a.upstream.requests() == 1);
}

TEST_CASE("upstreamTimeoutHeader: whole seconds rounded up, within 1 s and a day") {
    CHECK(queue::upstreamTimeoutHeader(300ms) == "1");
    CHECK(queue::upstreamTimeoutHeader(1500ms) == "2");
    CHECK(queue::upstreamTimeoutHeader(2h) == "7200");
    CHECK(queue::upstreamTimeoutHeader(48h) == "86400");
}
