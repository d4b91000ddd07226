// /metrics and /system/function-counters after invocations, FunctionMetrics,
// /system/logs, /async-function.

#include "api/json.hpp"
#include "catch_result.hpp"
#include "harness.hpp"
#include "wait.hpp"

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

TEST_CASE("metrics text has the OpenFaaS series after invocations") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    for (int i = 0; i < 3; ++i) {
        REQUIRE(c.Get("/function/echo")->status == 200);
    }
    REQUIRE(c.Get("/function/echo/status/500")->status == 500);
    REQUIRE(c.Get("/function/missing")->status == 404);

    auto res = c.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    const std::string& text = res->body;
    CHECK(text.find("# TYPE gateway_function_invocation_total counter") != std::string::npos);
    CHECK(text.find("gateway_function_invocation_total{code=\"200\",function_name=\"echo."
                    "openfaas-fn\"} 3\n") != std::string::npos);
    CHECK(text.find("gateway_function_invocation_total{code=\"500\",function_name=\"echo."
                    "openfaas-fn\"} 1\n") != std::string::npos);
    CHECK(text.find("gateway_function_invocation_started{function_name=\"echo.openfaas-fn\"} "
                    "4\n") != std::string::npos);
    CHECK(text.find("gateway_functions_seconds_count{code=\"200\",function_name=\"echo."
                    "openfaas-fn\"} 3\n") != std::string::npos);
    CHECK(text.find("gateway_functions_seconds_bucket{code=\"200\",function_name=\"echo."
                    "openfaas-fn\",le=\"+Inf\"} 3\n") != std::string::npos);
    CHECK(text.find("gateway_service_count{function_name=\"echo.openfaas-fn\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("missing") == std::string::npos); // no series for unknown names

    auto snap = h.gateway->metrics().get({"echo", "openfaas-fn"});
    REQUIRE(snap);
    CHECK(snap->started == 4);
    CHECK(snap->completed == 4);
    CHECK(snap->inFlight == 0);
    CHECK(snap->byCode.at(200) == 3);

    // invocationCount in the function status comes from the same counters.
    h.provider.addFunction("echo", "openfaas-fn", "echo:1");
    auto f = c.Get("/system/function/echo");
    REQUIRE(f);
    CHECK(f->body.find("\"invocationCount\":4") != std::string::npos);
}

TEST_CASE("FunctionMetrics histogram buckets are cumulative") {
    FunctionMetrics m;
    const api::FunctionRef f{"f", "ns"};
    m.started(f);
    m.finished(f, 200, std::chrono::milliseconds(30));
    const std::string text = m.prometheusText();
    CHECK(text.find("le=\"0.025\"} 0\n") != std::string::npos);
    CHECK(text.find("le=\"0.05\"} 1\n") != std::string::npos);
    CHECK(text.find("le=\"10\"} 1\n") != std::string::npos);
}

namespace {

api::LogMessage line(const std::string& text) {
    return {"say", "openfaas-fn", "say-0", std::chrono::system_clock::now(), text};
}

} // namespace

TEST_CASE("logs stream NDJSON, one object a line") {
    Harness h;
    h.provider.addFunction("say", "openfaas-fn", "say:1");
    h.provider.logLines = {line("Forking fprocess."), line("Wrote 11 Bytes"), line("third")};
    REQUIRE(h.gateway->start());
    auto res = h.client().Get("/system/logs?name=say&tail=-1&follow=false");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "application/x-ndjson");
    std::istringstream in(res->body);
    std::vector<api::LogMessage> got;
    for (std::string l; std::getline(in, l);) {
        auto m = api::parseLogMessage(l);
        REQUIRE(m);
        got.push_back(*m);
    }
    REQUIRE(got.size() == 3);
    CHECK(got[0].text == "Forking fprocess.");
    CHECK(got[1].instance == "say-0");
    CHECK_FALSE(h.provider.lastLogRequest.tail.has_value());
}

