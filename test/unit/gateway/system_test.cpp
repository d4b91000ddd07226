// Secrets, namespaces, info, alert, healthz, ui, auth.

#include "catch_result.hpp"
#include "common/base64.hpp"
#include "harness.hpp"

#include <atomic>
#include <nlohmann/json.hpp>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;
using nlohmann::json;

TEST_CASE("secrets: create 201, list without values, update, delete 202 then 404") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/system/secrets", R"({"name":"db","value":"s3cret"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 201);
    res = c.Post("/system/secrets", R"({"name":"db","value":"again"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 409);

    res = c.Get("/system/secrets");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto list = json::parse(res->body);
    REQUIRE(list.size() == 1);
    CHECK(list[0]["name"] == "db");
    CHECK(list[0]["namespace"] == "openfaas-fn");
    CHECK_FALSE(list[0].contains("value"));
    CHECK(res->body.find("s3cret") == std::string::npos);

    res = c.Put("/system/secrets", R"({"name":"db","value":"new"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(h.provider.secrets["openfaas-fn/db"].value == "new");

    res = c.Delete("/system/secrets", R"({"name":"db"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    res = c.Delete("/system/secrets", R"({"name":"db"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 404);
}

TEST_CASE("secrets: namespace from body or query; rawValue wins; bad names 400") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res =
        c.Post("/system/secrets", R"({"name":"k","namespace":"dev","value":"v","rawValue":"AAEC"})",
               "application/json");
    REQUIRE(res);
    CHECK(res->status == 201);
    CHECK(h.provider.secrets["dev/k"].bytes() == std::string("\0\1\2", 3));
    res = c.Get("/system/secrets?namespace=dev");
    REQUIRE(res);
    CHECK(json::parse(res->body).size() == 1);
    res = c.Delete("/system/secrets?namespace=dev", R"({"name":"k"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    res = c.Post("/system/secrets", R"({"name":"../etc","value":"v"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
}

TEST_CASE("namespaces: list with the default first; get, create, update, delete") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/system/namespaces");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto list = json::parse(res->body);
    REQUIRE(list.size() == 2);
    CHECK(list[0] == "openfaas-fn");

    res = c.Get("/system/namespace/dev");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(json::parse(res->body)["labels"]["openfaas"] == "1");
    res = c.Get("/system/namespace/nope");
    REQUIRE(res);
    CHECK(res->status == 404);

    res = c.Post("/system/namespace/team", R"({"name":"team","labels":{"openfaas":"1"}})",
                 "application/json");
    REQUIRE(res);
    CHECK(res->status == 201);
    res = c.Put("/system/namespace/team", R"({"labels":{"openfaas":"1","x":"y"}})",
                "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(h.provider.namespaces["team"].labels["x"] == "y");
    res = c.Delete("/system/namespace/team");
    REQUIRE(res);
    CHECK(res->status == 202);
    res = c.Delete("/system/namespace/team");
    REQUIRE(res);
    CHECK(res->status == 404);
}

TEST_CASE("info: provider is not exactly faasd, everything non-empty") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto res = h.client().Get("/system/info");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto j = json::parse(res->body);
    CHECK(j["provider"]["provider"] != "faasd");
    CHECK_FALSE(j["provider"]["provider"].get<std::string>().empty());
    CHECK(j["provider"]["orchestration"] == "containerd");
    CHECK_FALSE(j["provider"]["version"]["release"].get<std::string>().empty());
    CHECK_FALSE(j["version"]["release"].get<std::string>().empty());
    CHECK_FALSE(j["version"]["sha"].get<std::string>().empty());
    CHECK_FALSE(j["arch"].get<std::string>().empty());
}

namespace {

struct RecordingAlerts : AlertHandler {
    Result<void> handle(const AlertNotification& n) override {
        std::lock_guard lock(mutex);
        received.push_back(n);
        return {};
    }
    std::mutex mutex;
    std::vector<AlertNotification> received;
};

} // namespace

TEST_CASE("alert: 202 without a handler; parsed and handed over with one") {
    const std::string body =
        R"({"status":"firing","receiver":"scale-up","alerts":[{"status":"firing",)"
        R"("labels":{"alertname":"APIHighInvocationRate","function_name":"say.openfaas-fn"}}]})";
    {
        Harness h;
        REQUIRE(h.gateway->start());
        auto res = h.client().Post("/system/alert", body, "application/json");
        REQUIRE(res);
        CHECK(res->status == 202);
    }
    Harness h;
    RecordingAlerts alerts;
    h.gateway->setAlertHandler(&alerts);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/system/alert", body, "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    REQUIRE(alerts.received.size() == 1);
    REQUIRE(alerts.received[0].alerts.size() == 1);
    CHECK(alerts.received[0].alerts[0].functionName == "say.openfaas-fn");
    CHECK(alerts.received[0].alerts[0].status == "firing");
    res = c.Post("/system/alert", "{", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
}

TEST_CASE("healthz, / redirects to /ui/, ui page") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 200);
    res = c.Get("/");
    REQUIRE(res);
    CHECK(res->status == 301);
    CHECK(res->get_header_value("Location") == "/ui/");
    res = c.Get("/ui/");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.find("<html") != std::string::npos);
}

TEST_CASE("healthz adds a line for each degraded part, and stays 200") {
    Harness h;
    std::atomic<bool> down{false};
    h.gateway->addHealthDetail([] { return std::string(); });
    h.gateway->addHealthDetail([&] {
        return down ? std::string("containerd: not answering on /run/c.sock") : std::string();
    });
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "OK");
    down = true;
    res = c.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "OK\ncontainerd: not answering on /run/c.sock\n");
}

TEST_CASE("basic auth guards /system and /ui, not /healthz, /metrics or /function") {
    auto config = Harness::defaultConfig();
    config.authEnabled = true;
    config.credentials = {"admin", "pa:ss"};
    TestUpstream up("echo-0");
    Harness h(config);
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();

    for (const char* path : {"/system/functions", "/system/info", "/ui/"}) {
        auto res = c.Get(path);
        REQUIRE(res);
        CHECK(res->status == 401);
        CHECK(res->get_header_value("WWW-Authenticate") == "Basic realm=\"Restricted\"");
    }
    c.set_basic_auth("admin", "wrong");
    auto res = c.Get("/system/functions");
    REQUIRE(res);
    CHECK(res->status == 401);
    c.set_basic_auth("admin", "pa:ss");
    res = c.Get("/system/functions");
    REQUIRE(res);
    CHECK(res->status == 200);

    auto anon = h.client();
    CHECK(anon.Get("/healthz")->status == 200);
    CHECK(anon.Get("/metrics")->status == 200);
    CHECK(anon.Post("/function/echo", "hi", "text/plain")->status == 200);
}

TEST_CASE("start fails fast when the port is taken") {
    Harness a;
    REQUIRE(a.gateway->start());
    auto config = Harness::defaultConfig();
    config.port = a.gateway->port();
    Harness b(config);
    auto started = b.gateway->start();
    REQUIRE_FALSE(started);
    CHECK(started.error().code() == Code::Unavailable);
}
