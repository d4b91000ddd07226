// POST /build: the function builder port, with a fake builder.

#include "catch_result.hpp"
#include "harness.hpp"

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;
using nlohmann::json;

namespace {

class FakeBuilder : public FunctionBuilder {
public:
    BuildAnswer build(const BuildCall& call) override {
        // Not a wait: a build that takes its time, to outlast the client
        // timeout (a busy machine only makes it longer).
        std::this_thread::sleep_for(duration);
        std::lock_guard lock(mutex);
        body = std::string(call.body);
        signature = call.signature;
        accept = call.accept;
        ++calls;
        return answer;
    }

    std::mutex mutex;
    std::string body;
    std::optional<std::string> signature;
    std::string accept;
    int calls = 0;
    std::chrono::milliseconds duration{0};
    BuildAnswer answer{200, "application/json",
                       R"({"log":["built"],"image":"img:1","status":"success"})"};
};

GatewayConfig withAuth() {
    GatewayConfig c = Harness::defaultConfig();
    c.authEnabled = true;
    c.credentials = {"admin", "pw"};
    return c;
}

} // namespace

TEST_CASE("build: the body and the signature reach the builder, without basic auth") {
    Harness h(withAuth());
    FakeBuilder builder;
    h.gateway->setFunctionBuilder(&builder);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    const std::string tar("a tar\0with a NUL", 16);
    auto res =
        c.Post("/build", {{"X-Build-Signature", "sha256=abc"}}, tar, "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    CHECK(json::parse(res->body)["status"] == "success");
    std::lock_guard lock(builder.mutex);
    CHECK(builder.calls == 1);
    CHECK(builder.body == tar);
    CHECK(builder.signature == std::optional<std::string>("sha256=abc"));
    CHECK(builder.accept.find("x-ndjson") == std::string::npos);
}

TEST_CASE("build: /build/build too, where newer faas-cli posts for --remote-builder .../build") {
    Harness h(withAuth());
    FakeBuilder builder;
    h.gateway->setFunctionBuilder(&builder);
    REQUIRE(h.gateway->start());
    auto res = h.client().Post("/build/build", {{"X-Build-Signature", "sha256=abc"}}, "x",
                               "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    std::lock_guard lock(builder.mutex);
    CHECK(builder.calls == 1);
}

TEST_CASE("build: the builder's status, type and body are the answer") {
    Harness h;
    FakeBuilder builder;
    builder.answer = {401, "application/x-ndjson", "{\"status\":\"failed\"}\n"};
    h.gateway->setFunctionBuilder(&builder);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res =
        c.Post("/build", {{"Accept", "application/x-ndjson"}}, "x", "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(res->get_header_value("Content-Type") == "application/x-ndjson");
    CHECK(res->body == "{\"status\":\"failed\"}\n");
    std::lock_guard lock(builder.mutex);
    CHECK_FALSE(builder.signature.has_value());
    CHECK(builder.accept == "application/x-ndjson");
}

TEST_CASE("build: 404 with a JSON answer when no builder is set, 405 for other methods") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/build", "x", "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 404);
    auto body = json::parse(res->body);
    CHECK(body["status"] == "failed");
    CHECK(body["log"][0].get<std::string>().find("not enabled") != std::string::npos);
    res = c.Get("/build");
    REQUIRE(res);
    CHECK(res->status == 405);
}

TEST_CASE("build: a body over the gateway's limit is 413 before the builder sees it") {
    GatewayConfig config = Harness::defaultConfig();
    config.maxBodyBytes = 1024;
    Harness h(config);
    FakeBuilder builder;
    h.gateway->setFunctionBuilder(&builder);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/build", std::string(4096, 'x'), "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 413);
    std::lock_guard lock(builder.mutex);
    CHECK(builder.calls == 0);
}

TEST_CASE("build: a build longer than the client timeout is still answered") {
    GatewayConfig config = Harness::defaultConfig();
    config.clientTimeout = std::chrono::milliseconds(200);
    Harness h(config);
    FakeBuilder builder;
    builder.duration = std::chrono::milliseconds(1000);
    h.gateway->setFunctionBuilder(&builder);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/build", "x", "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(json::parse(res->body)["status"] == "success");
}