TEST_CASE("logs: bad parameters are 422, unknown function 404") {
    Harness h;
    h.provider.addFunction("say", "openfaas-fn", "say:1");
    REQUIRE(h.gateway->start());
    auto c = h.client();
    CHECK(c.Get("/system/logs?name=say&tail=abc")->status == 422);
    CHECK(c.Get("/system/logs?name=say&since=yesterday")->status == 422);
    CHECK(c.Get("/system/logs?name=say&follow=maybe")->status == 422);
    CHECK(c.Get("/system/logs")->status == 422);
    CHECK(c.Get("/system/logs?name=nope")->status == 404);
    auto ok = c.Get("/system/logs?name=say&tail=5&since=2024-01-02T03:04:05Z");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(h.provider.lastLogRequest.tail == 5);
    CHECK(h.provider.lastLogRequest.since.has_value());
}

TEST_CASE("logs: follow streams until the client goes away") {
    Harness h;
    h.provider.addFunction("say", "openfaas-fn", "say:1");
    h.provider.logLines = {line("first")};
    h.provider.logFollowBlocks = true;
    REQUIRE(h.gateway->start());
    std::string received;
    auto res = h.client().Get("/system/logs?name=say&follow=true", [&](const char* data, size_t n) {
        received.append(data, n);
        return received.find('\n') == std::string::npos;
    });
    CHECK(received.find("\"text\":\"first\"") != std::string::npos);
    CHECK(waitUntil([&] { return h.provider.logStopSeen.load(); }, std::chrono::seconds(5)));
}

namespace {

struct MemoryQueue : AsyncQueue {
    Result<std::string> enqueue(AsyncRequest r) override {
        std::lock_guard lock(mutex);
        requests.push_back(r);
        return r.callId;
    }
    std::mutex mutex;
    std::vector<AsyncRequest> requests;
};

} // namespace

TEST_CASE("async-function: 501 without a queue; 202 with X-Call-Id; 400 bad callback") {
    {
        Harness h;
        REQUIRE(h.gateway->start());
        auto res = h.client().Post("/async-function/say", "x", "text/plain");
        REQUIRE(res);
        CHECK(res->status == 501);
    }
    Harness h;
    h.provider.addFunction("say", "dev", "img");
    h.provider.addFunction("say", "openfaas-fn", "img");
    MemoryQueue queue;
    h.gateway->setAsyncQueue(&queue);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/async-function/say.dev/p?q=1",
                      {{"X-Callback-Url", "http://127.0.0.1:9/cb"}, {"X-Call-Id", "abc"}}, "body",
                      "text/plain");
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(res->get_header_value("X-Call-Id") == "abc");
    REQUIRE(queue.requests.size() == 1);
    const auto& a = queue.requests[0];
    CHECK(a.name == "say");
    CHECK(a.ns == "dev");
    CHECK(a.path == "/p");
    CHECK(a.query == "q=1");
    CHECK(a.body == "body");
    CHECK(a.callbackUrl == "http://127.0.0.1:9/cb");

    res = c.Post("/async-function/say", {{"X-Callback-Url", "not a url"}}, "x", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 400);
    res = c.Post("/async-function/say", "x", "text/plain");
    REQUIRE(res);
    CHECK(res->get_header_value("X-Call-Id").size() == 36);
}

TEST_CASE("a callback the policy refuses is 400 and nothing is queued") {
    auto config = Harness::defaultConfig();
    config.callbackPolicy = *OutboundPolicy::restrictive("127.0.0.1/32");
    Harness h(config);
    h.provider.addFunction("say", "openfaas-fn", "img");
    MemoryQueue queue;
    h.gateway->setAsyncQueue(&queue);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res =
        c.Post("/async-function/say",
               {{"X-Callback-Url", "http://169.254.169.254/latest/meta-data/"}}, "x", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(res->body == "X-Callback-Url: 169.254.169.254 is a link-local address (allow it in "
                       "FAASD_CALLBACK_ALLOW)\n");
    CHECK(queue.requests.empty());
    res = c.Post("/async-function/say", {{"X-Callback-Url", "http://127.0.0.1:9/cb"}}, "x",
                 "text/plain");
    REQUIRE(res);
    CHECK(res->status == 202); // allowed by the list
    CHECK(queue.requests.size() == 1);
}

TEST_CASE("/metrics appends the text of added metrics sources") {
    Harness h;
    int scrapes = 0;
    h.gateway->addMetricsSource([&scrapes] {
        ++scrapes;
        return "# TYPE faasd_test_total counter\nfaasd_test_total " + std::to_string(scrapes) +
               "\n";
    });
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto first = c.Get("/metrics");
    REQUIRE(first);
    CHECK(first->body.find("faasd_test_total 1\n") != std::string::npos);
    auto second = c.Get("/metrics");
    REQUIRE(second);
    CHECK(second->body.find("faasd_test_total 2\n") != std::string::npos);
}

TEST_CASE("FunctionMetrics: started with replicas counts the call and sets the replicas") {
    FunctionMetrics m;
    const api::FunctionRef f{"f", "ns"};
    m.started(f, 3);
    auto s = m.get(f);
    REQUIRE(s);
    CHECK(s->started == 1);
    CHECK(s->inFlight == 1);
    CHECK(s->replicas == 3);
    m.finished(f, 200, std::chrono::milliseconds(1));
    s = m.get(f);
    CHECK(s->inFlight == 0);
    CHECK(s->completed == 1);
}

TEST_CASE("FunctionMetrics merges what several threads counted") {
    FunctionMetrics m;
    const api::FunctionRef f{"f", "ns"};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&m, &f] {
            for (int i = 0; i < 1000; ++i) {
                m.started(f, 2);
                m.finished(f, i % 10 == 0 ? 500 : 200, std::chrono::milliseconds(1));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::thread([&m, &f] { m.setReplicas(f, 7); }).join(); // the latest setting wins
    auto s = m.get(f);
    REQUIRE(s);
    CHECK(s->started == 4000);
    CHECK(s->completed == 4000);
    CHECK(s->inFlight == 0);
    CHECK(s->byCode[200] == 3600);
    CHECK(s->byCode[500] == 400);
    CHECK(s->replicas == 7);
    CHECK(m.all().at(f).started == 4000);
    const std::string text = m.prometheusText();
    CHECK(
        text.find("gateway_functions_seconds_count{code=\"200\",function_name=\"f.ns\"} 3600\n") !=
        std::string::npos);
    m.remove(f);
    CHECK_FALSE(m.get(f));
}

TEST_CASE("/system/function-counters answers this gateway's counters per function, with auth") {
    auto config = Harness::defaultConfig();
    config.authEnabled = true;
    config.credentials = {"admin", "secret"};
    TestUpstream up("echo-0");
    Harness h(config);
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    REQUIRE(c.Get("/system/function-counters")->status == 401);
    c.set_basic_auth("admin", "secret");

    auto res = c.Get("/system/function-counters");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "{}");

    REQUIRE(c.Get("/function/echo")->status == 200);
    REQUIRE(c.Get("/function/echo")->status == 200);
    REQUIRE(c.Get("/function/echo/status/500")->status == 500);
    res = c.Get("/system/function-counters");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type").rfind("application/json", 0) == 0);
    auto j = nlohmann::json::parse(res->body);
    REQUIRE(j.size() == 1);
    const auto& echo = j.at("echo.openfaas-fn");
    CHECK(echo.at("started") == 3);
    CHECK(echo.at("completed") == 3);
    CHECK(echo.at("inFlight") == 0);
    CHECK(echo.at("byCode") == nlohmann::json{{"200", 2}, {"500", 1}});
}
